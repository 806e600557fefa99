import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadYamlFile } from '../../common/config-files';
import { validateAlert } from '../security-alert';
import { formatTablesSchema } from './index';
import { normalizeSuricata, suricataType } from './suricata';

const root = join(__dirname, '..', '..', '..');
const tables = loadYamlFile(join(root, 'config', 'formats.yaml'), formatTablesSchema).suricata;
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const sample: Array<Record<string, any>> = readJson(join(root, 'test', 'fixtures', 'suricata', 'sample.json'));
const bySignature = (text: string) => structuredClone(sample.find((r) => r.alert.signature.includes(text))!);
const only = (record: unknown) => {
  const items = normalizeSuricata(record, tables);
  expect(items).toHaveLength(1);
  return items[0];
};
const errorsOf = (record: unknown) => only(record).errors;

describe('normalizeSuricata', () => {
  describe('the shared Suricata data set', () => {
    const tableTypes = new Set([
      ...Object.values(tables.categories),
      ...tables.signature_overrides.map((r) => r.type),
      ...tables.signature_keywords.map((r) => r.type),
      tables.default_type,
    ]);
    const expectedSeverity: Record<number, string> = { 1: 'high', 2: 'medium', 3: 'low' };

    it.each(['wrccdc-2018.json', 'honeypot-2018.json'])('normalizes and validates every record of %s', (file) => {
      const records: Array<Record<string, any>> = readJson(join(root, '..', 'shared', 'data', 'suricata', file));
      expect(records.length).toBeGreaterThan(40);
      const problems = records.flatMap((record, index) => {
        const item = only(record);
        const validation = validateAlert(item.alert);
        const alert = item.alert;
        const wrong = [
          !validation.ok && JSON.stringify(validation.errors),
          alert?.sourceIp !== record.src_ip && `sourceIp ${alert?.sourceIp}`,
          alert?.destinationIp !== record.dest_ip && `destinationIp ${alert?.destinationIp}`,
          alert?.severity !== expectedSeverity[record.alert.severity] && `severity ${alert?.severity}`,
          !tableTypes.has(alert?.type ?? '') && `type ${alert?.type}`,
          alert?.title !== record.alert.signature && 'title',
          alert?.raw !== record && 'raw',
        ].filter(Boolean);
        return wrong.length ? [{ index, wrong }] : [];
      });
      expect(problems).toEqual([]);
    });

    it('maps every category seen in the data through the table, not the fallback', () => {
      const categories = ['wrccdc-2018.json', 'honeypot-2018.json'].flatMap((file) =>
        readJson(join(root, '..', 'shared', 'data', 'suricata', file)).map((r: any) => r.alert.category as string),
      );
      expect([...new Set(categories)].filter((c) => !Object.hasOwn(tables.categories, c))).toEqual([]);
    });
  });

  describe('mapping', () => {
    it('maps every field of a honeypot alert whose timestamp has no zone (read as UTC)', () => {
      const record = bySignature('Potential SSH Scan');
      expect(only(record)).toEqual({
        alert: {
          source: 'suricata',
          type: 'recon',
          severity: 'medium',
          title: 'ET SCAN Potential SSH Scan',
          externalId: '52710912:2001219:2019-01-02T03:50:11.315110',
          description: 'Category: Attempted Information Leak\nFlow: TCP 8.42.77.171:49678 -> 138.68.3.71:22\nAction: allowed',
          sourceIp: '8.42.77.171',
          destinationIp: '138.68.3.71',
          occurredAt: '2019-01-02T03:50:11.315Z',
          tags: ['suricata:sid:2001219', 'proto:tcp', 'action:allowed'],
          raw: record,
        },
      });
      expect(validateAlert(only(record).alert).ok).toBe(true);
    });

    it('converts a -0600 offset to UTC and keeps the original text in externalId', () => {
      const record = bySignature('Drupal SQLi');
      const { alert } = only(record);
      expect(alert?.occurredAt).toBe('2018-03-24T22:40:28.145Z');
      expect(alert?.externalId).toBe(`${record.flow_id}:${record.alert.signature_id}:2018-03-24T16:40:28.145657-0600`);
    });

    it('reads a +0000 offset', () => {
      const record = { ...bySignature('Potential SSH Scan'), timestamp: '2024-03-01T10:00:00.250000+0000' };
      expect(only(record).alert?.occurredAt).toBe('2024-03-01T10:00:00.250Z');
    });

    it.each([
      ['Drupal SQLi', 'sql_injection', 'high'],
      ['Zeus Tracker Reported CnC', 'c2_beacon', 'high'],
      ['ETERNALBLUE Exploit M2', 'privilege_escalation', 'high'],
      ['Incoming Masscan', 'port_scan', 'low'],
      ['NTP DDoS', 'denial_of_service', 'medium'],
      ['CINS Active Threat', 'misc_attack', 'medium'],
      ['SMTP invalid reply', 'protocol_anomaly', 'low'],
      ['Cleartext WordPress Login', 'policy_violation', 'high'],
    ])('%s → type %s, severity %s', (signature, type, severity) => {
      const { alert } = only(bySignature(signature));
      expect(alert).toMatchObject({ type, severity });
      expect(validateAlert(alert).ok).toBe(true);
    });

    it('describes the category, the ports and the application protocol', () => {
      const { alert } = only(bySignature('Drupal SQLi'));
      expect(alert?.description).toContain('Category: Web Application Attack');
      expect(alert?.description).toMatch(/Flow: TCP 10\.128\.0\.241:\d+ -> [\d.]+:80/);
      expect(alert?.tags).toContain('app_proto:http');
    });

    it('takes the sensor name from host and writes IPv6 endpoints in brackets', () => {
      const record = { ...bySignature('Potential SSH Scan'), host: 'sensor-dmz-1', src_ip: '2001:db8::1', src_port: 40000 };
      const { alert } = only(record);
      expect(alert?.host).toBe('sensor-dmz-1');
      expect(alert?.description).toContain('[2001:db8::1]:40000 ->');
      expect(validateAlert(alert).ok).toBe(true);
    });

    it('leaves externalId unset without flow_id', () => {
      const { flow_id: _unused, ...record } = bySignature('Potential SSH Scan');
      expect(only(record).alert?.externalId).toBeUndefined();
    });

    it('honours a changed severity table', () => {
      const custom = { ...tables, severity: { '1': 'critical' as const, '2': 'high' as const, '3': 'medium' as const } };
      expect(normalizeSuricata(bySignature('Drupal SQLi'), custom)[0].alert?.severity).toBe('critical');
    });
  });

  describe('suricataType', () => {
    it('lets a signature override beat the category', () => {
      expect(suricataType(tables, 'Web Application Attack', 'ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT')).toBe(
        'sql_injection',
      );
      expect(suricataType(tables, 'Web Application Attack', 'ET WEB_SERVER ColdFusion adminapi access')).toBe('web_attack');
    });

    it('matches the category in any case', () => {
      expect(suricataType(tables, 'misc attack', 'ET CINS group 1')).toBe('misc_attack');
    });

    it.each([
      ['ET SCAN Nmap Scripting Engine User-Agent Detected', 'port_scan'],
      ['ET SCAN Rapid POP3 Connections - Possible Brute Force Attack', 'port_scan'],
      ['ET POLICY SSH brute force attempt', 'failed_login'],
      ['ET TROJAN Win32/Emotet checkin', 'c2_beacon'],
      ['ET DNS Possible DNS tunnel (iodine)', 'dns_tunneling'],
      ['Something nobody has seen', 'suspicious_traffic'],
    ])('falls back to signature keywords for an unknown category: %s → %s', (signature, type) => {
      expect(suricataType(tables, 'Brand New Category', signature)).toBe(type);
      expect(suricataType(tables, undefined, signature)).toBe(type);
    });
  });

  describe('over-long fields', () => {
    it('clips an 80,000-character signature to the title, naming alert/signature', () => {
      const record = { ...sample[0], alert: { ...sample[0].alert, signature: 'DNS '.repeat(20_000) } };
      const item = only(record);
      expect({ title: item.alert?.title, warnings: item.warnings }).toEqual({
        title: `${'DNS '.repeat(250).slice(0, 999)}…`,
        warnings: [{ path: '/alert/signature', message: 'clipped to 1000 characters (was 80000)' }],
      });
    });
  });

  describe('bad input', () => {
    it.each([null, 42, 'text', [{ event_type: 'alert' }]])('rejects %j as not an object', (record) => {
      expect(normalizeSuricata(record, tables)).toEqual([{ errors: [{ path: '/', message: expect.stringMatching(/JSON object/) }] }]);
    });

    it('rejects an event that is not an alert', () => {
      expect(errorsOf({ ...bySignature('Potential SSH Scan'), event_type: 'flow' })).toEqual([
        { path: '/event_type', message: "event_type 'flow' is not an alert; only alert events are ingested" },
      ]);
    });

    it('requires event_type and alert', () => {
      expect(errorsOf({ timestamp: '2019-01-02T03:50:11.315110' })).toEqual([{ path: '/event_type', message: 'is required' }]);
      expect(errorsOf({ event_type: 'alert' })).toEqual([{ path: '/alert', message: 'is required' }]);
      expect(errorsOf({ event_type: 'alert', alert: 'ET SCAN' })).toEqual([{ path: '/alert', message: 'must be an object' }]);
    });

    it('names every bad field at once', () => {
      const record = bySignature('Potential SSH Scan');
      delete record.alert.signature;
      record.src_ip = '8.42.77';
      record.src_port = '49678';
      record.timestamp = '02/01/2019 03:50';
      expect(errorsOf(record)).toEqual(
        expect.arrayContaining([
          { path: '/alert/signature', message: 'is required' },
          { path: '/src_ip', message: 'must be an IPv4 or IPv6 address' },
          { path: '/src_port', message: 'must be an integer' },
          { path: '/timestamp', message: expect.stringMatching(/ISO 8601/) },
        ]),
      );
      expect(only(record).alert).toBeUndefined();
    });

    it('takes an unknown or missing alert.severity as the default, naming the field', () => {
      const record = bySignature('Potential SSH Scan');
      record.alert.severity = 4;
      expect(only(record)).toMatchObject({
        alert: { severity: 'medium' },
        warnings: [{ path: '/alert/severity', message: 'unknown severity 4; used the default "medium"' }],
      });
      delete record.alert.severity;
      expect(only(record).warnings).toEqual([{ path: '/alert/severity', message: 'missing; used the default "medium"' }]);
    });

    it('rejects a severity of the wrong type and a missing timestamp', () => {
      const record = bySignature('Potential SSH Scan');
      record.alert.severity = 'high';
      delete record.timestamp;
      expect(errorsOf(record)).toEqual([
        { path: '/alert/severity', message: 'must be an integer' },
        { path: '/timestamp', message: 'is required' },
      ]);
    });
  });
});
