import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateAlert } from '../security-alert';
import { hostOf, normalizeAlertmanager } from './alertmanager';
import { formatTablesSchema } from './index';

const tables = formatTablesSchema.parse({}).alertmanager;
const readFixture = (file: string): Record<string, any> =>
  JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'test', 'fixtures', 'alertmanager', file), 'utf8'));
const fixture = () => readFixture('webhook.json');

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

    it('rejects an object without alerts, or with alerts that are not an array', () => {
      expect(normalizeAlertmanager({ version: '4', status: 'firing' }, tables)).toEqual([
        { errors: [{ path: '/alerts', message: expect.stringMatching(/is required/) }] },
      ]);
      expect(normalizeAlertmanager({ ...fixture(), version: '3', alerts: {} }, tables)).toEqual([
        { errors: [{ path: '/alerts', message: 'must be an array' }] },
      ]);
    });

    it('gives no items for an empty alerts array', () => {
      expect(normalizeAlertmanager({ ...fixture(), alerts: [] }, tables)).toEqual([]);
    });

    it('reports each bad alert at its own index', () => {
      const webhook = fixture();
      webhook.alerts[0].labels.severity = 7;
      delete webhook.alerts[1].labels.alertname;
      webhook.alerts[1].startsAt = 'soon';
      webhook.alerts.push('not an alert', { status: 'firing', startsAt: '2024-03-01T10:00:00Z' });
      webhook.alerts[2].labels.source_ip = 'ws-042.corp';
      const items = normalizeAlertmanager(webhook, tables);
      expect(items.map((i) => i.errors)).toEqual([
        [{ path: '/alerts/0/labels/severity', message: 'must be a string' }],
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

    it('rejects non-string labels', () => {
      const webhook = fixture();
      webhook.alerts[1].labels.job = 9100;
      expect(normalizeAlertmanager(webhook, tables)[1].errors).toEqual([{ path: '/alerts/1/labels/job', message: 'must be a string' }]);
    });
  });

  describe('values the mapping does not know', () => {
    const warningsOf = (webhook: Record<string, any>) => normalizeAlertmanager(webhook, tables).map((i) => i.warnings);

    it('takes an unknown or missing severity label as the default, naming the field', () => {
      const webhook = fixture();
      webhook.alerts[0].labels.severity = 'deadman';
      delete webhook.alerts[1].labels.severity;
      const items = normalizeAlertmanager(webhook, tables);
      expect(items.slice(0, 2).map((i) => i.alert?.severity)).toEqual(['medium', 'medium']);
      expect(items.map((i) => i.warnings)).toEqual([
        [{ path: '/alerts/0/labels/severity', message: 'unknown severity "deadman"; used the default "medium"' }],
        [{ path: '/alerts/1/labels/severity', message: 'missing; used the default "medium"' }],
        undefined,
      ]);
      // The original label stays in the alert's raw payload.
      expect(items[0].alert?.raw).toMatchObject({ alerts: [{ labels: { severity: 'deadman' } }] });
    });

    it('honours a configured default_severity', () => {
      const custom = formatTablesSchema.parse({ alertmanager: { default_severity: 'high' } }).alertmanager;
      const webhook = fixture();
      webhook.alerts[0].labels.severity = 'p5';
      expect(normalizeAlertmanager(webhook, custom)[0]).toMatchObject({
        alert: { severity: 'high' },
        warnings: [{ path: '/alerts/0/labels/severity', message: 'unknown severity "p5"; used the default "high"' }],
      });
    });

    it.each([
      ['3', 'unknown webhook version "3"; read as version "4"'],
      [0, 'unknown webhook version 0; read as version "4"'],
    ])('reads webhook version %j as version 4, warning on every alert', (version, message) => {
      const items = normalizeAlertmanager({ ...fixture(), version }, tables);
      expect(items.map((i) => i.errors)).toEqual([undefined, undefined, undefined]);
      expect(items.map((i) => i.warnings)).toEqual([
        [{ path: '/version', message }],
        [{ path: '/version', message }],
        [{ path: '/version', message }],
      ]);
    });

    it('takes a missing version, or version 4 as a number, without a warning', () => {
      const { version: _version, ...unversioned } = fixture();
      expect(warningsOf(unversioned)).toEqual([undefined, undefined, undefined]);
      expect(warningsOf({ ...fixture(), version: 4 })).toEqual([undefined, undefined, undefined]);
    });

    it('fires an alert whose status is unknown, naming where the status came from', () => {
      const webhook = fixture();
      webhook.alerts[0].status = 'pending';
      const items = normalizeAlertmanager(webhook, tables);
      expect(items[0]).toMatchObject({ warnings: [{ path: '/alerts/0/status', message: 'unknown status "pending"; read as "firing"' }] });
      expect(items[0].resolves).toBeUndefined();

      const { status: _status, ...alert } = fixture().alerts[0];
      const [item] = normalizeAlertmanager({ ...fixture(), status: 'pending', alerts: [alert] }, tables);
      expect(item.warnings).toEqual([{ path: '/status', message: 'unknown status "pending"; read as "firing"' }]);
    });
  });

  describe('over-long annotations and labels (long-annotations.json)', () => {
    const webhook = readFixture('long-annotations.json');
    const { summary, description, runbook_url: runbook } = webhook.alerts[0].annotations as Record<string, string>;
    const [crashLooping, watchdog] = normalizeAlertmanager(webhook, tables);

    it('clips the summary to a 1,000-character title ending in "…"', () => {
      expect(crashLooping.alert?.title).toBe(`${summary.slice(0, 999)}…`);
    });

    it('clips the description to leave the runbook line whole, 10,000 characters in all', () => {
      const text = crashLooping.alert?.description ?? '';
      expect([text.length, text.endsWith(`…\nRunbook: ${runbook}`)]).toEqual([10_000, true]);
    });

    it('names each clipped annotation with its original length', () => {
      expect(crashLooping.warnings).toEqual([
        { path: '/alerts/0/annotations/summary', message: `clipped to 1000 characters (was ${summary.length})` },
        {
          path: '/alerts/0/annotations/description',
          message: `clipped to ${10_000 - 'Runbook: '.length - runbook.length - 1} characters (was ${description.length})`,
        },
      ]);
    });

    it('keeps the whole annotations in raw', () => {
      expect((crashLooping.alert?.raw as Record<string, any>).alerts[0].annotations).toEqual({
        summary,
        description,
        runbook_url: runbook,
      });
    });

    it('leaves the alert of ordinary size beside it as it was, without warnings', () => {
      expect([watchdog.alert?.title, watchdog.warnings]).toEqual([webhook.alerts[1].annotations.summary, undefined]);
    });

    it('clips a long label (user, host) and a long tag value, each at its own label', () => {
      const alert = fixture().alerts[0];
      alert.labels = { ...alert.labels, user: 'u'.repeat(300), instance: `${'h'.repeat(300)}:9100`, job: 'j'.repeat(200) };
      const [item] = normalizeAlertmanager({ ...fixture(), alerts: [alert] }, tables);
      expect(item.warnings).toEqual([
        { path: '/alerts/0/labels/user', message: 'clipped to 200 characters (was 300)' },
        { path: '/alerts/0/labels/instance', message: 'clipped to 255 characters (was 300)' },
        { path: '/alerts/0/labels/job', message: 'clipped to 96 characters (was 200)' },
      ]);
    });

    it('gives every item an alert that validates without further clipping', () => {
      expect([crashLooping, watchdog].map((i) => validateAlert(i.alert))).toEqual([
        { ok: true, alert: expect.anything() },
        { ok: true, alert: expect.anything() },
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
