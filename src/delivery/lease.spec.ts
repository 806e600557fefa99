import { Lease, LEASE_MARGIN_MS, mayStart } from './lease';

describe('mayStart', () => {
  it('starts a call only if it ends, by its timeout, with the margin left on the lease', () => {
    expect(mayStart(60_000, 5000)).toBe(true);
    expect(mayStart(5000 + LEASE_MARGIN_MS, 5000)).toBe(true);
    expect(mayStart(5000 + LEASE_MARGIN_MS - 1, 5000)).toBe(false);
    expect(mayStart(0, 5000)).toBe(false);
    expect(mayStart(-1000, 5000)).toBe(false);
  });

  it('never lets a worst-case batch outlast its lease: 100 calls that each take the whole timeout', () => {
    const leaseMs = 60_000;
    const timeoutMs = 5000;
    let elapsed = 0;
    let started = 0;
    while (started < 100 && mayStart(leaseMs - elapsed, timeoutMs)) {
      started++;
      elapsed += timeoutMs;
    }
    expect(started).toBe(11);
    expect(elapsed).toBeLessThanOrEqual(leaseMs - LEASE_MARGIN_MS);
  });
});

describe('Lease', () => {
  it('counts down from the clock read when it was taken', () => {
    let now = 1000;
    const lease = new Lease(60, () => now);
    now = 51_000;
    expect(lease.leftMs()).toBe(10_000);
    expect(lease.mayStart(9000)).toBe(true);
    expect(lease.mayStart(9001)).toBe(false);
  });
});
