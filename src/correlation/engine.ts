import {
  describeStormKind,
  parseStormKind,
  type AlertStatus,
  type OutboxKind,
  type Priority,
  type SecurityAlert,
  type Severity,
} from '../domain';
import type { Enrichment } from '../enrichment';
import {
  COUNT_MILESTONES,
  CorrelationPlan,
  correlationKey,
  isWithinDedupWindow,
  OpenIncident,
  planCorrelation,
  stormKey,
  stormKind,
  stormSource,
} from './correlation';
import { fingerprint } from './fingerprint';
import type { RuleDecision } from './rules';
import type { RuleAction } from './rules.schema';
import { Matcher, silenceMatches } from './silences';

/**
 * The AnomalyToAction state machine for a run of alerts: dedup, suppression and
 * correlation over a snapshot of the stored state (which it updates as it goes), with
 * every change collected so the caller can write it in one go. No I/O: ids and the clock
 * come from the caller. Ingest runs it over a snapshot read from PostgreSQL; the
 * backtest runs the same ingest path over a store in memory.
 *
 * Locks are taken only where correctness needs them. The engine says which it needed
 * (`needs`), exclusively: a fingerprint's when an alert becomes the first of it, a
 * correlation key's when an incident opens, closes or changes (severity, priority, types,
 * policy) there, and a storm kind's when it opens an incident its threshold counts. Joining
 * an incident as it is (a storm too) needs only its key's lock shared: joiners never wait on
 * each other, since counts go in as append-only deltas, while whoever closes or resolves the
 * incident waits for them and keeps new ones out. Ingest runs a chunk again holding what it
 * needed and did not hold.
 */

export type LockMode = 'shared' | 'exclusive';

export const fingerprintLock = (fp: string) => `fingerprint:${fp}`;
export const correlationLock = (key: string) => `correlation:${key}`;
/** Held while opening incidents of a storm-folding kind, so its threshold counts exactly across replicas. */
export const kindLock = (kind: string) => `storm-kind:${kind}`;

/** What the deciding rule set for an incident; a later alert that raises the priority takes it over. */
export interface IncidentPolicy {
  rule: string;
  action: RuleAction;
  assignRole: string;
  playbooks: string[];
}

export type TrackedIncident = OpenIncident & IncidentPolicy & { correlationKey: string };

const policyOf = (d: RuleDecision): IncidentPolicy => ({
  rule: d.rule,
  action: d.action,
  assignRole: d.assignRole,
  playbooks: d.playbooks,
});

export interface StoredRepeat {
  alertId: string;
  incidentId: string | null;
  status: AlertStatus;
  priority: Priority;
  /** What identified the request body stored under an Idempotency-Key (null for alerts stored before it was kept). */
  bodyHash?: string | null;
}

export interface StoredFirst {
  alertId: string;
  incidentId: string;
  lastSeenAt: Date;
}

export interface Snapshot {
  /** Earlier results by `repeatKeys`: the Idempotency-Key, and the sending API key's source with externalId. */
  repeats: Map<string, StoredRepeat>;
  /** The newest first-of-fingerprint alert per fingerprint. */
  firsts: Map<string, StoredFirst>;
  /** The incident accepting alerts, per correlation key. */
  open: Map<string, TrackedIncident>;
  silences: { id: string; matchers: Matcher[] }[];
  /** Per storm kind (stormKind), when (ms) it opened its recent ordinary incidents: what its threshold counts. */
  openings: Map<string, number[]>;
}

export const emptySnapshot = (): Snapshot => ({
  repeats: new Map(),
  firsts: new Map(),
  open: new Map(),
  silences: [],
  openings: new Map(),
});

/** (source, externalId) belongs to the API key that sent it, so another key cannot pre-empt a monitor's ids. */
export const externalKey = (apiKeyId: string | null | undefined, source: string, externalId: string) =>
  `ext:${JSON.stringify([apiKeyId ?? null, source, externalId])}`;

export const idempotencyRepeatKey = (idempotencyKey: string) => `idem:${idempotencyKey}`;

export const repeatKeys = (alert: SecurityAlert, idempotencyKey?: string, apiKeyId?: string): string[] => [
  ...(idempotencyKey ? [idempotencyRepeatKey(idempotencyKey)] : []),
  ...(alert.externalId ? [externalKey(apiKeyId, alert.source, alert.externalId)] : []),
];

/** An Idempotency-Key that stored a request with another body: answering the first result would hide the change. */
export function reusedWithOtherBody(state: Snapshot, idempotencyKey?: string, bodyHash?: string): boolean {
  if (!idempotencyKey || !bodyHash) return false;
  const stored = state.repeats.get(idempotencyRepeatKey(idempotencyKey))?.bodyHash;
  return !!stored && stored !== bodyHash;
}

export interface AlertRecord {
  id: string;
  alert: SecurityAlert;
  idempotencyKey?: string;
  bodyHash?: string;
  /** The API key that sent it. */
  apiKeyId?: string;
  decision: RuleDecision;
  /** What enrichment added (src/enrichment/), when it ran. */
  enrichment?: Enrichment;
  /** The priority answered for this alert (its incident's), so a repeat answers the same. */
  priority: Priority;
  fingerprint: string;
  status: AlertStatus;
  incidentId: string | null;
  duplicateOf: string | null;
  silenceId: string | null;
  occurrenceCount: number;
}

export interface IncidentRecord extends TrackedIncident {
  title: string;
  sourceIp?: string;
  user?: string;
  host?: string;
  firstSeenAt: Date;
  /** Opened and already past its window within the same run. */
  closed?: boolean;
  /** A storm incident: it gathers one storming kind's alerts across keys. */
  storm: boolean;
  /** The rule that opened it (`rule` follows priority rises). */
  openingRule: string;
  /** The storm kind of its first alert, for rules that fold storms: thresholds count incidents by it. */
  stormKind: string | null;
}

export interface OutboxRecord {
  incidentId: string;
  kind: Extract<OutboxKind, 'incident_opened' | 'alerts_changed'>;
  payload: { severity: Severity; priority: Priority; types: string[]; alertCount: number; changes?: unknown };
}

/** Everything a run changed, in the order it must be written. */
export interface ChangeSet {
  /** Stored incidents that stop accepting alerts (window passed). */
  closed: Set<string>;
  /**
   * Stored incidents that gained alerts: their new state, how many alerts joined (an
   * append-only delta), and whether severity, priority, types or policy changed (a row
   * update, under the key's lock).
   */
  updated: Map<string, { incident: TrackedIncident; added: number; changed: boolean }>;
  created: Map<string, IncidentRecord>;
  alerts: AlertRecord[];
  /** Stored first alerts that gained repeats, and how many. */
  bumped: Map<string, number>;
  /** Alerts that joined storm incidents, per incident and source. */
  stormSources: Map<string, Map<string, number>>;
  outbox: OutboxRecord[];
}

const isWithin = (lastSeenAt: Date, windowSeconds: number, now: Date) => lastSeenAt.getTime() >= now.getTime() - windowSeconds * 1000;

/** Says what the storm is: its kind (type, monitor, rule) and key. */
function stormTitle(decision: RuleDecision, alert: SecurityAlert, kind: string): string {
  const on = (decision.storm?.keyBy ?? []).map((f) => `${f} ${alert[f] ?? 'unset'}`).join(', ');
  return `Alert storm: ${describeStormKind(parseStormKind(kind)!)}${on ? ` on ${on}` : ''} (first: ${alert.title})`;
}

export interface EngineResult {
  status: AlertStatus;
  alertId: string;
  incidentId: string | null;
  priority: Priority;
  repeat?: boolean;
}

export interface AlertKeys {
  fingerprint: string;
  correlationKey: string;
  stormKey?: string;
  stormKind?: string;
}

/** Keys by alert object, for the decision they were computed under; alerts are not changed once normalized. */
const keysOf = new WeakMap<SecurityAlert, { decision: RuleDecision; keys: AlertKeys }>();

export class CorrelationEngine {
  readonly changes: ChangeSet = {
    closed: new Set(),
    updated: new Map(),
    created: new Map(),
    alerts: [],
    bumped: new Map(),
    stormSources: new Map(),
    outbox: [],
  };
  /** The locks this run's decisions need, by mode (see the top of this file); ingest holds them when it commits. */
  readonly needs = new Map<string, LockMode>();
  private readonly inRun = new Map<string, AlertRecord>();

  constructor(
    private readonly state: Snapshot,
    private readonly newId: () => string,
  ) {}

  /**
   * The fingerprint and correlation key of an alert, which ingest locks before reading the
   * snapshot, and the storm key it may fold into, which ingest reads too.
   */
  static keys(alert: SecurityAlert, decision: RuleDecision): AlertKeys {
    // Ingest asks for an alert's keys several times (locks, snapshot, apply, a rerun): hashed once.
    const known = keysOf.get(alert);
    if (known?.decision === decision) return known.keys;
    const fp = fingerprint(alert, decision.dedupFields);
    const keys: AlertKeys = {
      fingerprint: fp,
      correlationKey: correlationKey(decision, alert, fp),
      ...(decision.storm ? { stormKey: stormKey(decision, alert), stormKind: stormKind(decision, alert) } : {}),
    };
    keysOf.set(alert, { decision, keys });
    return keys;
  }

  apply(
    alert: SecurityAlert,
    decision: RuleDecision,
    now: Date,
    idempotencyKey?: string,
    bodyHash?: string,
    apiKeyId?: string,
    enrichment?: Enrichment,
  ): EngineResult {
    const repeatOf = repeatKeys(alert, idempotencyKey, apiKeyId);
    const repeat = repeatOf.map((k) => this.state.repeats.get(k)).find(Boolean);
    if (repeat)
      return { status: repeat.status, alertId: repeat.alertId, incidentId: repeat.incidentId, priority: repeat.priority, repeat: true };

    const { fingerprint: fp, correlationKey: ownKey, stormKey: foldKey, stormKind: kind } = CorrelationEngine.keys(alert, decision);
    let key = ownKey;
    const record = (status: AlertStatus, incidentId: string | null, extra: Partial<AlertRecord> = {}): EngineResult => {
      const priority = incidentId ? this.state.open.get(key)!.priority : decision.priority;
      const row: AlertRecord = {
        id: this.newId(),
        alert,
        idempotencyKey,
        bodyHash,
        apiKeyId,
        decision,
        ...(enrichment ? { enrichment } : {}),
        priority,
        fingerprint: fp,
        status,
        incidentId,
        duplicateOf: null,
        silenceId: null,
        occurrenceCount: 1,
        ...extra,
      };
      this.changes.alerts.push(row);
      this.inRun.set(row.id, row);
      const result = { status, alertId: row.id, incidentId, priority };
      for (const k of repeatOf) this.state.repeats.set(k, { ...result, bodyHash });
      return result;
    };

    const silence = this.state.silences.find((s) => silenceMatches(s.matchers, alert));
    if (silence || decision.action === 'suppress') return record('suppressed', null, { silenceId: silence?.id ?? null });

    const route = this.route(decision, ownKey, foldKey, kind, now);
    key = route.key;
    // A storm incident accepts alerts until its rule has been quiet for the storm's `quiet`.
    const policy = route.storm ? { ...decision, correlationWindowSeconds: decision.storm!.quietSeconds } : decision;
    const open = this.state.open.get(key) ?? null;
    const first = this.state.firsts.get(fp);
    // A repeat joins only the incident its key holds the lock on, so a closed or foreign one is never touched.
    // A repeat still counts for the incident like any joining alert: a higher severity or
    // a rule with a higher priority (a threshold now met) raises it.
    const repeatPlan =
      first && open && first.incidentId === open.id && isWithinDedupWindow(first.lastSeenAt, decision, now)
        ? planCorrelation(open, alert, policy, now)
        : null;
    if (repeatPlan?.kind === 'join') {
      this.joinIncident(open!, repeatPlan, decision, now);
      first!.lastSeenAt = now;
      const inRun = this.inRun.get(first!.alertId);
      if (inRun) inRun.occurrenceCount++;
      else this.changes.bumped.set(first!.alertId, (this.changes.bumped.get(first!.alertId) ?? 0) + 1);
      if (route.storm) this.countSource(open!.id, stormSource(decision, alert));
      return record('duplicate', open!.id, { duplicateOf: first!.alertId });
    }

    const plan = planCorrelation(open, alert, policy, now);
    let incidentId: string;
    if (plan.kind === 'join') {
      incidentId = plan.incidentId;
      this.joinIncident(open!, plan, decision, now);
    } else {
      this.need(correlationLock(key), 'exclusive');
      if (plan.closeStale) {
        const createdInRun = this.changes.created.get(plan.closeStale);
        if (createdInRun) createdInRun.closed = true;
        else this.changes.closed.add(plan.closeStale);
      }
      incidentId = this.newId();
      const created: IncidentRecord = {
        id: incidentId,
        correlationKey: key,
        ...policyOf(decision),
        title: route.storm ? stormTitle(decision, alert, kind!) : alert.title,
        severity: alert.severity,
        priority: decision.priority,
        types: [alert.type],
        alertCount: 1,
        // A storm spans sources, users and hosts: its per-source counts hold them.
        ...(route.storm ? {} : { sourceIp: alert.sourceIp, user: alert.user, host: alert.host }),
        firstSeenAt: now,
        lastSeenAt: now,
        storm: route.storm,
        openingRule: decision.rule,
        stormKind: kind ?? null,
      };
      if (!route.storm && kind) this.opened(kind, decision.storm!.withinSeconds, now);
      this.changes.created.set(incidentId, created);
      this.state.open.set(key, { ...created });
      this.notify(created);
    }
    if (route.storm) this.countSource(incidentId, stormSource(decision, alert));
    // The first of its fingerprint: a racing equal alert must see it, not become a second first.
    this.need(fingerprintLock(fp), 'exclusive');
    const result = record('new', incidentId);
    this.state.firsts.set(fp, { alertId: result.alertId, incidentId, lastSeenAt: now });
    return result;
  }

  /**
   * Where an alert goes: the incident its own key holds while that accepts alerts; else,
   * while its kind storms (its storm incident still active, or the kind at its threshold of
   * incidents opened within the window), the storm incident; else a new incident of its own.
   * Only alerts of the storm's own kind ever reach it.
   */
  private route(
    decision: RuleDecision,
    ownKey: string,
    key: string | undefined,
    kind: string | undefined,
    now: Date,
  ): { key: string; storm: boolean } {
    const storm = decision.storm;
    const own = this.state.open.get(ownKey);
    if (!storm || !key || !kind || (own && isWithin(own.lastSeenAt, decision.correlationWindowSeconds, now)))
      return { key: ownKey, storm: false };
    const current = this.state.open.get(key);
    const raging = current !== undefined && isWithin(current.lastSeenAt, storm.quietSeconds, now);
    if (!raging && this.openedWithin(kind, storm.withinSeconds, now) < storm.threshold) return { key: ownKey, storm: false };
    return { key, storm: true };
  }

  private need(name: string, mode: LockMode): void {
    if (this.needs.get(name) !== 'exclusive') this.needs.set(name, mode);
  }

  private openedWithin(kind: string, withinSeconds: number, now: Date): number {
    const since = now.getTime() - withinSeconds * 1000;
    return (this.state.openings.get(kind) ?? []).filter((t) => t > since).length;
  }

  private opened(kind: string, withinSeconds: number, now: Date): void {
    this.need(kindLock(kind), 'exclusive');
    const since = now.getTime() - withinSeconds * 1000;
    this.state.openings.set(kind, [...(this.state.openings.get(kind) ?? []).filter((t) => t > since), now.getTime()]);
  }

  private countSource(incidentId: string, source: string): void {
    let sources = this.changes.stormSources.get(incidentId);
    if (!sources) this.changes.stormSources.set(incidentId, (sources = new Map()));
    sources.set(source, (sources.get(source) ?? 0) + 1);
  }

  /** Tells the incident's workflow; batched incidents have none (the digest gathers them). */
  private notify(incident: TrackedIncident, changes?: object): void {
    if (incident.action === 'batch') return;
    const { id, severity, priority, types, alertCount } = incident;
    this.changes.outbox.push({
      incidentId: id,
      kind: changes ? 'alerts_changed' : 'incident_opened',
      payload: { severity, priority, types, alertCount, ...(changes ? { changes } : {}) },
    });
  }

  /** Adds the alert to the open incident as planned, in memory and in the change set; tells the workflow when the plan says so. */
  private joinIncident(open: TrackedIncident, plan: Extract<CorrelationPlan, { kind: 'join' }>, decision: RuleDecision, now: Date): void {
    const next: TrackedIncident = {
      ...open,
      // A priority rise hands the incident to the rule that raised it.
      ...(plan.changes.priorityRose ? policyOf(decision) : {}),
      severity: plan.severity,
      priority: plan.priority,
      types: plan.types,
      alertCount: open.alertCount + 1,
      lastSeenAt: now,
    };
    this.state.open.set(next.correlationKey, next);
    // A change to the incident's row is decided under its key's lock; a plain join is a delta.
    this.need(correlationLock(next.correlationKey), plan.notify ? 'exclusive' : 'shared');
    const created = this.changes.created.get(next.id);
    if (created) Object.assign(created, next);
    else {
      const before = this.changes.updated.get(next.id);
      this.changes.updated.set(next.id, {
        incident: next,
        added: (before?.added ?? 0) + 1,
        changed: (before?.changed ?? false) || plan.notify,
      });
    }
    // A stored incident's count is folded from deltas, and the fold tells its milestones; one
    // opened in this run is counted here, exactly.
    const milestone = !!created && COUNT_MILESTONES.includes(next.alertCount);
    if (plan.notify || milestone) this.notify(next, { ...plan.changes, countMilestone: milestone ? next.alertCount : false });
  }
}
