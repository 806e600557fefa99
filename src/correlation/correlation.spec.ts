import type { SecurityAlert } from '../domain';
import { correlationKey, isWithinDedupWindow, milestoneCrossed, type OpenIncident, planCorrelation } from './correlation';
import type { RuleDecision } from './rules';

const alert = (over: Partial<SecurityAlert> = {}): SecurityAlert => ({
  source: 'ids',
  type: 'port_scan',
  severity: 'medium',
  title: 't',
  ...over,
});

const decision = (over: Partial<RuleDecision> = {}): RuleDecision => ({
  rule: 'r',
  action: 'correlate',
  priority: 'P3',
  correlateBy: ['sourceIp'],
  correlationWindowSeconds: 3600,
  dedupFields: ['source', 'type'],
  dedupWindowSeconds: 300,
  playbooks: [],
  assignRole: 'analyst',
  storm: null,
  ...over,
});

const NOW = new Date('2025-06-01T12:00:00Z');
const secondsAgo = (s: number) => new Date(NOW.getTime() - s * 1000);

const incident = (over: Partial<OpenIncident> = {}): OpenIncident => ({
  id: 'inc-1',
  severity: 'medium',
  priority: 'P3',
  types: ['port_scan'],
  alertCount: 3,
  lastSeenAt: secondsAgo(60),
  ...over,
});

describe('correlationKey', () => {
  const FP = 'abc123';

  it('keys an immediate alert on its fingerprint, even with correlation fields', () => {
    expect(correlationKey(decision({ action: 'immediate' }), alert({ sourceIp: '1.2.3.4' }), FP)).toBe('fingerprint=abc123');
  });

  it('keys on the correlation field', () => {
    expect(correlationKey(decision({ correlateBy: ['sourceIp'] }), alert({ sourceIp: '1.2.3.4' }), FP)).toBe('sourceIp=1.2.3.4');
  });

  it('falls back to the fingerprint when the correlation field is missing', () => {
    expect(correlationKey(decision({ correlateBy: ['sourceIp'] }), alert(), FP)).toBe('fingerprint=abc123');
  });

  it('joins several fields in order with |', () => {
    expect(correlationKey(decision({ correlateBy: ['user', 'host'] }), alert({ user: 'alice', host: 'web-1' }), FP)).toBe(
      'user=alice|host=web-1',
    );
  });

  it('falls back to the fingerprint when only some of several fields are present', () => {
    expect(correlationKey(decision({ correlateBy: ['user', 'host'] }), alert({ user: 'alice' }), FP)).toBe('fingerprint=abc123');
  });

  it('falls back to the fingerprint when there are no correlation fields', () => {
    expect(correlationKey(decision({ correlateBy: [] }), alert({ sourceIp: '1.2.3.4' }), FP)).toBe('fingerprint=abc123');
  });

  it('groups batch alerts by their correlation fields too', () => {
    expect(correlationKey(decision({ action: 'batch' }), alert({ sourceIp: '1.2.3.4' }), FP)).toBe('sourceIp=1.2.3.4');
  });
});

describe('planCorrelation', () => {
  describe('without an open incident', () => {
    it('creates one', () => {
      expect(planCorrelation(null, alert(), decision(), NOW)).toEqual({ kind: 'create' });
    });
  });

  describe('with a stale incident', () => {
    it('creates a new one and closes the stale one', () => {
      const open = incident({ lastSeenAt: secondsAgo(3601) });
      expect(planCorrelation(open, alert(), decision({ correlationWindowSeconds: 3600 }), NOW)).toEqual({
        kind: 'create',
        closeStale: 'inc-1',
      });
    });

    it('still joins one last seen exactly at the window start', () => {
      const open = incident({ lastSeenAt: secondsAgo(3600) });
      expect(planCorrelation(open, alert(), decision({ correlationWindowSeconds: 3600 }), NOW).kind).toBe('join');
    });

    it('uses the decision window', () => {
      const open = incident({ lastSeenAt: secondsAgo(120) });
      expect(planCorrelation(open, alert(), decision({ correlationWindowSeconds: 60 }), NOW)).toEqual({
        kind: 'create',
        closeStale: 'inc-1',
      });
    });
  });

  describe('joining an open incident', () => {
    it('joins it by id', () => {
      const plan = planCorrelation(incident(), alert(), decision(), NOW);
      expect(plan).toMatchObject({ kind: 'join', incidentId: 'inc-1' });
    });

    it('raises the severity to the alert severity', () => {
      const plan = planCorrelation(incident({ severity: 'medium' }), alert({ severity: 'critical' }), decision(), NOW);
      expect(plan).toMatchObject({ severity: 'critical', changes: { severityRose: true }, notify: true });
    });

    it('keeps the incident severity when the alert is lower', () => {
      const plan = planCorrelation(incident({ severity: 'high' }), alert({ severity: 'low' }), decision(), NOW);
      expect(plan).toMatchObject({ severity: 'high', changes: { severityRose: false } });
    });

    it('raises the priority (P1 beats P2)', () => {
      const plan = planCorrelation(incident({ priority: 'P2' }), alert(), decision({ priority: 'P1' }), NOW);
      expect(plan).toMatchObject({ priority: 'P1', changes: { priorityRose: true }, notify: true });
    });

    it('keeps the incident priority when the decision is lower', () => {
      const plan = planCorrelation(incident({ priority: 'P1' }), alert(), decision({ priority: 'P4' }), NOW);
      expect(plan).toMatchObject({ priority: 'P1', changes: { priorityRose: false } });
    });

    it('adds a new alert type and notifies', () => {
      const plan = planCorrelation(incident({ types: ['port_scan'] }), alert({ type: 'sql_injection' }), decision(), NOW);
      expect(plan).toMatchObject({ types: ['port_scan', 'sql_injection'], changes: { newType: true }, notify: true });
    });

    it('does not repeat a known type', () => {
      const plan = planCorrelation(incident({ types: ['port_scan', 'sql_injection'] }), alert({ type: 'sql_injection' }), decision(), NOW);
      expect(plan).toMatchObject({ types: ['port_scan', 'sql_injection'], changes: { newType: false } });
    });

    it('does not notify for a plain repeat of the same type and severity', () => {
      const plan = planCorrelation(incident(), alert(), decision(), NOW);
      expect(plan).toEqual({
        kind: 'join',
        incidentId: 'inc-1',
        severity: 'medium',
        priority: 'P3',
        types: ['port_scan'],
        changes: { severityRose: false, priorityRose: false, newType: false },
        notify: false,
      });
    });

    it('does not notify for the count alone, even at a milestone (the fold tells those)', () => {
      const plan = planCorrelation(incident({ alertCount: 9 }), alert(), decision(), NOW);
      expect(plan).toMatchObject({ notify: false });
    });

    it('does not change the open incident', () => {
      const open = incident({ types: ['port_scan'] });
      planCorrelation(open, alert({ type: 'sql_injection' }), decision(), NOW);
      expect(open.types).toEqual(['port_scan']);
    });
  });
});

describe('milestoneCrossed', () => {
  it.each([
    [9, 10, 10],
    [0, 1, null],
    [10, 11, null],
    [9, 100, 100],
    [99, 1_000_000, 1_000_000],
    [11, 99, null],
  ])('from %d to %d passes %s', (before, after, milestone) => {
    expect(milestoneCrossed(before, after)).toBe(milestone);
  });
});

describe('isWithinDedupWindow', () => {
  it('is true inside the window', () => {
    expect(isWithinDedupWindow(secondsAgo(299), decision({ dedupWindowSeconds: 300 }), NOW)).toBe(true);
  });

  it('is true exactly at the window start', () => {
    expect(isWithinDedupWindow(secondsAgo(300), decision({ dedupWindowSeconds: 300 }), NOW)).toBe(true);
  });

  it('is false beyond the window', () => {
    expect(isWithinDedupWindow(secondsAgo(301), decision({ dedupWindowSeconds: 300 }), NOW)).toBe(false);
  });
});

describe('correlationKey with free-text values', () => {
  it('cannot be forged by values containing the separators', () => {
    const byUserAndHost = decision({ correlateBy: ['user', 'host'] });
    const a = correlationKey(byUserAndHost, alert({ user: 'a|host=b', host: 'c' }), 'fp');
    const b = correlationKey(byUserAndHost, alert({ user: 'a', host: 'b|host=c' }), 'fp');
    expect(a).not.toBe(b);
  });
});
