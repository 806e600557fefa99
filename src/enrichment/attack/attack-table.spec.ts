import { AttackTable, loadAttackTable, techniqueId } from './attack-table';

// Expected values are from data/attack/SOURCES.md ("Useful cases for tests") and the rows of techniques.json.
describe(AttackTable.name, () => {
  const table = loadAttackTable();

  it('is ATT&CK 18.1', () => {
    expect(table.version).toBe('18.1');
  });

  describe('technique', () => {
    it('names a current technique and its tactics (T1190)', () => {
      expect(table.technique('T1190')).toEqual({
        found: true,
        technique: { id: 'T1190', name: 'Exploit Public-Facing Application', tactics: ['initial-access'] },
      });
    });

    it('names a sub-technique with its parent (T1059.001)', () => {
      expect(table.technique('T1059.001')).toEqual({
        found: true,
        technique: {
          id: 'T1059.001',
          name: 'PowerShell',
          tactics: ['execution'],
          parent: { id: 'T1059', name: 'Command and Scripting Interpreter' },
        },
      });
    });

    it('reads ids in any case and with spaces around', () => {
      expect(table.technique(' t1190 ').found).toBe(true);
    });

    it('maps a revoked id to its replacement with a warning (T1086 → T1059.001)', () => {
      expect(table.technique('T1086')).toEqual({
        found: true,
        technique: expect.objectContaining({ id: 'T1059.001', name: 'PowerShell' }),
        replaces: 'T1086',
        warning: 'ATT&CK T1086 (PowerShell) is revoked; replaced by T1059.001 (PowerShell)',
      });
    });

    it('maps T1215 to T1547.006', () => {
      const r = table.technique('T1215');
      expect(r.found && r.technique.id).toBe('T1547.006');
    });

    it('follows a chain of revocations to its end (T1150 → T1547.011 → T1647)', () => {
      const r = table.technique('T1150');
      expect(r.found && [r.technique.id, r.replaces]).toEqual(['T1647', 'T1150']);
    });

    it('keeps a deprecated technique (no replacement) and warns (T1064)', () => {
      expect(table.technique('T1064')).toEqual({
        found: true,
        technique: { id: 'T1064', name: 'Scripting', tactics: ['defense-evasion', 'execution'] },
        deprecated: true,
        warning: 'ATT&CK T1064 (Scripting) is deprecated',
      });
    });

    it.each(['T9999', 'T1059.999', 'TA0001', 'DROP TABLE', ''])('does not find %j', (id) => {
      expect(table.technique(id)).toEqual({ found: false, warning: expect.stringContaining('is not a technique of ATT&CK 18.1') });
    });
  });

  describe('tactic', () => {
    const initialAccess = { id: 'TA0001', shortname: 'initial-access', name: 'Initial Access' };
    it.each(['TA0001', 'ta0001', 'initial-access', 'Initial Access', 'Initial_Access', 'initial_access'])(
      'finds Initial Access as %j',
      (ref) => {
        expect(table.tactic(ref)).toEqual(initialAccess);
      },
    );

    it('finds Command and Control by its name', () => {
      expect(table.tactic('Command and Control')).toEqual({ id: 'TA0011', shortname: 'command-and-control', name: 'Command and Control' });
    });

    it.each(['TA9999', 'remote_service', ''])('does not find %j', (ref) => {
      expect(table.tactic(ref)).toBeUndefined();
    });
  });

  it('refuses a table of the wrong shape', () => {
    expect(() => AttackTable.fromJson({ techniques: [] }, { tactics: [] })).toThrow(/attack_version/);
  });
});

describe('techniqueId', () => {
  it.each([
    ['T1059.001', 'T1059.001'],
    ['t1059', 'T1059'],
    ['T10591', undefined],
    ['T1059.1', undefined],
    ['mitre_execution', undefined],
  ])('%j is %j', (text, id) => {
    expect(techniqueId(text)).toBe(id);
  });
});

describe('AttackTable.killChain', () => {
  it('lists the 14 Enterprise tactics in matrix order', () => {
    expect(loadAttackTable().killChain.map((t) => t.id)).toEqual([
      'TA0043',
      'TA0042',
      'TA0001',
      'TA0002',
      'TA0003',
      'TA0004',
      'TA0005',
      'TA0006',
      'TA0007',
      'TA0008',
      'TA0009',
      'TA0011',
      'TA0010',
      'TA0040',
    ]);
  });

  it('orders by matrix_order, not by file order', () => {
    const table = AttackTable.fromJson(
      { attack_version: 't', techniques: [] },
      {
        attack_version: 't',
        tactics: [
          { id: 'TA0002', shortname: 'execution', name: 'Execution', matrix_order: 1 },
          { id: 'TA0009', shortname: 'collection', name: 'Collection' },
          { id: 'TA0001', shortname: 'initial-access', name: 'Initial Access', matrix_order: 0 },
        ],
      },
    );
    expect(table.killChain.map((t) => t.id)).toEqual(['TA0001', 'TA0002', 'TA0009']);
  });
});
