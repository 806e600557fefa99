import { AttackTable, loadAttackTable } from '../enrichment/attack/attack-table';
import { attackMatrix, geoTops } from './attack-matrix';

describe(attackMatrix.name, () => {
  const table = loadAttackTable();

  it('has every tactic of the table as a column, in kill-chain order, with zeros', () => {
    const matrix = attackMatrix(table, []);
    expect([matrix.version, matrix.tactics.map((t) => `${t.id} ${t.name} ${t.incidents}`)]).toEqual([
      '18.1',
      [
        'TA0043 Reconnaissance 0',
        'TA0042 Resource Development 0',
        'TA0001 Initial Access 0',
        'TA0002 Execution 0',
        'TA0003 Persistence 0',
        'TA0004 Privilege Escalation 0',
        'TA0005 Defense Evasion 0',
        'TA0006 Credential Access 0',
        'TA0007 Discovery 0',
        'TA0008 Lateral Movement 0',
        'TA0009 Collection 0',
        'TA0011 Command and Control 0',
        'TA0010 Exfiltration 0',
        'TA0040 Impact 0',
      ],
    ]);
  });

  it('puts each technique under its tactic, most incidents first, a sub-technique named after its parent', () => {
    const matrix = attackMatrix(table, [
      { tactic: 'TA0002', technique: null, incidents: 4 },
      { tactic: 'TA0002', technique: 'T1059.001', incidents: 1 },
      { tactic: 'TA0002', technique: 'T1204', incidents: 1 },
      { tactic: 'TA0002', technique: 'T1059', incidents: 3 },
      { tactic: 'TA0001', technique: null, incidents: 1 },
    ]);
    expect(matrix.tactics.find((t) => t.id === 'TA0002')).toEqual({
      id: 'TA0002',
      shortname: 'execution',
      name: 'Execution',
      incidents: 4,
      techniques: [
        { id: 'T1059', name: 'Command and Scripting Interpreter', incidents: 3 },
        { id: 'T1059.001', name: 'Command and Scripting Interpreter: PowerShell', incidents: 1 },
        { id: 'T1204', name: 'User Execution', incidents: 1 },
      ],
    });
  });

  it('keeps a technique the table revoked since under its own id', () => {
    const matrix = attackMatrix(table, [{ tactic: 'TA0002', technique: 'T1086', incidents: 2 }]);
    expect(matrix.tactics.find((t) => t.id === 'TA0002')!.techniques).toEqual([{ id: 'T1086', name: 'T1086', incidents: 2 }]);
  });

  it('adds a tactic the table does not know after the others, under its id', () => {
    const small = AttackTable.fromJson(
      { attack_version: 't', techniques: [] },
      { attack_version: 't', tactics: [{ id: 'TA0001', shortname: 'initial-access', name: 'Initial Access', matrix_order: 0 }] },
    );
    const matrix = attackMatrix(small, [{ tactic: 'TA0099', technique: null, incidents: 1 }]);
    expect(matrix.tactics).toEqual([
      { id: 'TA0001', shortname: 'initial-access', name: 'Initial Access', incidents: 0, techniques: [] },
      { id: 'TA0099', shortname: 'TA0099', name: 'TA0099', incidents: 1, techniques: [] },
    ]);
  });
});

describe(geoTops.name, () => {
  it('splits the rollup sums into countries and ASNs, in the order given', () => {
    expect(
      geoTops([
        { kind: 'country', value: 'SE', label: 'Sweden', alerts: 3 },
        { kind: 'country', value: 'GB', label: 'United Kingdom', alerts: 1 },
        { kind: 'asn', value: '29518', label: 'Bredband2 AB', alerts: 3 },
        { kind: 'asn', value: '209', label: null, alerts: 1 },
      ]),
    ).toEqual({
      topCountries: [
        { iso: 'SE', name: 'Sweden', alerts: 3 },
        { iso: 'GB', name: 'United Kingdom', alerts: 1 },
      ],
      topAsns: [
        { number: 29518, organization: 'Bredband2 AB', alerts: 3 },
        { number: 209, organization: null, alerts: 1 },
      ],
    });
  });
});
