import type { SecurityAlert } from '../domain';
import {
  correlationLock,
  CorrelationEngine,
  emptySnapshot,
  externalKey,
  fingerprintLock,
  IncidentPolicy,
  kindLock,
  Snapshot,
  type TrackedIncident,
} from './engine';
import { fingerprint } from './fingerprint';
import type { RuleDecision } from './rules';

const alert = (over: Partial<SecurityAlert> = {}): SecurityAlert => ({
  source: 'ids',
  type: 'port_scan',
  severity: 'medium',
  title: 'scan',
  sourceIp: '10.0.0.1',
  ...over,
});
const decision = (over: Partial<RuleDecision> = {}): RuleDecision => ({
  rule: 'medium',
  action: 'correlate',
  priority: 'P3',
  correlateBy: ['sourceIp'],
  correlationWindowSeconds: 3600,
  dedupFields: ['source', 'type', 'sourceIp', 'title'],
  dedupWindowSeconds: 300,
  playbooks: [],
  assignRole: 'analyst',
  storm: null,
  ...over,
});
const POLICY: IncidentPolicy = { rule: 'medium', action: 'correlate', assignRole: 'analyst', playbooks: [] };
const T0 = new Date('2025-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function engine(snapshot: Snapshot = emptySnapshot()) {
  let n = 0;
  return new CorrelationEngine(snapshot, () => `id-${++n}`);
}

describe(CorrelationEngine.name, () => {
  describe('apply', () => {
    it('opens an incident for a new key and queues incident_opened', () => {
      const e = engine();
      const r = e.apply(alert(), decision(), T0);
      expect(r).toEqual({ status: 'new', alertId: 'id-2', incidentId: 'id-1', priority: 'P3' });
      expect([...e.changes.created.values()][0]).toMatchObject({ id: 'id-1', correlationKey: 'sourceIp=10.0.0.1', alertCount: 1 });
      expect(e.changes.outbox).toEqual([
        {
          incidentId: 'id-1',
          kind: 'incident_opened',
          payload: { severity: 'medium', priority: 'P3', types: ['port_scan'], alertCount: 1 },
        },
      ]);
    });

    it('counts a repeat inside the dedup window on the first alert, without a signal', () => {
      const e = engine();
      const first = e.apply(alert(), decision(), T0);
      const dup = e.apply(alert(), decision(), at(60));
      expect(dup).toMatchObject({ status: 'duplicate', incidentId: first.incidentId });
      expect(e.changes.alerts.map((a) => [a.status, a.occurrenceCount, a.duplicateOf])).toEqual([
        ['new', 2, null],
        ['duplicate', 1, first.alertId],
      ]);
      expect([...e.changes.created.values()][0].alertCount).toBe(2);
      expect(e.changes.outbox).toHaveLength(1);
    });

    it('treats a repeat after the dedup window as a new alert of the same incident', () => {
      const e = engine();
      const first = e.apply(alert(), decision(), T0);
      expect(e.apply(alert(), decision(), at(301))).toMatchObject({ status: 'new', incidentId: first.incidentId });
    });

    it('joins by key, keeps the highest severity and signals only meaningful changes', () => {
      const e = engine();
      e.apply(alert(), decision(), T0);
      e.apply(alert({ title: 'other' }), decision(), at(1));
      e.apply(alert({ type: 'web_attack', severity: 'high', title: 'xss' }), decision({ priority: 'P2' }), at(2));
      const incident = [...e.changes.created.values()][0];
      expect(incident).toMatchObject({ severity: 'high', priority: 'P2', types: ['port_scan', 'web_attack'], alertCount: 3 });
      expect(e.changes.outbox.map((o) => o.kind)).toEqual(['incident_opened', 'alerts_changed']);
    });

    it('suppresses alerts matching an active silence', () => {
      const snapshot = emptySnapshot();
      snapshot.silences = [{ id: 's1', matchers: [{ name: 'sourceIp', value: '10.0.0.1', isRegex: false, isEqual: true }] }];
      const e = engine(snapshot);
      expect(e.apply(alert(), decision(), T0)).toMatchObject({ status: 'suppressed', incidentId: null });
      expect(e.changes.alerts[0].silenceId).toBe('s1');
      expect(e.changes.created.size).toBe(0);
    });

    it('answers a repeat of a stored externalId from the same key with its first result and writes nothing', () => {
      const snapshot = emptySnapshot();
      snapshot.repeats.set(externalKey('key-1', 'ids', 'x-1'), { alertId: 'a-old', incidentId: 'i-old', status: 'new', priority: 'P2' });
      const e = engine(snapshot);
      expect(e.apply(alert({ externalId: 'x-1' }), decision(), T0, undefined, undefined, 'key-1')).toEqual({
        status: 'new',
        alertId: 'a-old',
        incidentId: 'i-old',
        priority: 'P2',
        repeat: true,
      });
      expect(e.changes.alerts).toEqual([]);
    });

    it('stores an alert whose source and externalId another key stored first, recording the key that sent it', () => {
      const snapshot = emptySnapshot();
      snapshot.repeats.set(externalKey('key-2', 'ids', 'x-1'), { alertId: 'a-old', incidentId: 'i-old', status: 'new', priority: 'P2' });
      const e = engine(snapshot);
      expect(e.apply(alert({ externalId: 'x-1' }), decision(), T0, undefined, undefined, 'key-1')).toMatchObject({ status: 'new' });
      expect(e.changes.alerts.map((a) => a.apiKeyId)).toEqual(['key-1']);
    });

    it('answers a repeat within the same run with the first result', () => {
      const e = engine();
      const first = e.apply(alert({ externalId: 'x-2' }), decision(), T0);
      expect(e.apply(alert({ externalId: 'x-2', title: 'changed' }), decision(), T0)).toEqual({ ...first, repeat: true });
      expect(e.changes.alerts).toHaveLength(1);
    });

    it('updates a stored open incident and bumps a stored first alert', () => {
      const snapshot = emptySnapshot();
      snapshot.open.set('sourceIp=10.0.0.1', {
        id: 'i-1',
        correlationKey: 'sourceIp=10.0.0.1',
        severity: 'medium',
        priority: 'P3',
        types: ['port_scan'],
        alertCount: 4,
        lastSeenAt: T0,
        ...POLICY,
      });
      const { fingerprint } = CorrelationEngine.keys(alert(), decision());
      snapshot.firsts.set(fingerprint, { alertId: 'a-1', incidentId: 'i-1', lastSeenAt: T0 });
      const e = engine(snapshot);
      expect(e.apply(alert(), decision(), at(10))).toMatchObject({ status: 'duplicate', incidentId: 'i-1', priority: 'P3' });
      expect(e.changes.bumped).toEqual(new Map([['a-1', 1]]));
      expect(e.changes.updated.get('i-1')).toMatchObject({ added: 1, incident: { alertCount: 5 } });
    });

    it('does not count a repeat into an incident its key does not hold', () => {
      const snapshot = emptySnapshot();
      const { fingerprint } = CorrelationEngine.keys(alert(), decision());
      snapshot.firsts.set(fingerprint, { alertId: 'a-1', incidentId: 'i-closed', lastSeenAt: T0 });
      const e = engine(snapshot);
      expect(e.apply(alert(), decision(), at(10)).status).toBe('new');
      expect(e.changes.bumped.size).toBe(0);
    });

    it('closes a stale stored incident and opens its successor', () => {
      const snapshot = emptySnapshot();
      snapshot.open.set('sourceIp=10.0.0.1', {
        id: 'i-old',
        correlationKey: 'sourceIp=10.0.0.1',
        severity: 'medium',
        priority: 'P3',
        types: ['port_scan'],
        alertCount: 1,
        lastSeenAt: T0,
        ...POLICY,
      });
      const e = engine(snapshot);
      const r = e.apply(alert({ title: 'later' }), decision(), at(7200));
      expect(r.incidentId).not.toBe('i-old');
      expect(e.changes.closed).toEqual(new Set(['i-old']));
    });

    it('marks an incident opened and outlived within one run as closed', () => {
      const e = engine();
      const first = e.apply(alert(), decision({ correlationWindowSeconds: 10 }), T0);
      const second = e.apply(alert({ title: 'later' }), decision({ correlationWindowSeconds: 10 }), at(60));
      expect(second.incidentId).not.toBe(first.incidentId);
      expect(e.changes.created.get(first.incidentId!)!.closed).toBe(true);
      expect(e.changes.created.get(second.incidentId!)!.closed).toBeUndefined();
    });

    it('opens no workflow for batched incidents', () => {
      const e = engine();
      e.apply(alert({ severity: 'low' }), decision({ action: 'batch', priority: 'P4' }), T0);
      expect(e.changes.outbox).toEqual([]);
    });

    it('signals once when repeats carry the alert count across a milestone', () => {
      const e = engine();
      for (let i = 0; i < 12; i++) e.apply(alert(), decision(), at(i));
      expect(e.changes.outbox.map((o) => [o.kind, o.payload.alertCount])).toEqual([
        ['incident_opened', 1],
        ['alerts_changed', 10],
      ]);
    });

    it('lets a repeat raise the priority (a threshold now met) and the severity, like any joining alert', () => {
      const e = engine();
      const login = alert({ type: 'failed_login', title: 'ssh', user: 'root' });
      const first = e.apply(login, decision({ rule: 'failed-logins' }), T0);
      // The tenth attempt on the same account meets the burst rule: still a repeat, but now P2.
      const burst = e.apply(login, decision({ rule: 'failed-login-burst', priority: 'P2' }), at(1));
      expect(burst).toMatchObject({ status: 'duplicate', incidentId: first.incidentId, priority: 'P2' });
      const louder = e.apply({ ...login, severity: 'high' }, decision({ rule: 'failed-login-burst', priority: 'P2' }), at(2));
      expect(louder.status).toBe('duplicate');
      expect(e.changes.created.get(first.incidentId!)).toMatchObject({
        rule: 'failed-login-burst',
        priority: 'P2',
        severity: 'high',
        alertCount: 3,
      });
      expect(e.changes.outbox.map((o) => [o.kind, o.payload.priority, o.payload.severity])).toEqual([
        ['incident_opened', 'P3', 'medium'],
        ['alerts_changed', 'P2', 'medium'],
        ['alerts_changed', 'P2', 'high'],
      ]);
    });

    it('hands the incident to the rule of an alert that raises its priority', () => {
      const e = engine();
      const low = e.apply(
        alert({ severity: 'low' }),
        decision({ rule: 'low', action: 'batch', priority: 'P4', assignRole: 'junior_analyst' }),
        T0,
      );
      expect(e.changes.outbox).toEqual([]);
      e.apply(
        alert({ type: 'sql_injection', title: 'sqli' }),
        decision({ rule: 'sql-injection', priority: 'P2', assignRole: 'senior_analyst', playbooks: ['block-ip'] }),
        at(1),
      );
      expect(e.changes.created.get(low.incidentId!)).toMatchObject({
        rule: 'sql-injection',
        action: 'correlate',
        assignRole: 'senior_analyst',
        playbooks: ['block-ip'],
        priority: 'P2',
      });
      expect(e.changes.outbox.map((o) => o.kind)).toEqual(['alerts_changed']);
    });

    it('keeps a batched incident quiet while lower-or-equal alerts join it', () => {
      const e = engine();
      const batch = decision({ rule: 'low', action: 'batch', priority: 'P4' });
      e.apply(alert({ severity: 'low' }), batch, T0);
      e.apply(alert({ severity: 'low', type: 'recon', title: 'other' }), batch, at(1));
      expect(e.changes.outbox).toEqual([]);
    });

    it('answers and stores the incident priority for an alert joining a higher-priority incident', () => {
      const e = engine();
      e.apply(alert({ severity: 'critical', title: 'c' }), decision({ priority: 'P1' }), T0);
      const joined = e.apply(alert({ title: 'm' }), decision({ priority: 'P3' }), at(1));
      expect(joined.priority).toBe('P1');
      expect(e.changes.alerts[1].priority).toBe('P1');
    });
  });

  describe('storm folding', () => {
    const storm = (over: Partial<NonNullable<RuleDecision['storm']>> = {}) =>
      decision({
        rule: 'scan',
        storm: { threshold: 3, withinSeconds: 60, quietSeconds: 300, kindBy: ['type', 'source'], keyBy: [], ...over },
      });
    const KIND = 'storm=scan|type=port_scan|source=ids';
    const fromIp = (n: number, over: Partial<SecurityAlert> = {}) => alert({ sourceIp: `10.0.1.${n}`, ...over });
    const created = (e: CorrelationEngine) => [...e.changes.created.values()];

    it('folds what the rule opens past its threshold into one storm incident, counted per source', () => {
      const e = engine();
      for (let i = 1; i <= 10; i++) e.apply(fromIp(i), storm(), at(i));
      expect(created(e).map((i) => [i.correlationKey, i.storm, i.alertCount])).toEqual([
        ['sourceIp=10.0.1.1', false, 1],
        ['sourceIp=10.0.1.2', false, 1],
        ['sourceIp=10.0.1.3', false, 1],
        [KIND, true, 7],
      ]);
      const stormId = created(e)[3].id;
      expect([...e.changes.stormSources.get(stormId)!]).toEqual([4, 5, 6, 7, 8, 9, 10].map((n) => [`10.0.1.${n}`, 1]));
      expect(created(e)[3].sourceIp).toBeUndefined();
      expect(created(e)[3]).toMatchObject({
        title: 'Alert storm: port_scan from ids (rule scan) (first: scan)',
        openingRule: 'scan',
        stormKind: KIND,
      });
    });

    it('never folds an alert of another type or monitor into a storm it did not make', () => {
      const e = engine();
      for (let i = 1; i <= 10; i++) e.apply(fromIp(i), storm(), at(i));
      const otherType = e.apply(fromIp(11, { type: 'high_load' }), storm(), at(11));
      const otherMonitor = e.apply(fromIp(12, { source: 'alertmanager' }), storm(), at(12));
      const sameKind = e.apply(fromIp(13), storm(), at(13));
      const byId = new Map(created(e).map((i) => [i.id, i]));
      expect(
        [otherType, otherMonitor, sameKind].map((r) => [byId.get(r.incidentId!)!.correlationKey, byId.get(r.incidentId!)!.storm]),
      ).toEqual([
        ['sourceIp=10.0.1.11', false],
        ['sourceIp=10.0.1.12', false],
        [KIND, true],
      ]);
    });

    it('folds every type of the rule when kind_by leaves type out on purpose', () => {
      const e = engine();
      const wide = storm({ kindBy: ['source'] });
      for (let i = 1; i <= 4; i++) e.apply(fromIp(i), wide, at(i));
      const other = e.apply(fromIp(5, { type: 'high_load' }), wide, at(5));
      expect(created(e).find((i) => i.id === other.incidentId)).toMatchObject({ correlationKey: 'storm=scan|source=ids', storm: true });
    });

    it('ends when its own kind has been quiet for `quiet`, however much else of the rule arrives', () => {
      const e = engine();
      for (let i = 1; i <= 4; i++) e.apply(fromIp(i), storm(), at(i));
      // Other types of the same rule keep arriving every 100 s; the scan itself stops at 4 s.
      for (let t = 100; t <= 400; t += 100) e.apply(fromIp(100 + t / 100, { type: 'high_load' }), storm(), at(t));
      const after = e.apply(fromIp(60), storm(), at(405));
      expect(created(e).find((i) => i.id === after.incidentId)).toMatchObject({ correlationKey: 'sourceIp=10.0.1.60', storm: false });
    });

    it('keeps joining an incident opened before the threshold by its own key', () => {
      const e = engine();
      for (let i = 1; i <= 5; i++) e.apply(fromIp(i), storm(), at(i));
      const r = e.apply(fromIp(1, { title: 'again' }), storm(), at(6));
      expect(r.incidentId).toBe(created(e)[0].id);
      expect(created(e)[0].alertCount).toBe(2);
    });

    it('counts a repeat inside the storm as a duplicate of its first alert there', () => {
      const e = engine();
      for (let i = 1; i <= 4; i++) e.apply(fromIp(i), storm(), at(i));
      const dup = e.apply(fromIp(4), storm(), at(5));
      expect(dup).toMatchObject({ status: 'duplicate', incidentId: created(e)[3].id });
      expect(e.changes.stormSources.get(created(e)[3].id)!.get('10.0.1.4')).toBe(2);
    });

    it('keys storms by the key_by fields', () => {
      const e = engine();
      const d = storm({ threshold: 1, keyBy: ['destinationIp'] });
      e.apply(fromIp(1, { destinationIp: '192.0.2.1' }), d, at(1));
      e.apply(fromIp(2, { destinationIp: '192.0.2.1' }), d, at(2));
      e.apply(fromIp(3, { destinationIp: '192.0.2.2' }), d, at(3));
      e.apply(fromIp(4, { destinationIp: '192.0.2.1' }), d, at(4));
      expect(created(e).map((i) => [i.correlationKey, i.alertCount])).toEqual([
        ['sourceIp=10.0.1.1', 1],
        [`${KIND}|destinationIp=192.0.2.1`, 2],
        [`${KIND}|destinationIp=192.0.2.2`, 1],
      ]);
    });

    it('takes the priority and severity of its worst alert', () => {
      const e = engine();
      for (let i = 1; i <= 4; i++) e.apply(fromIp(i), storm(), at(i));
      e.apply(fromIp(5, { severity: 'high' }), { ...storm(), priority: 'P2' }, at(5));
      expect(created(e)[3]).toMatchObject({ storm: true, severity: 'high', priority: 'P2' });
    });

    it('ends when the rule has been quiet for `quiet`, and starts again only at the threshold', () => {
      const e = engine();
      for (let i = 1; i <= 4; i++) e.apply(fromIp(i), storm(), at(i));
      // 400 s later: the storm is quiet and the openings are out of the 60 s window.
      e.apply(fromIp(50), storm(), at(404));
      expect(created(e).map((i) => [i.correlationKey, i.storm])).toEqual([
        ['sourceIp=10.0.1.1', false],
        ['sourceIp=10.0.1.2', false],
        ['sourceIp=10.0.1.3', false],
        [KIND, true],
        ['sourceIp=10.0.1.50', false],
      ]);
      for (let i = 51; i <= 53; i++) e.apply(fromIp(i), storm(), at(400 + i - 46));
      // The quiet storm incident is closed for correlation; a new one takes its key.
      expect(
        created(e)
          .filter((i) => i.storm)
          .map((i) => [i.correlationKey, i.closed ?? false, i.alertCount]),
      ).toEqual([
        [KIND, true, 1],
        [KIND, false, 1],
      ]);
    });

    it('counts the openings stored before this run against the threshold', () => {
      const snapshot = emptySnapshot();
      snapshot.openings.set(KIND, [at(-30).getTime(), at(-20).getTime(), at(-10).getTime()]);
      const e = engine(snapshot);
      expect(e.apply(fromIp(1), storm(), T0).incidentId).toBe(created(e)[0].id);
      expect(created(e)[0]).toMatchObject({ correlationKey: KIND, storm: true });
    });

    it('never folds a rule without a storm policy', () => {
      const e = engine();
      for (let i = 1; i <= 10; i++) e.apply(fromIp(i), decision(), at(i));
      expect(created(e).every((i) => !i.storm)).toBe(true);
      expect(created(e)).toHaveLength(10);
    });
  });

  describe('needs', () => {
    const stormPolicy = { threshold: 1, withinSeconds: 60, quietSeconds: 300, kindBy: ['type' as const, 'source' as const], keyBy: [] };
    const open = (snapshot: Snapshot, key: string, over: Partial<TrackedIncident> = {}) =>
      snapshot.open.set(key, {
        id: `inc-${key}`,
        correlationKey: key,
        ...POLICY,
        severity: 'medium',
        priority: 'P3',
        types: ['port_scan'],
        alertCount: 5,
        lastSeenAt: at(-1),
        ...over,
      });

    it("shares the key's lock to join an incident as it is, and takes its fingerprint's for a first", () => {
      const snapshot = emptySnapshot();
      open(snapshot, 'sourceIp=10.0.0.1');
      const e = engine(snapshot);
      e.apply(alert(), decision(), T0);
      expect(e.needs).toEqual(
        new Map([
          [correlationLock('sourceIp=10.0.0.1'), 'shared'],
          [fingerprintLock(fingerprint(alert(), decision().dedupFields)), 'exclusive'],
        ]),
      );
      expect([...e.changes.updated.values()].map((u) => [u.added, u.changed])).toEqual([[1, false]]);
    });

    it("takes the key's lock alone to change an incident's severity or types", () => {
      const snapshot = emptySnapshot();
      open(snapshot, 'sourceIp=10.0.0.1');
      const e = engine(snapshot);
      e.apply(alert({ type: 'sql_injection' }), decision(), T0);
      expect(e.needs.get(correlationLock('sourceIp=10.0.0.1'))).toBe('exclusive');
      expect([...e.changes.updated.values()].map((u) => u.changed)).toEqual([true]);
    });

    it("shares a raging storm's lock to join it, and takes the kind's lock alone to open an incident it counts", () => {
      const KIND = 'storm=medium|type=port_scan|source=ids';
      const snapshot = emptySnapshot();
      open(snapshot, KIND);
      const joining = engine(snapshot);
      joining.apply(alert({ sourceIp: '10.9.9.9' }), decision({ storm: stormPolicy }), T0);
      expect([...joining.needs].filter(([name]) => !name.startsWith('fingerprint:'))).toEqual([[correlationLock(KIND), 'shared']]);

      const opening = engine();
      opening.apply(alert(), decision({ storm: stormPolicy }), T0);
      expect([opening.needs.get(kindLock(KIND)), opening.needs.get(correlationLock('sourceIp=10.0.0.1'))]).toEqual([
        'exclusive',
        'exclusive',
      ]);
    });

    it("shares the key's lock, and needs no fingerprint's, for a repeat of a first", () => {
      const snapshot = emptySnapshot();
      open(snapshot, 'sourceIp=10.0.0.1');
      snapshot.firsts.set(fingerprint(alert(), decision().dedupFields), {
        alertId: 'a1',
        incidentId: 'inc-sourceIp=10.0.0.1',
        lastSeenAt: at(-5),
      });
      const e = engine(snapshot);
      expect(e.apply(alert(), decision(), T0).status).toBe('duplicate');
      expect(e.needs).toEqual(new Map([[correlationLock('sourceIp=10.0.0.1'), 'shared']]));
    });
  });
});
