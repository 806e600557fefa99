import { alertViewStatus, comparePriority, higherSeverity, isMoreUrgent, PRIORITIES, raisePriority } from '.';

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

describe('alertViewStatus', () => {
  const at = new Date('2025-01-01T00:05:00Z');

  it.each([
    // A monitor that reports resolution (Alertmanager): firing until its resolved notice.
    ['new', 'alertmanager', null, 'firing'],
    ['duplicate', 'alertmanager', null, 'firing'],
    ['new', 'alertmanager', at, 'resolved'],
    ['duplicate', 'alertmanager', '2025-01-01T00:05:00Z', 'resolved'],
    ['suppressed', 'alertmanager', null, 'suppressed'],
    // Other monitors never say an alert is over: the stored status.
    ['new', 'suricata', null, 'new'],
    ['duplicate', 'ids-1', null, 'duplicate'],
    ['suppressed', 'ids-1', null, 'suppressed'],
  ] as const)('of a %s alert from %s resolved at %s is %s', (status, source, resolvedAt, expected) => {
    expect(alertViewStatus(status, source, resolvedAt)).toBe(expected);
  });
});
