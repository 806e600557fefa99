import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadYamlFile } from '../../common/config-files';
import { validateAlert } from '../security-alert';
import { formatTablesSchema } from './index';
import { normalizeWazuh, wazuhType } from './wazuh';

const root = join(__dirname, '..', '..', '..');
const tables = loadYamlFile(join(root, 'config', 'formats.yaml'), formatTablesSchema).wazuh;
const fixtures: Array<Record<string, any>> = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'wazuh', 'alerts.json'), 'utf8'));
const byRule = (id: string) => structuredClone(fixtures.find((a) => a.rule.id === id)!);
const only = (record: unknown) => {
  const items = normalizeWazuh(record, tables);
  expect(items).toHaveLength(1);
  return items[0];
};

describe('normalizeWazuh', () => {
  describe('mapping', () => {
    it('maps every field of an sshd invalid-user alert', () => {
      const record = byRule('5710');
      expect(only(record)).toEqual({
        alert: {
          source: 'wazuh',
          type: 'failed_login',
          severity: 'medium',
          title: 'sshd: Attempt to login using a non-existent user',
          externalId: '1709287200.123456',
          description: 'Mar  1 10:00:00 web-01 sshd[2412]: Invalid user admin from 203.0.113.45 port 51234',
          sourceIp: '203.0.113.45',
          destinationIp: '10.0.1.15',
          user: 'admin',
          host: 'web-01',
          occurredAt: '2024-03-01T10:00:00.000Z',
          tags: [
            'wazuh:rule:5710',
            'wazuh:group:syslog',
            'wazuh:group:sshd',
            'wazuh:group:authentication_failed',
            'wazuh:group:invalid_login',
            'mitre:T1110.001',
            'mitre:T1021.004',
          ],
          raw: record,
        },
      });
    });

    it.each([
      ['5710', 'failed_login', 'medium'],
      ['5712', 'failed_login', 'high'],
      ['31103', 'sql_injection', 'medium'],
      ['550', 'file_integrity', 'medium'],
      ['87105', 'malware', 'critical'],
      ['5402', 'privilege_escalation', 'low'],
    ])('rule %s → type %s, severity %s, and validates', (id, type, severity) => {
      const { alert } = only(byRule(id));
      expect(alert).toMatchObject({ type, severity });
      expect(validateAlert(alert).ok).toBe(true);
    });

    it.each([
      [0, 'low'],
      [3, 'low'],
      [4, 'medium'],
      [7, 'medium'],
      [8, 'high'],
      [11, 'high'],
      [12, 'critical'],
      [15, 'critical'],
    ])('level %i → %s', (level, severity) => {
      const record = byRule('5710');
      record.rule.level = level;
      expect(only(record).alert?.severity).toBe(severity);
    });

    it('takes the sudo caller as user', () => {
      expect(only(byRule('5402')).alert?.user).toBe('deploy');
    });

    it('prefers data.dstip over the agent address, and ignores an agent placeholder address', () => {
      const record = byRule('31103');
      expect(only({ ...record, data: { ...record.data, dstip: '10.0.2.21' } }).alert?.destinationIp).toBe('10.0.2.21');
      expect(only({ ...record, agent: { id: '002', name: 'shop-frontend', ip: 'any' } }).alert?.destinationIp).toBeUndefined();
    });
  });

  describe('wazuhType', () => {
    it('needs every group of an entry', () => {
      expect(wazuhType(tables, ['web', 'accesslog', 'attack'], '31104')).toBe('web_attack');
      expect(wazuhType(tables, ['web', 'accesslog'], '31108')).toBe('wazuh_rule_31108');
    });

    it('checks entries in table order', () => {
      expect(wazuhType(tables, ['web', 'attack', 'sql_injection'], '31103')).toBe('sql_injection');
    });

    it('falls back to the rule id', () => {
      expect(wazuhType(tables, [], '100200')).toBe('wazuh_rule_100200');
      expect(wazuhType(tables, [], '')).toBe('wazuh_rule_unknown');
    });
  });

  describe('over-long fields', () => {
    it('clips rule.description, full_log and agent.name, naming each field with its length', () => {
      const record = {
        rule: { id: '5710', level: 5, description: 'd'.repeat(1500) },
        full_log: 'l'.repeat(20_000),
        agent: { name: 'a'.repeat(256) },
      };
      expect(only(record).warnings).toEqual([
        { path: '/rule/description', message: 'clipped to 1000 characters (was 1500)' },
        { path: '/full_log', message: 'clipped to 10000 characters (was 20000)' },
        { path: '/agent/name', message: 'clipped to 255 characters (was 256)' },
      ]);
    });

    it('names a long group by its index in rule.groups', () => {
      const record = { rule: { id: '5710', level: 5, description: 'd', groups: ['sshd', 'g'.repeat(100)] } };
      expect(only(record).warnings).toEqual([{ path: '/rule/groups/1', message: 'clipped to 88 characters (was 100)' }]);
    });
  });

  describe('bad input', () => {
    it.each([null, 'alert', 7, [{ rule: { id: '5710' } }]])('rejects %j as not an object', (record) => {
      expect(normalizeWazuh(record, tables)).toEqual([{ errors: [{ path: '/', message: expect.stringMatching(/JSON object/) }] }]);
    });

    it('requires rule', () => {
      expect(only({ id: '1', timestamp: '2024-03-01T10:00:00.000+0000' }).errors).toEqual([{ path: '/rule', message: 'is required' }]);
      expect(only({ rule: 'sshd' }).errors).toEqual([{ path: '/rule', message: 'must be an object' }]);
    });

    it('names every bad field at once', () => {
      const record = byRule('5710');
      delete record.rule.description;
      record.rule.id = { value: 5710 };
      record.rule.groups = ['syslog', 5];
      record.data.srcip = '203.0.113';
      record.timestamp = 'Mar  1 10:00:00';
      expect(only(record)).toEqual({
        errors: [
          { path: '/rule/id', message: 'must be a string or a number' },
          { path: '/rule/description', message: 'is required' },
          { path: '/rule/groups/1', message: 'must be a string or a list of strings' },
          { path: '/data/srcip', message: 'must be an IPv4 or IPv6 address' },
          { path: '/timestamp', message: expect.stringMatching(/ISO 8601/) },
        ],
      });
    });

    it('takes a level outside 0-15, or none, as the default, naming the field', () => {
      const record = byRule('5710');
      record.rule.level = 16;
      expect(only(record)).toMatchObject({
        alert: { severity: 'medium' },
        warnings: [{ path: '/rule/level', message: 'unknown level 16; used the default "medium"' }],
      });
      delete record.rule.level;
      expect(only(record).warnings).toEqual([{ path: '/rule/level', message: 'missing; used the default "medium"' }]);
    });

    it('rejects a level that is not an integer', () => {
      const record = byRule('5710');
      record.rule.level = '5';
      expect(only(record).errors).toEqual([{ path: '/rule/level', message: 'must be an integer' }]);
    });

    it('accepts a numeric rule id', () => {
      const record = byRule('5710');
      record.rule.id = 5710;
      expect(only(record).alert?.tags).toContain('wazuh:rule:5710');
    });
  });
});
