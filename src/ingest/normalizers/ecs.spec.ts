import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateAlert } from '../security-alert';
import { normalizeEcs } from './ecs';
import { formatTablesSchema } from './index';

const root = join(__dirname, '..', '..', '..');
const tables = formatTablesSchema.parse({}).ecs;
const fixtures: Array<Record<string, any>> = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'ecs', 'events.json'), 'utf8'));
const [kibanaAlert, endpointAlert, searchHit] = fixtures;
const copy = <T>(value: T): T => structuredClone(value);
const only = (record: unknown) => {
  const items = normalizeEcs(record, tables);
  expect(items).toHaveLength(1);
  return items[0];
};

/** A minimal ECS event with one field replaced. */
const event = (overrides: Record<string, unknown> = {}) => ({
  '@timestamp': '2024-03-01T10:00:00.000Z',
  event: { kind: 'alert', category: ['network'], severity: 50, module: 'zeek' },
  rule: { name: 'Suspicious Outbound Beacon' },
  ...overrides,
});

describe('normalizeEcs', () => {
  describe('mapping', () => {
    it('maps a Kibana alert with flattened kibana.* keys', () => {
      expect(only(kibanaAlert)).toEqual({
        alert: {
          source: 'ecs:system',
          type: 'failed_login',
          severity: 'medium',
          title: 'Potential SSH Brute Force Detected',
          externalId: kibanaAlert['kibana.alert.uuid'],
          description: kibanaAlert['kibana.alert.reason'],
          sourceIp: '203.0.113.45',
          user: 'root',
          host: 'web-01',
          occurredAt: '2024-03-01T10:05:00.000Z',
          tags: ['Domain: Endpoint', 'Tactic: Credential Access', 'event.kind:signal', 'event.dataset:system.auth'],
          raw: kibanaAlert,
        },
      });
      expect(validateAlert(only(kibanaAlert).alert).ok).toBe(true);
    });

    it('maps an Elastic Defend alert: numeric severity, type from the first category', () => {
      const { alert } = only(endpointAlert);
      expect(alert).toMatchObject({
        source: 'ecs:endpoint',
        type: 'malware',
        severity: 'high',
        title: 'Malware Detection Alert',
        externalId: 'MqXF8Y1sl2jB0Hy/++++0Kq7',
        user: 'jdoe',
        host: 'WS-JDOE',
      });
      expect(validateAlert(alert).ok).toBe(true);
    });

    it('unwraps an Elasticsearch hit and names the source from the observer', () => {
      const { alert } = only(searchHit);
      expect(alert).toMatchObject({
        source: 'ecs:pan-os',
        type: 'possible_data_exfiltration_large_outbound_transfer',
        severity: 'critical',
        title: 'Possible Data Exfiltration - Large Outbound Transfer',
        externalId: 'Zt9v4o0BvW1n2q3r4s5t',
        sourceIp: '10.0.9.12',
        destinationIp: '198.51.100.200',
        host: 'db-02',
        tags: ['exfiltration', 'perimeter', 'event.kind:alert', 'event.dataset:siem.alerts'],
      });
      expect(alert?.raw).toBe(searchHit);
      expect(validateAlert(alert).ok).toBe(true);
    });

    // Elastic's risk bands: 0-21 low, 22-47 medium, 48-73 high, 74-100 critical.
    it.each([
      [0, 'low'],
      [21, 'low'],
      [22, 'medium'],
      [47, 'medium'],
      [48, 'high'],
      [73, 'high'],
      [74, 'critical'],
      [99, 'critical'],
      ['80', 'critical'],
    ])('event.severity %j → %s', (severity, expected) => {
      expect(only(event({ event: { category: ['network'], severity } })).alert?.severity).toBe(expected);
    });

    it('prefers a severity word over the number, and reads kibana.alert.risk_score', () => {
      expect(only(event({ 'kibana.alert.severity': 'Low' })).alert?.severity).toBe('low');
      expect(only(event({ event: { category: ['network'], severity: 90, severity_label: 'informational' } })).alert?.severity).toBe('low');
      expect(only(event({ event: { category: ['network'] }, kibana: { alert: { risk_score: 99 } } })).alert?.severity).toBe('critical');
    });

    it('takes the type from rule.name, then event.category, then event.action', () => {
      expect(only(event()).alert?.type).toBe('suspicious_outbound_beacon');
      expect(only(event({ rule: undefined })).alert?.type).toBe('network');
      expect(only(event({ rule: undefined, event: { severity: 10, action: 'dns-query' } })).alert).toMatchObject({
        type: 'dns_query',
        title: 'dns-query',
      });
    });

    it('sees an authentication failure whatever the rule is called', () => {
      const record = event({ event: { category: 'Authentication', outcome: 'failure', severity: 30 } });
      expect(only(record).alert?.type).toBe('failed_login');
      expect(only(event({ event: { category: ['authentication'], outcome: 'success', severity: 30 } })).alert?.type).toBe(
        'suspicious_outbound_beacon',
      );
    });

    it('names the source from observer.product, observer.name, event.module or unknown', () => {
      expect(only(event({ observer: { name: 'IDS-01' } })).alert?.source).toBe('ecs:ids-01');
      expect(only(event()).alert?.source).toBe('ecs:zeek');
      expect(only(event({ event: { category: ['network'], severity: 5 } })).alert?.source).toBe('ecs:unknown');
    });

    it('uses the first line of the message as title when there is no rule, and host.hostname without host.name', () => {
      const record = event({ rule: undefined, message: 'Port scan from 198.51.100.9\nmore detail', host: { hostname: 'gw-1' } });
      expect(only(record).alert).toMatchObject({ title: 'Port scan from 198.51.100.9', host: 'gw-1' });
    });
  });

  describe('over-long fields', () => {
    it('clips rule.name to the title and message to the description, naming each field', () => {
      const { 'kibana.alert.rule.name': _ruleName, ...rest } = copy(kibanaAlert);
      const record = { ...rest, 'rule.name': 'r'.repeat(1200), message: 'm'.repeat(11_000) };
      expect(only(record).warnings).toEqual([
        { path: '/rule.name', message: 'clipped to 1000 characters (was 1200)' },
        { path: '/message', message: 'clipped to 10000 characters (was 11000)' },
      ]);
    });

    it('clips a long observer.product into the source, ending in a digest', () => {
      const record = { ...copy(kibanaAlert), observer: { product: 'p'.repeat(300) } };
      const item = only(record);
      expect({ source: item.alert?.source.length, warnings: item.warnings }).toEqual({
        source: 200,
        warnings: [{ path: '/observer/product', message: 'clipped to 200 characters (was 304), ending in a digest of the whole value' }],
      });
    });
  });

  describe('bad input', () => {
    it.each([null, 'event', 5, [{ message: 'x' }]])('rejects %j as not an object', (record) => {
      expect(normalizeEcs(record, tables)).toEqual([{ errors: [{ path: '/', message: expect.stringMatching(/JSON object/) }] }]);
    });

    it('takes the configured defaults when nothing names the severity or the type, naming both fields', () => {
      expect(only({ '@timestamp': '2024-03-01T10:00:00Z', message: 'hello' })).toMatchObject({
        alert: { type: 'security_event', severity: 'medium', title: 'hello' },
        warnings: [
          { path: '/event/category', message: 'missing, as are rule.name and event.action; used the default type "security_event"' },
          {
            path: '/event/severity',
            message: 'missing, as are event.severity_label, kibana.alert.severity and kibana.alert.risk_score; used the default "medium"',
          },
        ],
      });
    });

    it('refuses a document with neither @timestamp nor anything to name the type', () => {
      expect(only({ message: 'hello' }).errors).toEqual([{ path: '/event/category', message: expect.stringMatching(/is required/) }]);
    });

    it('takes an unknown severity word as the default, naming the field', () => {
      const record = copy(kibanaAlert);
      record['kibana.alert.severity'] = 'severe';
      expect(only(record)).toMatchObject({
        alert: { severity: 'medium' },
        warnings: [{ path: '/kibana.alert.severity', message: 'unknown severity "severe"; used the default "medium"' }],
      });
    });

    it('points a warning inside _source for an Elasticsearch hit, and honours a configured default', () => {
      const custom = formatTablesSchema.parse({ ecs: { default_severity: 'low' } }).ecs;
      const record = copy(searchHit);
      delete record._source.event.severity;
      const [item] = normalizeEcs(record, custom);
      expect(item.alert?.severity).toBe('low');
      expect(item.warnings).toEqual([{ path: '/_source/event/severity', message: expect.stringMatching(/used the default "low"$/) }]);
    });

    it('names bad fields with their real path, flattened or nested', () => {
      const record = copy(kibanaAlert);
      record['kibana.alert.severity'] = 4;
      record.source.ip = '203.0.113';
      record.event.category = ['authentication', 3];
      record['@timestamp'] = 'now';
      expect(only(record).errors).toEqual([
        { path: '/event/category/1', message: 'must be a string or a list of strings' },
        { path: '/kibana.alert.severity', message: 'must be a string' },
        { path: '/source/ip', message: 'must be an IPv4 or IPv6 address' },
        { path: '/@timestamp', message: expect.stringMatching(/ISO 8601/) },
      ]);
    });

    it('points inside _source for an Elasticsearch hit', () => {
      const record = copy(searchHit);
      record._source.event.severity = 'very';
      record._source.destination.ip = 'example.com';
      expect(only(record).errors).toEqual([
        { path: '/_source/event/severity', message: 'must be a number' },
        { path: '/_source/destination/ip', message: 'must be an IPv4 or IPv6 address' },
      ]);
    });
  });
});
