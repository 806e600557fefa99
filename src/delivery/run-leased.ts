import { runBounded } from '../common/run-bounded';

/**
 * How one delivery ended: `next` (done, or out of the line for good: the group goes on), `wait` (it
 * backs off, so the group's later rows wait behind it), `again` (cut short before it could finish:
 * it and the later rows go back as they were), `halt` (the receiver is out of reach: nothing more starts).
 */
export type Delivered = 'next' | 'wait' | 'again' | 'halt';

/**
 * Delivers leased rows group by group (a group's rows one after the other, in order), at most
 * `concurrency` groups at a time. A row starts only while `mayStart(row)` holds (its lease has room
 * for it); every row that did not start, and every row behind one that did not finish, is returned
 * so the caller hands it back at once instead of when the lease runs out.
 */
export async function runLeased<T>(
  groups: readonly (readonly T[])[],
  o: {
    concurrency: number;
    mayStart: (row: T) => boolean;
    stopped: () => boolean;
    deliver: (row: T) => Promise<Delivered>;
  },
): Promise<{ handBack: T[]; halted: boolean }> {
  const handBack: T[] = [];
  let halted = false;
  const deliverGroup = async (group: readonly T[]) => {
    for (const [i, row] of group.entries()) {
      if (halted || o.stopped() || !o.mayStart(row)) {
        handBack.push(...group.slice(i));
        return;
      }
      const outcome = await o.deliver(row);
      if (outcome === 'next') continue;
      if (outcome === 'halt') halted = true;
      handBack.push(...group.slice(outcome === 'again' ? i : i + 1));
      return;
    }
  };
  const notStarted = await runBounded(groups, o.concurrency, deliverGroup, () => halted || o.stopped());
  return { handBack: [...handBack, ...notStarted.flat()], halted };
}
