import { backoffSeconds, isDeadLetter } from './retry';

describe('backoffSeconds', () => {
  it('waits 1 s after the first attempt', () => {
    expect(backoffSeconds(1, 300)).toBe(1);
  });

  it('doubles with each further attempt', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffSeconds(n, 1000))).toEqual([1, 2, 4, 8, 16, 32]);
  });

  it('never waits longer than the maximum', () => {
    expect(backoffSeconds(9, 60)).toBe(60);
    expect(backoffSeconds(100, 60)).toBe(60);
  });

  it('reaches the maximum exactly when the doubling does', () => {
    expect(backoffSeconds(7, 64)).toBe(64);
  });

  it('treats zero attempts like the first', () => {
    expect(backoffSeconds(0, 300)).toBe(1);
  });

  it('waits no less than the Retry-After the receiver asked for, even past the maximum', () => {
    expect(backoffSeconds(1, 60, 3)).toBe(3);
    expect(backoffSeconds(1, 60, 120)).toBe(120);
    expect(backoffSeconds(6, 60, 3)).toBe(32);
  });
});

describe('isDeadLetter', () => {
  const base = { permanent: false, failures: 1, maxFailures: 10, ageSeconds: 0, maxAgeSeconds: 3600 };

  it('retries a refused row until its failures reach the maximum', () => {
    expect([1, 9, 10, 11].map((failures) => isDeadLetter({ ...base, failures }))).toEqual([false, false, true, true]);
  });

  it('gives up on a row still failing at its maximum age', () => {
    expect([0, 3599, 3600].map((ageSeconds) => isDeadLetter({ ...base, maxFailures: Infinity, ageSeconds }))).toEqual([false, false, true]);
  });

  it('gives up at once on a refusal trying again cannot help', () => {
    expect(isDeadLetter({ ...base, permanent: true })).toBe(true);
  });
});
