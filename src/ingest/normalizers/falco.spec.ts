import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadYamlFile } from '../../common/config-files';
import { validateAlert } from '../security-alert';
import { normalizeFalco } from './falco';
import { formatTablesSchema } from './index';

const root = join(__dirname, '..', '..', '..');
const tables = loadYamlFile(join(root, 'config', 'formats.yaml'), formatTablesSchema).falco;
const fixtures: Array<Record<string, any>> = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'falco', 'events.json'), 'utf8'));
const byRule = (rule: string) => structuredClone(fixtures.find((e) => e.rule === rule)!);
const only = (record: unknown) => {
  const items = normalizeFalco(record, tables);
  expect(items).toHaveLength(1);
  return items[0];
};

describe('normalizeFalco', () => {
  describe('mapping', () => {
    it('maps every field of a shell-in-container event', () => {
      const record = byRule('Terminal shell in container');
      expect(only(record)).toEqual({
        alert: {
          source: 'falco',
          type: 'execution',
          severity: 'low',
          title: 'Terminal shell in container',
          externalId: '3f0e7c1a-6b7d-4a2e-9f51-8d2c4b6a1e90',
          description: record.output,
          user: 'root',
          host: 'k8s-node-1',
          occurredAt: '2024-03-01T10:00:00.123Z',
          tags: [
            'container',
            'maturity_stable',
            'mitre_execution',
            'shell',
            'T1059',
            'container:3ad7b26ded6d',
            'k8s.ns:default',
            'k8s.pod:nginx-7c5bd6f5d8-x2lkq',
          ],
          raw: record,
        },
      });
    });

    it.each([
      ['Terminal shell in container', 'execution', 'low'],
      ['Read sensitive file untrusted', 'credential_access', 'medium'],
      ['Outbound Connection to C2 Servers', 'c2_beacon', 'critical'],
      ['PTRACE attached to process', 'privilege_escalation', 'medium'],
    ])('%s → type %s, severity %s, and validates', (rule, type, severity) => {
      const { alert } = only(byRule(rule));
      expect(alert).toMatchObject({ type, severity });
      expect(validateAlert(alert).ok).toBe(true);
    });

    it.each([
      ['Emergency', 'critical'],
      ['ALERT', 'critical'],
      ['critical', 'critical'],
      ['Error', 'high'],
      ['Warning', 'medium'],
      ['Notice', 'low'],
      ['Informational', 'low'],
      ['Debug', 'low'],
    ])('priority %s → %s', (priority, severity) => {
      expect(only({ ...byRule('Terminal shell in container'), priority }).alert?.severity).toBe(severity);
    });

    it('takes the connection client as source and the server as destination', () => {
      expect(only(byRule('Outbound Connection to C2 Servers')).alert).toMatchObject({
        sourceIp: '10.0.5.17',
        destinationIp: '198.51.100.77',
        user: 'root',
      });
    });

    it('treats <NA> addresses as absent and does not tag the host pseudo-container', () => {
      const record = byRule('Read sensitive file untrusted');
      record.output_fields['fd.sip'] = '<NA>';
      const { alert } = only(record);
      expect(alert?.destinationIp).toBeUndefined();
      expect(alert?.tags).not.toContain('container:host');
    });

    it('uses the rule name in snake_case when no tag is in the table', () => {
      const record = { ...byRule('Terminal shell in container'), rule: 'Launch Suspicious Network Tool in Container', tags: ['network'] };
      expect(only(record).alert?.type).toBe('launch_suspicious_network_tool_in_container');
    });

    it('picks the first tag in table order, not in the rule tag order', () => {
      const record = { ...byRule('Terminal shell in container'), tags: ['mitre_execution', 'mitre_privilege_escalation'] };
      expect(only(record).alert?.type).toBe('privilege_escalation');
    });
  });

  describe('over-long fields', () => {
    it('clips a 60,000-letter rule name to the title and the output to the description, naming each field', () => {
      const record = { rule: 'A'.repeat(60_000), priority: 'Notice', output: 'o'.repeat(12_000), time: '2024-03-01T10:00:00Z' };
      const item = only(record);
      expect({ title: item.alert?.title.length, description: item.alert?.description?.length, warnings: item.warnings }).toEqual({
        title: 1000,
        description: 10_000,
        warnings: [
          { path: '/rule', message: 'clipped to 1000 characters (was 60000)' },
          { path: '/output', message: 'clipped to 10000 characters (was 12000)' },
        ],
      });
    });

    it('keeps the whole record in raw', () => {
      const record = { rule: 'A'.repeat(60_000), priority: 'Notice' };
      expect(only(record).alert?.raw).toEqual(record);
    });
  });

  describe('bad input', () => {
    it.each([null, 'Notice', 1, [{ rule: 'x' }]])('rejects %j as not an object', (record) => {
      expect(normalizeFalco(record, tables)).toEqual([{ errors: [{ path: '/', message: expect.stringMatching(/JSON object/) }] }]);
    });

    it('requires a rule', () => {
      expect(only({ output: 'x', time: '2024-03-01T10:00:00Z' }).errors).toEqual([{ path: '/rule', message: 'is required' }]);
    });

    it('takes an unknown or missing priority as the default, naming the field', () => {
      const record = byRule('Outbound Connection to C2 Servers');
      record.priority = 'Severe';
      expect(only(record)).toMatchObject({
        alert: { severity: 'medium' },
        warnings: [{ path: '/priority', message: 'unknown priority "Severe"; used the default "medium"' }],
      });
      delete record.priority;
      expect(only(record).warnings).toEqual([{ path: '/priority', message: 'missing; used the default "medium"' }]);
    });

    it('names every bad field at once', () => {
      const record = byRule('Outbound Connection to C2 Servers');
      record.priority = 5;
      record.tags = 'network';
      record.output_fields['fd.cip'] = '10.0.5';
      record.output_fields['user.name'] = 0;
      record.time = 1709287770555;
      expect(only(record).errors).toEqual([
        { path: '/priority', message: 'must be a string' },
        { path: '/output_fields/fd.cip', message: 'must be an IPv4 or IPv6 address' },
        { path: '/output_fields/user.name', message: 'must be a string' },
        { path: '/time', message: 'must be a string' },
      ]);
    });

    it('rejects output_fields that is not an object and a rule of the wrong type', () => {
      expect(only({ ...byRule('Terminal shell in container'), rule: ['x'], output_fields: 'n/a' }).errors).toEqual([
        { path: '/rule', message: 'must be a string' },
        { path: '/output_fields', message: 'must be an object' },
      ]);
    });
  });
});
