import { comparePriority, higherSeverity, isMoreUrgent, PRIORITIES, raisePriority } from '.';

describe('higherSeverity', () => {
  it.each([
    ['low', 'medium', 'medium'],
    ['medium', 'low', 'medium'],
    ['high', 'critical', 'critical'],
    ['critical', 'high', 'critical'],
    ['high', 'high', 'high'],
  ] as const)('of %s and %s is %s', (a, b, expected) => {
    expect(higherSeverity(a, b)).toBe(expected);
  });
});

describe('comparePriority', () => {
  it('sorts P1 first', () => {
    expect(['P3', 'P1', 'P4', 'P2'].map((p) => p as (typeof PRIORITIES)[number]).sort(comparePriority)).toEqual(['P1', 'P2', 'P3', 'P4']);
  });

  it.each([
    ['P1', 'P2', true],
    ['P2', 'P1', false],
    ['P3', 'P3', false],
  ] as const)('says %s is more urgent than %s: %s', (a, b, expected) => {
    expect(isMoreUrgent(a, b)).toBe(expected);
  });
});

describe('raisePriority', () => {
  it.each([
    ['P1', 'P2', 'P1'],
    ['P2', 'P1', 'P1'],
    ['P4', 'P3', 'P3'],
    ['P3', 'P3', 'P3'],
  ] as const)('of %s with %s is %s', (a, b, expected) => {
    expect(raisePriority(a, b)).toBe(expected);
  });
});
