import { PRIORITIES, type Priority } from '../domain';
import type { Columns } from '../database/rows';

// Priority lanes: P1 work is leased, delivered and run before P3 and P4 work. Pure helpers
// of the outbox dispatcher.

/** Temporal's task priority (1 runs first, 3 is the server's default): P1 → 1 … P4 → 4. */
export function temporalPriority(priority: string): { priorityKey: number } {
  const index = PRIORITIES.indexOf(priority as Priority);
  return { priorityKey: index < 0 ? PRIORITIES.length : index + 1 };
}

export type LaneRow = Columns<'outbox', 'id' | 'incident_id' | 'priority'>;

/** Lease order: priority (text 'P1' < 'P2' …), then age. */
export const leaseOrder = (a: LaneRow, b: LaneRow): number =>
  a.priority < b.priority ? -1 : a.priority > b.priority ? 1 : Number(BigInt(a.id) - BigInt(b.id));

/**
 * One group per incident, in lease order of its most urgent row; inside a group, rows in id
 * order. Groups run side by side; a group's rows run one after the other, so an incident's
 * workflow hears its changes in the order they were written.
 */
export function incidentGroups<T extends LaneRow>(rows: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of [...rows].sort(leaseOrder)) {
    const group = groups.get(row.incident_id);
    if (group) group.push(row);
    else groups.set(row.incident_id, [row]);
  }
  return [...groups.values()].map((g) => g.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id))));
}
