import { outboxBackoffSeconds } from './outbox';

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
