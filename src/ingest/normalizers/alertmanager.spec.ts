import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateAlert } from '../security-alert';
import { hostOf, normalizeAlertmanager } from './alertmanager';
import { formatTablesSchema } from './index';

const tables = formatTablesSchema.parse({}).alertmanager;
const fixture = (): Record<string, any> =>
  JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'test', 'fixtures', 'alertmanager', 'webhook.json'), 'utf8'));

describe('normalizeAlertmanager', () => {
  describe('a webhook with three alerts', () => {
    const webhook = fixture();
    const items = normalizeAlertmanager(webhook, tables);

    it('gives one valid item per alert, in order', () => {
      expect(items).toHaveLength(3);
      for (const item of items) {
        expect(item.errors).toBeUndefined();
        expect(validateAlert(item.alert).ok).toBe(true);
      }
    });

    it('maps a firing alert', () => {
      expect(items[0]).toEqual({
        alert: {
          source: 'alertmanager',
          type: 'ssh_brute_force',
          severity: 'critical',
          title: 'SSH brute force against bastion-1',
          externalId: 'c5f6e3a9b1d2e4f7:2024-03-01T10:00:00.000Z',
          description:
            'More than 50 failed SSH logins from 203.0.113.45 in 5 minutes.\nRunbook: https://runbooks.example.internal/ssh-brute-force',
          sourceIp: '203.0.113.45',
          user: 'root',
          host: 'bastion-1',
          occurredAt: '2024-03-01T10:00:00.000Z',
          tags: ['alertname:SSHBruteForce', 'job:node', 'receiver:warden'],
          raw: { ...webhook, alerts: [webhook.alerts[0]] },
        },
      });
    });

    it('marks a resolved alert and keeps the same externalId the firing one had', () => {
      expect(items[1].resolves).toBe(true);
      expect(items[1].alert).toMatchObject({
        type: 'failed_login',
        severity: 'medium',
        externalId: '0a1b2c3d4e5f6a7b:2024-03-01T09:00:00.123456789Z',
        occurredAt: '2024-03-01T09:00:00.123Z',
        host: '2001:db8::10',
        title: 'Failed logins above baseline on 2001:db8::10',
      });
      expect(items[0].resolves).toBeUndefined();
    });

    it('prefers the type label, reads source_ip and host, and matches severity in any case', () => {
      expect(items[2].alert).toMatchObject({
        type: 'dns_tunneling',
        severity: 'medium',
        sourceIp: '10.0.4.42',
        host: 'ws-042',
      });
    });

    it('keeps each alert with the webhook around it but not its siblings', () => {
      const raw = items[2].alert?.raw as Record<string, any>;
      expect(raw.alerts).toEqual([webhook.alerts[2]]);
      expect(raw.receiver).toBe('warden');
      expect(raw.groupKey).toBe(webhook.groupKey);
    });
  });

  describe('severity table', () => {
    it.each([
      ['page', 'critical'],
      ['error', 'high'],
      ['High', 'high'],
      ['warning', 'medium'],
      ['info', 'low'],
      ['none', 'low'],
    ])('%s → %s', (label, severity) => {
      const webhook = fixture();
      webhook.alerts[0].labels.severity = label;
      expect(normalizeAlertmanager(webhook, tables)[0].alert?.severity).toBe(severity);
    });
  });

  describe('bad input', () => {
    it.each([null, 'firing', 3, [{ alerts: [] }]])('rejects %j as not a webhook', (record) => {
      expect(normalizeAlertmanager(record, tables)).toEqual([{ errors: [{ path: '/', message: expect.stringMatching(/JSON object/) }] }]);
    });

    it('rejects an object without alerts, or a wrong version', () => {
      expect(normalizeAlertmanager({ version: '4', status: 'firing' }, tables)).toEqual([
        { errors: [{ path: '/alerts', message: expect.stringMatching(/is required/) }] },
      ]);
      expect(normalizeAlertmanager({ ...fixture(), version: '3', alerts: {} }, tables)).toEqual([
        {
          errors: [
            { path: '/version', message: "unsupported webhook version '3'; expected '4'" },
            { path: '/alerts', message: 'must be an array' },
          ],
        },
      ]);
    });

    it('gives no items for an empty alerts array', () => {
      expect(normalizeAlertmanager({ ...fixture(), alerts: [] }, tables)).toEqual([]);
    });

    it('reports each bad alert at its own index', () => {
      const webhook = fixture();
      webhook.alerts[0].labels.severity = 'urgent';
      delete webhook.alerts[1].labels.alertname;
      webhook.alerts[1].startsAt = 'soon';
      webhook.alerts.push('not an alert', { status: 'firing', startsAt: '2024-03-01T10:00:00Z' });
      webhook.alerts[2].labels.source_ip = 'ws-042.corp';
      const items = normalizeAlertmanager(webhook, tables);
      expect(items.map((i) => i.errors)).toEqual([
        [
          {
            path: '/alerts/0/labels/severity',
            message: expect.stringMatching(/^unknown severity 'urgent'; expected one of critical, page/),
          },
        ],
        [
          { path: '/alerts/1/labels/alertname', message: 'is required' },
          { path: '/alerts/1/startsAt', message: expect.stringMatching(/ISO 8601/) },
        ],
        [{ path: '/alerts/2/labels/source_ip', message: 'must be an IPv4 or IPv6 address' }],
        [{ path: '/alerts/3', message: 'must be an object' }],
        [{ path: '/alerts/4/labels', message: 'is required' }],
      ]);
      expect(items.every((i) => i.alert === undefined && i.resolves === undefined)).toBe(true);
    });

    it('requires a severity label and rejects non-string labels and odd statuses', () => {
      const webhook = fixture();
      delete webhook.alerts[0].labels.severity;
      webhook.alerts[1].labels.job = 9100;
      webhook.alerts[2].status = 'pending';
      expect(normalizeAlertmanager(webhook, tables).map((i) => i.errors)).toEqual([
        [{ path: '/alerts/0/labels/severity', message: 'is required' }],
        [{ path: '/alerts/1/labels/job', message: 'must be a string' }],
        [{ path: '/alerts/2/status', message: "must be 'firing' or 'resolved'" }],
      ]);
    });
  });

  describe('hostOf', () => {
    it.each([
      ['node-1:9100', 'node-1'],
      ['10.0.0.5:9100', '10.0.0.5'],
      ['[2001:db8::10]:9100', '2001:db8::10'],
      ['2001:db8::10', '2001:db8::10'],
      ['db-02', 'db-02'],
    ])('%s → %s', (instance, host) => {
      expect(hostOf(instance)).toBe(host);
    });
  });
});
