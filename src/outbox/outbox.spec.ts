import { isDeadLetter, LEASE_MARGIN_MS, mayStartSignal, outboxBackoffSeconds } from './outbox';

describe('outboxBackoffSeconds', () => {
  it('waits 1 s after the first attempt', () => {
    expect(outboxBackoffSeconds(1, 300)).toBe(1);
  });

  it('doubles with each further attempt', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => outboxBackoffSeconds(n, 1000))).toEqual([1, 2, 4, 8, 16, 32]);
  });

  it('never waits longer than the maximum', () => {
    expect(outboxBackoffSeconds(9, 60)).toBe(60);
    expect(outboxBackoffSeconds(100, 60)).toBe(60);
  });

  it('reaches the maximum exactly when the doubling does', () => {
    expect(outboxBackoffSeconds(7, 64)).toBe(64);
  });

  it('treats zero attempts like the first', () => {
    expect(outboxBackoffSeconds(0, 300)).toBe(1);
  });
});

describe('mayStartSignal', () => {
  it('starts a signal only if it ends, by its timeout, with the margin left on the lease', () => {
    expect(mayStartSignal(60_000, 5000)).toBe(true);
    expect(mayStartSignal(5000 + LEASE_MARGIN_MS, 5000)).toBe(true);
    expect(mayStartSignal(5000 + LEASE_MARGIN_MS - 1, 5000)).toBe(false);
    expect(mayStartSignal(0, 5000)).toBe(false);
    expect(mayStartSignal(-1000, 5000)).toBe(false);
  });

  it('never lets a worst-case batch outlast its lease: 100 signals that each take the whole timeout', () => {
    const leaseMs = 60_000;
    const timeoutMs = 5000;
    let elapsed = 0;
    let started = 0;
    while (started < 100 && mayStartSignal(leaseMs - elapsed, timeoutMs)) {
      started++;
      elapsed += timeoutMs;
    }
    expect(started).toBe(11);
    expect(elapsed).toBeLessThanOrEqual(leaseMs - LEASE_MARGIN_MS);
  });
});

describe('isDeadLetter', () => {
  it('retries a refused row until its failures reach the maximum', () => {
    expect([1, 9, 10, 11].map((n) => isDeadLetter(n, 10))).toEqual([false, false, true, true]);
  });
});
