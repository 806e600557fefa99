/** Time kept after the last call a lease allows, to record what was delivered before the lease runs out. */
export const LEASE_MARGIN_MS = 1000;

/**
 * Whether one more outside call may start with `leaseLeftMs` of a lease left: only if it ends
 * (by its timeout) with the margin to spare, so a lease never runs out while a call is on the
 * wire and no other worker can take a row this one may still be delivering.
 */
export function mayStart(leaseLeftMs: number, callTimeoutMs: number): boolean {
  return leaseLeftMs >= callTimeoutMs + LEASE_MARGIN_MS;
}

/** The lease on one leased batch, by a monotonic clock read before the database took it. */
export class Lease {
  private readonly endsAt: number;

  constructor(
    seconds: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    // Read before the lease is taken: its end by this clock is never later than the database's.
    this.endsAt = clock() + seconds * 1000;
  }

  leftMs(): number {
    return this.endsAt - this.clock();
  }

  mayStart(callTimeoutMs: number): boolean {
    return mayStart(this.leftMs(), callTimeoutMs);
  }
}
