import type { AlertStatus, Priority, SecurityAlert } from '../domain';
import {
  emptySnapshot,
  externalKey,
  idempotencyRepeatKey,
  type ChangeSet,
  type OutboxRecord,
  type Snapshot,
  type TrackedIncident,
} from './engine';
import { milestoneNotices, type FoldedIncident } from './delta-fold';
import type { IngestStore, OwnAlerts, Resolved } from './ingest-path';
import type { SnapshotRequest } from './ingest-sql';
import type { ThresholdQuery } from './rules';
import type { CorrelationField } from './rules.schema';

/** A stored alert, as the alerts table keeps it. */
export interface MemoryAlert {
  id: string;
  alert: SecurityAlert;
  idempotencyKey?: string;
  bodyHash?: string;
  apiKeyId?: string;
  fingerprint: string;
  status: AlertStatus;
  incidentId: string | null;
  priority: Priority;
  occurrenceCount: number;
  receivedAt: number;
  lastSeenAt: number;
  resolvedAt?: number;
}

/** A stored incident, as the incidents table keeps it. */
export interface MemoryIncident extends TrackedIncident {
  firstSeenAt: number;
  /** When it stopped accepting alerts (correlation_closed_at). */
  closedAt?: number;
  storm: boolean;
  openingRule: string;
  stormKind: string | null;
}

/**
 * The ingest path's store in memory, for `warden rules backtest`: it answers each
 * snapshot read as ingest-sql.ts's read answers it from PostgreSQL, and applies a change
 * set as writeAndCommitSql writes it. The clock is the caller's (`now`).
 */
export class MemoryIngestStore implements IngestStore {
  /** The store's clock, in ms: what clock_timestamp() and now() are in PostgreSQL. */
  now = 0;
  readonly alerts: MemoryAlert[] = [];
  /** In the order they were opened. */
  readonly incidents = new Map<string, MemoryIncident>();
  readonly stormSources = new Map<string, Map<string, number>>();
  readonly outbox: OutboxRecord[] = [];
  private readonly byId = new Map<string, MemoryAlert>();
  private readonly byRepeatKey = new Map<string, MemoryAlert>();
  private readonly newByFingerprint = new Map<string, MemoryAlert[]>();
  private readonly byType = new Map<string, MemoryAlert[]>();
  private readonly openByKey = new Map<string, MemoryIncident>();
  private lastId = 0;

  constructor(private readonly silences: Snapshot['silences'] = []) {}

  newId = () => String(++this.lastId);

  transact<T>(request: SnapshotRequest, decide: (snapshot: Snapshot, now: Date) => { changes?: ChangeSet; value: T }): Promise<T> {
    try {
      const now = new Date(this.now);
      const { changes, value } = decide(this.read(request), now);
      if (changes) this.write(changes, now.getTime());
      return Promise.resolve(value);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  countStored({ type, by, withinSeconds }: ThresholdQuery, own: OwnAlerts): Promise<number> {
    const since = this.now - withinSeconds * 1000;
    const fields = Object.entries(by) as [CorrelationField, string][];
    const ownKeys = new Set([
      ...own.idempotencyKeys.map(idempotencyRepeatKey),
      ...own.externalIds.map((e) => externalKey(e.apiKeyId, e.source, e.externalId)),
    ]);
    const isOwn = (a: MemoryAlert) =>
      (a.idempotencyKey !== undefined && ownKeys.has(idempotencyRepeatKey(a.idempotencyKey))) ||
      (a.alert.externalId !== undefined && ownKeys.has(externalKey(a.apiKeyId, a.alert.source, a.alert.externalId)));
    const count = (this.byType.get(type) ?? []).filter(
      (a) => a.receivedAt > since && fields.every(([f, v]) => a.alert[f] === v) && !isOwn(a),
    ).length;
    return Promise.resolve(count);
  }

  resolve(alert: SecurityAlert, apiKeyId?: string): Promise<Resolved> {
    const stored = alert.externalId ? this.byRepeatKey.get(externalKey(apiKeyId, alert.source, alert.externalId)) : undefined;
    if (!stored) return Promise.resolve({ status: 'resolved' });
    stored.resolvedAt ??= this.now;
    return Promise.resolve({ status: 'resolved', alertId: stored.id, incidentId: stored.incidentId, priority: stored.priority });
  }

  /** Copies of what the request asks for, so a rolled-back run leaves the store as it was. */
  private read(r: SnapshotRequest): Snapshot {
    const snapshot = emptySnapshot();
    snapshot.silences = this.silences;
    const repeatOf = (a: MemoryAlert) => ({
      alertId: a.id,
      incidentId: a.incidentId,
      status: a.status,
      priority: a.priority,
      bodyHash: a.bodyHash ?? null,
    });
    for (const key of [
      ...r.idempotencyKeys.map(idempotencyRepeatKey),
      ...r.externalIds.map((e) => externalKey(e.apiKeyId, e.source, e.externalId)),
    ]) {
      const stored = this.byRepeatKey.get(key);
      if (stored) snapshot.repeats.set(key, repeatOf(stored));
    }
    for (const fp of r.fingerprints) {
      const newest = (this.newByFingerprint.get(fp) ?? []).reduce<MemoryAlert | undefined>(
        (best, a) => (!best || a.lastSeenAt > best.lastSeenAt ? a : best),
        undefined,
      );
      if (newest && newest.incidentId) {
        snapshot.firsts.set(fp, { alertId: newest.id, incidentId: newest.incidentId, lastSeenAt: new Date(newest.lastSeenAt) });
      }
    }
    for (const key of r.correlationKeys) {
      const open = this.openByKey.get(key);
      if (open) snapshot.open.set(key, { ...tracked(open), types: [...open.types], playbooks: [...open.playbooks] });
    }
    for (const { kind, withinSeconds, threshold } of r.stormKinds) {
      const since = this.now - withinSeconds * 1000;
      const times = [...this.incidents.values()]
        .filter((i) => i.stormKind === kind && !i.storm && i.firstSeenAt > since)
        .map((i) => i.firstSeenAt)
        .sort((a, b) => a - b);
      snapshot.openings.set(kind, times.slice(-threshold));
    }
    return snapshot;
  }

  /** Applies a change set in writeAndCommitSql's order, with its deltas folded at once. */
  private write(c: ChangeSet, at: number): void {
    for (const id of c.closed) this.close(this.incidents.get(id)!, at);
    const folded: FoldedIncident[] = [];
    for (const { incident: next, added } of c.updated.values()) {
      const i = this.incidents.get(next.id)!;
      folded.push({ ...next, before: i.alertCount, after: i.alertCount + added });
      Object.assign(i, {
        severity: next.severity,
        priority: next.priority,
        types: next.types,
        alertCount: i.alertCount + added,
        lastSeenAt: new Date(Math.max(i.lastSeenAt.getTime(), at)),
        rule: next.rule,
        action: next.action,
        assignRole: next.assignRole,
        playbooks: next.playbooks,
      });
    }
    for (const created of c.created.values()) {
      const i: MemoryIncident = {
        ...tracked(created),
        firstSeenAt: created.firstSeenAt.getTime(),
        storm: created.storm,
        openingRule: created.openingRule,
        stormKind: created.stormKind,
      };
      this.incidents.set(i.id, i);
      if (created.closed) i.closedAt = at;
      else this.openByKey.set(i.correlationKey, i);
    }
    for (const [id, sources] of c.stormSources) {
      let counts = this.stormSources.get(id);
      if (!counts) this.stormSources.set(id, (counts = new Map()));
      for (const [source, n] of sources) counts.set(source, (counts.get(source) ?? 0) + n);
    }
    for (const r of c.alerts) {
      const a: MemoryAlert = {
        id: r.id,
        alert: r.alert,
        idempotencyKey: r.idempotencyKey,
        bodyHash: r.bodyHash,
        apiKeyId: r.apiKeyId,
        fingerprint: r.fingerprint,
        status: r.status,
        incidentId: r.incidentId,
        priority: r.priority,
        occurrenceCount: r.occurrenceCount,
        receivedAt: at,
        lastSeenAt: at,
      };
      this.alerts.push(a);
      this.byId.set(a.id, a);
      if (a.idempotencyKey) this.byRepeatKey.set(idempotencyRepeatKey(a.idempotencyKey), a);
      if (a.alert.externalId) this.byRepeatKey.set(externalKey(a.apiKeyId, a.alert.source, a.alert.externalId), a);
      if (a.status === 'new') push(this.newByFingerprint, a.fingerprint, a);
      push(this.byType, a.alert.type, a);
    }
    for (const [id, n] of c.bumped) {
      const a = this.byId.get(id)!;
      a.occurrenceCount += n;
      a.lastSeenAt = Math.max(a.lastSeenAt, at);
    }
    this.outbox.push(...c.outbox);
    // What delta-fold.ts tells after this run's commit.
    this.outbox.push(...milestoneNotices(folded).map((n) => n as OutboxRecord));
  }

  private close(i: MemoryIncident, at: number): void {
    i.closedAt = at;
    if (this.openByKey.get(i.correlationKey) === i) this.openByKey.delete(i.correlationKey);
  }
}

const tracked = (i: TrackedIncident): TrackedIncident => ({
  id: i.id,
  correlationKey: i.correlationKey,
  severity: i.severity,
  priority: i.priority,
  types: i.types,
  alertCount: i.alertCount,
  lastSeenAt: i.lastSeenAt,
  rule: i.rule,
  action: i.action,
  assignRole: i.assignRole,
  playbooks: i.playbooks,
});

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
