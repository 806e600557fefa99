import { PRIORITIES, type Priority } from '../domain';

// Priority lanes: P1 work is leased, delivered and run before P3 and P4 work. Pure helpers
// of the outbox dispatcher.

/** Temporal's task priority (1 runs first, 3 is the server's default): P1 → 1 … P4 → 4. */
export function temporalPriority(priority: string): { priorityKey: number } {
  const index = PRIORITIES.indexOf(priority as Priority);
  return { priorityKey: index < 0 ? PRIORITIES.length : index + 1 };
}

export interface LaneRow {
  id: string;
  incident_id: string;
  priority: string;
}

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

/**
 * Runs `work` over `items` in order with at most `limit` in flight. Once `stop()` holds no
 * further item starts (those in flight finish); returns the items that never started. The
 * first error thrown by `work` stops it the same way and is rethrown once all lanes are done.
 */
export async function runBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
  stop: () => boolean,
): Promise<T[]> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < items.length && !stop() && !failure) {
      try {
        await work(items[next++]);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failure) throw failure.error;
  return items.slice(next);
}
