import type { AlertStatus, OutboxKind, Priority, SecurityAlert, Severity } from '../domain';
import { CorrelationPlan, correlationKey, isWithinDedupWindow, OpenIncident, planCorrelation, stormKey, stormSource } from './correlation';
import { fingerprint } from './fingerprint';
import type { RuleDecision } from './rules';
import type { RuleAction } from './rules.schema';
import { Matcher, silenceMatches } from './silences';

/**
 * The AnomalyToAction state machine for a run of alerts: dedup, suppression and
 * correlation over a snapshot of the stored state (which it updates as it goes), with
 * every change collected so the caller can write it in one go. No I/O: ids and the clock
 * come from the caller. Ingest runs it over a locked snapshot read from PostgreSQL; the
 * backtest runs the same ingest path over a store in memory.
 */

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
  /** Per storm-folding rule, when (ms) it opened its recent ordinary incidents: what its threshold counts. */
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
  /** A storm incident: it gathers a storming rule's alerts across keys. */
  storm: boolean;
  /** The rule that opened it (`rule` follows priority rises); storm thresholds count by it. */
  openingRule: string;
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
  /** Stored incidents that gained alerts: their new state and how many alerts joined. */
  updated: Map<string, { incident: TrackedIncident; added: number }>;
  created: Map<string, IncidentRecord>;
  alerts: AlertRecord[];
  /** Stored first alerts that gained repeats, and how many. */
  bumped: Map<string, number>;
  /** Alerts that joined storm incidents, per incident and source. */
  stormSources: Map<string, Map<string, number>>;
  outbox: OutboxRecord[];
}

const isWithin = (lastSeenAt: Date, windowSeconds: number, now: Date) => lastSeenAt.getTime() >= now.getTime() - windowSeconds * 1000;

function stormTitle(decision: RuleDecision, alert: SecurityAlert): string {
  const on = (decision.storm?.keyBy ?? []).map((f) => `${f} ${alert[f] ?? 'unset'}`).join(', ');
  return `Alert storm: rule ${decision.rule}${on ? ` on ${on}` : ''} (first: ${alert.title})`;
}

export interface EngineResult {
  status: AlertStatus;
  alertId: string;
  incidentId: string | null;
  priority: Priority;
  repeat?: boolean;
}

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
  /**
   * What ingest must hold locks on for this run to count (it takes them only when needed):
   * the storm keys it routed alerts to, and the storm-folding rules it opened incidents for.
   */
  readonly stormKeys = new Set<string>();
  readonly openingRules = new Set<string>();
  private readonly inRun = new Map<string, AlertRecord>();

  constructor(
    private readonly state: Snapshot,
    private readonly newId: () => string,
  ) {}

  /**
   * The fingerprint and correlation key of an alert, which ingest locks before reading the
   * snapshot, and the storm key it may fold into, which ingest reads too.
   */
  static keys(alert: SecurityAlert, decision: RuleDecision): { fingerprint: string; correlationKey: string; stormKey?: string } {
    const fp = fingerprint(alert, decision.dedupFields);
    return {
      fingerprint: fp,
      correlationKey: correlationKey(decision, alert, fp),
      ...(decision.storm ? { stormKey: stormKey(decision, alert) } : {}),
    };
  }

  apply(
    alert: SecurityAlert,
    decision: RuleDecision,
    now: Date,
    idempotencyKey?: string,
    bodyHash?: string,
    apiKeyId?: string,
  ): EngineResult {
    const repeatOf = repeatKeys(alert, idempotencyKey, apiKeyId);
    const repeat = repeatOf.map((k) => this.state.repeats.get(k)).find(Boolean);
    if (repeat)
      return { status: repeat.status, alertId: repeat.alertId, incidentId: repeat.incidentId, priority: repeat.priority, repeat: true };

    const { fingerprint: fp, correlationKey: ownKey, stormKey: foldKey } = CorrelationEngine.keys(alert, decision);
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

    const route = this.route(decision, ownKey, foldKey, now);
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
        title: route.storm ? stormTitle(decision, alert) : alert.title,
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
      };
      if (!route.storm && decision.storm) this.opened(decision.rule, decision.storm.withinSeconds, now);
      this.changes.created.set(incidentId, created);
      this.state.open.set(key, { ...created });
      this.notify(created);
    }
    if (route.storm) this.countSource(incidentId, stormSource(decision, alert));
    const result = record('new', incidentId);
    this.state.firsts.set(fp, { alertId: result.alertId, incidentId, lastSeenAt: now });
    return result;
  }

  /**
   * Where an alert goes: the incident its own key holds while that accepts alerts; else,
   * while its rule storms (a storm incident still active, or the rule at its threshold of
   * incidents opened within the window), the storm incident; else a new incident of its own.
   */
  private route(decision: RuleDecision, ownKey: string, key: string | undefined, now: Date): { key: string; storm: boolean } {
    const storm = decision.storm;
    const own = this.state.open.get(ownKey);
    if (!storm || !key || (own && isWithin(own.lastSeenAt, decision.correlationWindowSeconds, now))) return { key: ownKey, storm: false };
    const current = this.state.open.get(key);
    const raging = current !== undefined && isWithin(current.lastSeenAt, storm.quietSeconds, now);
    if (!raging && this.openedWithin(decision.rule, storm.withinSeconds, now) < storm.threshold) return { key: ownKey, storm: false };
    this.stormKeys.add(key);
    return { key, storm: true };
  }

  private openedWithin(rule: string, withinSeconds: number, now: Date): number {
    const since = now.getTime() - withinSeconds * 1000;
    return (this.state.openings.get(rule) ?? []).filter((t) => t > since).length;
  }

  private opened(rule: string, withinSeconds: number, now: Date): void {
    this.openingRules.add(rule);
    const since = now.getTime() - withinSeconds * 1000;
    this.state.openings.set(rule, [...(this.state.openings.get(rule) ?? []).filter((t) => t > since), now.getTime()]);
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
    const created = this.changes.created.get(next.id);
    if (created) Object.assign(created, next);
    else this.changes.updated.set(next.id, { incident: next, added: (this.changes.updated.get(next.id)?.added ?? 0) + 1 });
    if (plan.notify) this.notify(next, plan.changes);
  }
}
