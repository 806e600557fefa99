import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWardenConfig } from '../../config/warden-config';
import type { SecurityAlert } from '../../domain';
import { normalizers, type FormatName } from '../../ingest/normalizers';
import { validateAlert } from '../../ingest/security-alert';
import { AttackLookup, attackConfigProblems, attackFileSchema } from './attack';
import { loadAttackTable } from './attack-table';

const fixtures = join(__dirname, '..', '..', '..', 'test', 'fixtures');
const shipped = loadWardenConfig(join(__dirname, '..', '..', '..', 'config'));
const jsonl = (file: string): unknown[] =>
  readFileSync(join(fixtures, file), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

/** A monitor's record as ingest stores it: normalized by the real normalizer and validated (raw kept). */
function normalized(format: FormatName, record: unknown): SecurityAlert {
  const [item] = normalizers[format](record, shipped.formats);
  const v = validateAlert(item.alert);
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.alert;
}

const table = loadAttackTable();
/** Payload only: no per-type mapping. */
const payloadOnly = new AttackLookup(table, attackFileSchema.parse({}));
const ids = (hits: { id: string }[]) => hits.map((h) => h.id);

describe(AttackLookup.name, () => {
  describe('Falco tags (real alerts)', () => {
    const [shell, sensitive] = jsonl('attack/falco-falcosecurity.jsonl');
    const elastic = jsonl('attack/falco-elastic-integrations.jsonl');

    it('takes T1555 and mitre_credential_access', () => {
      const found = payloadOnly.enrich(normalized('falco', sensitive));
      expect([found.techniques, found.tactics]).toEqual([
        [{ id: 'T1555', name: 'Credentials from Password Stores', tactics: ['credential-access'], origin: 'payload' }],
        [{ id: 'TA0006', shortname: 'credential-access', name: 'Credential Access', origin: 'payload' }],
      ]);
    });

    it('takes a tactic tag alone (mitre_execution, no technique)', () => {
      const found = payloadOnly.enrich(normalized('falco', shell));
      expect([ids(found.techniques), ids(found.tactics)]).toEqual([[], ['TA0002']]);
    });

    it('takes T1059 beside other tags (NIST_800-53_AC-2 is no ATT&CK id)', () => {
      const found = payloadOnly.enrich(normalized('falco', elastic[1]));
      expect([ids(found.techniques), ids(found.tactics), found.warnings]).toEqual([['T1059'], ['TA0002'], []]);
    });

    it('takes a sub-technique (T1059.004) with its parent', () => {
      const found = payloadOnly.enrich(normalized('falco', elastic[3]));
      expect(found.techniques).toContainEqual(
        expect.objectContaining({ id: 'T1059.004', parent: { id: 'T1059', name: 'Command and Scripting Interpreter' } }),
      );
    });
  });

  describe('Wazuh rule.mitre (real alerts)', () => {
    const alerts = jsonl('attack/wazuh-documentation.jsonl');

    it('takes T1110 and the tactic by name (Credential Access)', () => {
      const found = payloadOnly.enrich(normalized('wazuh', alerts[0]));
      expect([ids(found.techniques), ids(found.tactics)]).toEqual([['T1110'], ['TA0006']]);
    });

    it('takes one technique with four tactics (rule 40101, T1078), in the order given', () => {
      const found = payloadOnly.enrich(normalized('wazuh', alerts[2]));
      expect([ids(found.techniques), found.tactics.map((t) => [t.name, t.origin])]).toEqual([
        ['T1078'],
        [
          ['Defense Evasion', 'payload'],
          ['Persistence', 'payload'],
          ['Privilege Escalation', 'payload'],
          ['Initial Access', 'payload'],
        ],
      ]);
    });

    it('finds nothing in an alert without rule.mitre (rule 111801)', () => {
      expect(payloadOnly.enrich(normalized('wazuh', alerts[3]))).toEqual({ techniques: [], tactics: [], warnings: [] });
    });

    it('maps a revoked id to its replacement and says so', () => {
      const record = JSON.parse(JSON.stringify(alerts[0]));
      record.rule.mitre = { id: ['T1086'], tactic: ['Execution'], technique: ['PowerShell'] };
      const found = payloadOnly.enrich(normalized('wazuh', record));
      expect([found.techniques, found.warnings]).toEqual([
        [expect.objectContaining({ id: 'T1059.001', name: 'PowerShell', replaces: 'T1086', origin: 'payload' })],
        ['ATT&CK T1086 (PowerShell) is revoked; replaced by T1059.001 (PowerShell)'],
      ]);
    });
  });

  describe('Suricata alert.metadata', () => {
    it('takes mitre_technique_id and mitre_tactic_id (and the same tactic by name once)', () => {
      const record = JSON.parse(readFileSync(join(fixtures, 'suricata', 'attack-metadata.json'), 'utf8'));
      const found = payloadOnly.enrich(normalized('suricata', record));
      expect([ids(found.techniques), ids(found.tactics), found.warnings]).toEqual([['T1190'], ['TA0001'], []]);
    });

    it('finds nothing in a record without metadata (the 2018 captures)', () => {
      const [record] = JSON.parse(readFileSync(join(fixtures, 'suricata', 'sample.json'), 'utf8'));
      expect(payloadOnly.enrich(normalized('suricata', record)).techniques).toEqual([]);
    });
  });

  describe('ECS threat.*', () => {
    // Written for Warden in the shape of ECS threat fields (ecs threat.technique.*, threat.tactic.*).
    const doc = {
      '@timestamp': '2024-05-07T18:54:19.341Z',
      event: { kind: 'alert', category: ['intrusion_detection'], severity: 73 },
      rule: { name: 'Suspicious PowerShell' },
      observer: { product: 'sensor' },
      threat: {
        framework: 'MITRE ATT&CK',
        technique: [{ id: ['T1059'], name: ['Command and Scripting Interpreter'], subtechnique: { id: ['T1059.001'] } }],
        tactic: { id: ['TA0002'], name: ['Execution'] },
      },
    };

    it('takes techniques, sub-techniques and tactics', () => {
      const found = payloadOnly.enrich(normalized('ecs', doc));
      expect([ids(found.techniques), ids(found.tactics)]).toEqual([['T1059', 'T1059.001'], ['TA0002']]);
    });

    it('reads flattened keys inside an Elasticsearch hit', () => {
      const { threat: _threat, ...rest } = doc;
      const hit = { _id: 'x1', _source: { ...rest, 'threat.technique.id': 'T1110', 'threat.tactic.id': 'TA0006' } };
      const found = payloadOnly.enrich(normalized('ecs', hit));
      expect([ids(found.techniques), ids(found.tactics)]).toEqual([['T1110'], ['TA0006']]);
    });

    it("reads a Kibana alert's kibana.alert.rule.threat", () => {
      const { threat: _threat, ...rest } = doc;
      const alert = {
        ...rest,
        'kibana.alert.rule.threat': [
          {
            framework: 'MITRE ATT&CK',
            tactic: { id: 'TA0006', name: 'Credential Access' },
            technique: [{ id: 'T1110', subtechnique: [{ id: 'T1110.001' }] }],
          },
        ],
      };
      const found = payloadOnly.enrich(normalized('ecs', alert));
      expect([ids(found.techniques), ids(found.tactics)]).toEqual([['T1110', 'T1110.001'], ['TA0006']]);
    });
  });

  describe('Alertmanager labels', () => {
    const webhook = (labels: Record<string, string>) => ({
      version: '4',
      status: 'firing',
      receiver: 'warden',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'WebShell', severity: 'critical', ...labels },
          annotations: {},
          startsAt: '2024-01-01T00:00:00Z',
        },
      ],
    });

    it('takes the configured labels, each value listing several ids', () => {
      const found = payloadOnly.enrich(
        normalized('alertmanager', webhook({ mitre_technique: 'T1190, T1505.003', mitre_tactic: 'initial-access persistence' })),
      );
      expect([ids(found.techniques), ids(found.tactics)]).toEqual([
        ['T1190', 'T1505.003'],
        ['TA0001', 'TA0003'],
      ]);
    });

    it('reads other label names when the config says so', () => {
      const lookup = new AttackLookup(
        table,
        attackFileSchema.parse({ alertmanager: { technique_labels: ['attack_id'], tactic_labels: [] } }),
      );
      const found = lookup.enrich(normalized('alertmanager', webhook({ attack_id: 'T1110', mitre_technique: 'T1190' })));
      expect(ids(found.techniques)).toEqual(['T1110']);
    });
  });

  it("takes technique ids from any alert's tags (T1190, Sigma's attack.t1059.001)", () => {
    const found = payloadOnly.enrich({ source: 'sigma', type: 'x', tags: ['attack.t1059.001', 'T1190', 'attack.execution', 'prod'] });
    expect(ids(found.techniques)).toEqual(['T1059.001', 'T1190']);
  });

  it('warns about an unknown tactic and an unknown technique, and keeps what it knows', () => {
    const found = payloadOnly.enrich({ source: 'falco', type: 'x', raw: { tags: ['T1555', 'T9999', 'mitre_remote_service'] } });
    expect([ids(found.techniques), found.warnings]).toEqual([
      ['T1555'],
      ['ATT&CK "T9999" is not a technique of ATT&CK 18.1', 'ATT&CK "remote_service" is not a tactic'],
    ]);
  });

  describe('per-type mapping', () => {
    const lookup = new AttackLookup(
      table,
      attackFileSchema.parse({ types: { sql_injection: { techniques: ['T1190'] }, malware: { tactics: ['execution'] } } }),
    );

    it("adds the type's technique, and its tactic since none was named", () => {
      const found = lookup.enrich({ source: 'ids', type: 'sql_injection' });
      expect([found.techniques.map((t) => [t.id, t.origin]), found.tactics.map((t) => [t.id, t.origin])]).toEqual([
        [['T1190', 'type']],
        [['TA0001', 'technique']],
      ]);
    });

    it("adds the type's tactic", () => {
      expect(lookup.enrich({ source: 'ids', type: 'malware' }).tactics).toEqual([
        { id: 'TA0002', shortname: 'execution', name: 'Execution', origin: 'type' },
      ]);
    });

    it('lists a technique the payload and the type both name once, as from the payload', () => {
      const found = lookup.enrich({ source: 'ids', type: 'sql_injection', tags: ['T1190'] });
      expect(found.techniques.map((t) => [t.id, t.origin])).toEqual([['T1190', 'payload']]);
    });
  });
});

describe('attackConfigProblems', () => {
  it('is an error for an unknown technique or tactic, a warning for a revoked one', () => {
    const config = attackFileSchema.parse({ types: { a: { techniques: ['T1190', 'T9999', 'T1086'], tactics: ['not-a-tactic'] } } });
    expect(attackConfigProblems(config, table)).toEqual({
      errors: [
        { path: ['types', 'a', 'techniques', 1], message: 'ATT&CK "T9999" is not a technique of ATT&CK 18.1' },
        { path: ['types', 'a', 'tactics', 0], message: '"not-a-tactic" is not an ATT&CK tactic' },
      ],
      warnings: [
        { path: ['types', 'a', 'techniques', 2], message: 'ATT&CK T1086 (PowerShell) is revoked; replaced by T1059.001 (PowerShell)' },
      ],
    });
  });

  it('finds nothing wrong in the shipped config/attack.yaml', () => {
    expect(attackConfigProblems(shipped.attack, table)).toEqual({ errors: [], warnings: [] });
  });
});
