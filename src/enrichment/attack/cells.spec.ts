import type { SecurityAlert } from '../../domain';
import { AttackLookup, attackFileSchema } from './attack';
import { loadAttackTable } from './attack-table';
import { attackCellsOf } from './cells';

const lookup = new AttackLookup(loadAttackTable(), attackFileSchema.parse({}));
/** A native alert naming ATT&CK ids in its tags, enriched against the real table. */
const enriched = (tags: string[]) =>
  lookup.enrich({ source: 'edr', type: 'custom', severity: 'high', title: 't', tags } as SecurityAlert & { tags: string[] });

describe(attackCellsOf.name, () => {
  it('puts a technique under the tactic it brought (T1059: execution)', () => {
    expect(attackCellsOf(enriched(['T1059']))).toEqual([
      { tactic: 'TA0002', technique: null },
      { tactic: 'TA0002', technique: 'T1059' },
    ]);
  });

  it('puts a technique named alone under each of its tactics (T1078: four)', () => {
    expect(attackCellsOf(enriched(['T1078']))).toEqual([
      { tactic: 'TA0001', technique: null },
      { tactic: 'TA0001', technique: 'T1078' },
      { tactic: 'TA0003', technique: null },
      { tactic: 'TA0003', technique: 'T1078' },
      { tactic: 'TA0004', technique: null },
      { tactic: 'TA0004', technique: 'T1078' },
      { tactic: 'TA0005', technique: null },
      { tactic: 'TA0005', technique: 'T1078' },
    ]);
  });

  it('puts a technique only under the tactics named with it', () => {
    const e = {
      techniques: [{ id: 'T1078', tactics: ['defense-evasion', 'persistence', 'privilege-escalation', 'initial-access'] }],
      tactics: [{ id: 'TA0001', shortname: 'initial-access' }],
    };
    expect(attackCellsOf(e)).toEqual([
      { tactic: 'TA0001', technique: null },
      { tactic: 'TA0001', technique: 'T1078' },
    ]);
  });

  it('gives a tactic named without a technique its own cell only', () => {
    const e = { techniques: [], tactics: [{ id: 'TA0010', shortname: 'exfiltration' }] };
    expect(attackCellsOf(e)).toEqual([{ tactic: 'TA0010', technique: null }]);
  });

  it('keeps a sub-technique apart from its parent', () => {
    expect(attackCellsOf(enriched(['T1059.001', 'T1059']))).toEqual([
      { tactic: 'TA0002', technique: null },
      { tactic: 'TA0002', technique: 'T1059' },
      { tactic: 'TA0002', technique: 'T1059.001' },
    ]);
  });

  it('gives nothing for an alert without ATT&CK', () => {
    expect(attackCellsOf({ techniques: [], tactics: [] })).toEqual([]);
  });
});
