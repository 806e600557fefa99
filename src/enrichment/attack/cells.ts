import type { TacticHit, TechniqueHit } from './attack';

/**
 * One cell of the ATT&CK matrix an alert falls in: a technique under one of its tactics, or
 * (technique null) the tactic itself, which every alert with the tactic fills.
 */
export interface AttackCell {
  tactic: string;
  technique: string | null;
}

/**
 * The matrix cells of an alert's ATT&CK enrichment: each tactic, and each technique under those
 * of the alert's tactics it belongs to (T1078 named with initial-access sits there only; named
 * alone, enrichment gave it all four of its tactics). Sorted, each once.
 */
export function attackCellsOf(e: {
  techniques: readonly Pick<TechniqueHit, 'id' | 'tactics'>[];
  tactics: readonly Pick<TacticHit, 'id' | 'shortname'>[];
}): AttackCell[] {
  const cells = new Map<string, AttackCell>();
  const add = (tactic: string, technique: string | null) => cells.set(JSON.stringify([tactic, technique ?? '']), { tactic, technique });
  for (const tactic of e.tactics) {
    add(tactic.id, null);
    for (const technique of e.techniques) if (technique.tactics.includes(tactic.shortname)) add(tactic.id, technique.id);
  }
  return [...cells].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, cell]) => cell);
}
