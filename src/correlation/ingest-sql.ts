import { createHash } from 'node:crypto';
import type { Priority, Severity } from '../domain';
import { advisoryLocksSql } from '../database/locks';
import { insertRowsSql, jsonLiteral, lit, textArray } from '../database/sql-literal';
import { enqueueSql } from '../outbox/outbox';
import type { ChangeSet, LockMode, Snapshot, StoredRepeat, TrackedIncident } from './engine';
import { externalKey, idempotencyRepeatKey } from './engine';
import { liveAlertCountSql, liveLastSeenSql } from './live-sql';
import { rollupDeltas } from './rollups';
import type { JsonColumns } from '../database/rows';

/**
 * SQL for one ingest transaction in two round trips: (1) BEGIN, the advisory locks and
 * the snapshot read; (2) every write and COMMIT. Values are inlined, because the simple
 * protocol, which allows several statements per round trip, takes no parameters: keys as
 * escaped literals, and each table's rows as one JSON document (json_populate_recordset).
 */

/**
 * What the unique index on open incidents covers: a correlation key can be longer than a
 * btree entry may be (about 2,700 bytes), so the index holds its md5 and the row the key.
 * Equal to PostgreSQL's md5(text) on a UTF-8 database.
 */
export const keyHash = (correlationKey: string): string => createHash('md5').update(correlationKey, 'utf8').digest('hex');

export interface SnapshotRequest {
  /** Advisory locks to take first, each exclusive or shared. */
  locks: ReadonlyMap<string, LockMode>;
  fingerprints: string[];
  correlationKeys: string[];
  idempotencyKeys: string[];
  /** Repeat keys: (source, externalId) as sent by one API key (null: none, as in the backtest). */
  externalIds: { apiKeyId: string | null; source: string; externalId: string }[];
  /** Storm kinds the chunk's alerts belong to: their recent openings are read, up to the threshold. */
  stormKinds: { kind: string; withinSeconds: number; threshold: number }[];
}

/**
 * Locks are taken in one sorted order, so two transactions over overlapping keys cannot
 * deadlock; a lock wait is bounded so a stalled holder cannot exhaust the pool. The read
 * is its own statement after the locks, so READ COMMITTED gives it a snapshot that
 * includes everything the previous holder committed. Its clock_timestamp(), taken after
 * the locks, is the run's clock, so times never run backwards across lock holders.
 * An open incident's count and last activity are its row plus its deltas not yet folded.
 * Every lookup of the transaction is by key: sequential scans are off, because on a young
 * table not yet analyzed the planner chose them, and each chunk then read a whole table.
 */
export function beginAndReadSql(r: SnapshotRequest): string {
  return `BEGIN ISOLATION LEVEL READ COMMITTED;
SET LOCAL lock_timeout = '10s';
SET LOCAL enable_seqscan = off;
${r.locks.size ? `${advisoryLocksSql(namesIn(r.locks, 'exclusive'), namesIn(r.locks, 'shared'))};\n` : ''}SELECT clock_timestamp() AS now,
  ${repeatsSql(r.idempotencyKeys, r.externalIds)} AS repeats,
  (SELECT coalesce(json_agg(x), '[]') FROM (
     SELECT DISTINCT ON (fingerprint) fingerprint, id, incident_id, last_seen_at FROM alerts
      WHERE fingerprint = ANY(${textArray(r.fingerprints)}) AND status = 'new'
      ORDER BY fingerprint, last_seen_at DESC) x) AS firsts,
  (SELECT coalesce(json_agg(x), '[]') FROM (
     SELECT i.id, i.correlation_key, i.severity, i.priority, i.types, ${liveAlertCountSql('i')} AS alert_count,
            ${liveLastSeenSql('i')} AS last_seen_at, i.rule, i.action, i.assign_role, i.playbooks
       FROM incidents i
      WHERE md5(i.correlation_key) = ANY(${textArray(r.correlationKeys.map(keyHash))}) AND i.correlation_key = ANY(${textArray(r.correlationKeys)})
        AND i.correlation_closed_at IS NULL) x) AS open,
  (SELECT coalesce(json_agg(json_build_object('id', id, 'matchers', matchers)), '[]')
     FROM silences WHERE starts_at <= now() AND ends_at > now()) AS silences,
  ${openingsSql(r.stormKinds)} AS openings`;
}

const namesIn = (locks: ReadonlyMap<string, LockMode>, mode: LockMode) => [...locks].filter(([, m]) => m === mode).map(([n]) => n);

/** When each storm kind opened its latest ordinary incidents within its window: no more than its threshold needs. */
function openingsSql(kinds: SnapshotRequest['stormKinds']): string {
  if (kinds.length === 0) return `'{}'::json`;
  const perKind = kinds.map(
    (k) => `SELECT ${lit(k.kind)} AS kind, ARRAY(SELECT first_seen_at FROM incidents
       WHERE md5(storm_kind) = ${lit(keyHash(k.kind))} AND storm_kind = ${lit(k.kind)} AND NOT storm
         AND first_seen_at > clock_timestamp() - make_interval(secs => ${k.withinSeconds})
       ORDER BY first_seen_at DESC LIMIT ${k.threshold}) AS times`,
  );
  return `(SELECT coalesce(json_object_agg(kind, times), '{}') FROM (${perKind.join(' UNION ALL ')}) x)`;
}

/**
 * Each lookup on its own index; an OR across them would scan the table. An external id is the
 * sending key's: alerts stored before keys were recorded (api_key_id NULL) answer to any key,
 * as they did then, and are reported under the asking key.
 */
function repeatsSql(idempotencyKeys: string[], externalIds: SnapshotRequest['externalIds']): string {
  const lookups = [];
  const columns = 'a.id, a.incident_id, a.status, a.priority, a.idempotency_key, a.body_hash, a.source, a.external_id';
  if (idempotencyKeys.length) {
    lookups.push(`SELECT ${columns}, a.api_key_id FROM alerts a WHERE a.idempotency_key = ANY(${textArray(idempotencyKeys)})`);
  }
  if (externalIds.length) {
    const keys = `ARRAY[${externalIds.map((e) => lit(e.apiKeyId)).join(', ')}]::uuid[]`;
    lookups.push(`SELECT ${columns}, u.api_key_id FROM alerts a
      JOIN unnest(${keys}, ${textArray(externalIds.map((e) => e.source))}, ${textArray(externalIds.map((e) => e.externalId))}) AS u(api_key_id, source, external_id)
      ON a.source = u.source AND a.external_id = u.external_id AND (a.api_key_id = u.api_key_id OR a.api_key_id IS NULL)`);
  }
  return lookups.length ? `(SELECT coalesce(json_agg(x), '[]') FROM (${lookups.join(' UNION ALL ')}) x)` : `'[]'::json`;
}

export type SnapshotRow = {
  now: Date;
  repeats: JsonColumns<
    'alerts',
    'id' | 'incident_id' | 'status' | 'priority' | 'idempotency_key' | 'body_hash' | 'source' | 'external_id' | 'api_key_id',
    { status: StoredRepeat['status']; priority: Priority }
  >[];
  /** status 'new' alerts, each in an incident. */
  firsts: JsonColumns<'alerts', 'fingerprint' | 'id' | 'incident_id' | 'last_seen_at', { incident_id: string }>[];
  open: JsonColumns<
    'incidents',
    | 'id'
    | 'correlation_key'
    | 'severity'
    | 'priority'
    | 'types'
    | 'alert_count'
    | 'last_seen_at'
    | 'rule'
    | 'action'
    | 'assign_role'
    | 'playbooks',
    { severity: Severity; priority: Priority; action: TrackedIncident['action'] }
  >[];
  silences: Snapshot['silences'];
  openings: Record<string, string[]>;
};

export function toSnapshot(row: SnapshotRow): { now: Date; snapshot: Snapshot } {
  const snapshot: Snapshot = {
    repeats: new Map(),
    firsts: new Map(),
    open: new Map(),
    silences: row.silences,
    openings: new Map(Object.entries(row.openings).map(([rule, times]) => [rule, times.map((t) => Date.parse(t)).reverse()])),
  };
  for (const r of row.repeats) {
    const result = { alertId: r.id, incidentId: r.incident_id, status: r.status, priority: r.priority, bodyHash: r.body_hash };
    if (r.idempotency_key) snapshot.repeats.set(idempotencyRepeatKey(r.idempotency_key), result);
    if (r.external_id) snapshot.repeats.set(externalKey(r.api_key_id, r.source, r.external_id), result);
  }
  for (const f of row.firsts)
    snapshot.firsts.set(f.fingerprint, { alertId: f.id, incidentId: f.incident_id, lastSeenAt: new Date(f.last_seen_at) });
  for (const o of row.open) {
    snapshot.open.set(o.correlation_key, {
      id: o.id,
      correlationKey: o.correlation_key,
      severity: o.severity,
      priority: o.priority,
      types: o.types,
      alertCount: o.alert_count,
      lastSeenAt: new Date(o.last_seen_at),
      rule: o.rule,
      action: o.action,
      assignRole: o.assign_role,
      playbooks: o.playbooks,
    });
  }
  return { now: new Date(row.now), snapshot };
}

/**
 * Every write of the change set, then COMMIT, stamped with the run's clock. Closing stale
 * incidents comes before creating their successors (unique index on open keys). Counts,
 * storm sources and rollups are appended as deltas (folded later, delta-fold.ts), so no
 * row every alert of a busy incident or storm writes is locked across the commit; the
 * row updates that remain (an incident's changed severity, priority or types; a first
 * alert's repeats) come last, except that incident rows are locked before outbox rows, the
 * one order every path keeps (a fold holds incident rows while it raises their outbox rows).
 */
export function writeAndCommitSql(c: ChangeSet, now: Date): string {
  const at = lit(now, 'timestamptz');
  const statements: string[] = [];
  if (c.closed.size) {
    statements.push(
      `UPDATE incidents SET correlation_closed_at = ${at}, updated_at = ${at} WHERE id IN (${[...c.closed].map((id) => lit(id, 'uuid')).join(', ')})`,
    );
  }
  const changed = [...c.updated.values()].filter((u) => u.changed).sort((a, b) => (a.incident.id < b.incident.id ? -1 : 1));
  if (c.updated.size) {
    const rows = [...c.updated.values()].map(({ incident: i, added }) => `(${lit(i.id, 'uuid')}, ${added})`);
    statements.push(
      `INSERT INTO incident_deltas (incident_id, alerts, last_seen_at) SELECT v.id, v.n, ${at} FROM (VALUES ${rows.join(', ')}) AS v(id, n)`,
    );
  }
  if (c.created.size) {
    const rows = [...c.created.values()].map((i) => ({
      id: i.id,
      correlation_key: i.correlationKey,
      correlation_closed_at: i.closed ? now : null,
      title: i.title,
      severity: i.severity,
      priority: i.priority,
      action: i.action,
      rule: i.rule,
      playbooks: i.playbooks,
      assign_role: i.assignRole,
      types: i.types,
      source_ip: i.sourceIp ?? null,
      user: i.user ?? null,
      host: i.host ?? null,
      alert_count: i.alertCount,
      first_seen_at: i.firstSeenAt,
      last_seen_at: i.lastSeenAt,
      storm: i.storm,
      opening_rule: i.openingRule,
      storm_kind: i.stormKind,
    }));
    statements.push(insertRowsSql('incidents', Object.keys(rows[0]), rows));
  }
  if (c.stormSources.size) {
    const rows = [...c.stormSources].flatMap(([id, sources]) =>
      [...sources].map(([source, n]) => ({ incident_id: id, source, alerts: n, seen_at: now })),
    );
    statements.push(insertRowsSql('storm_source_deltas', Object.keys(rows[0]), rows));
  }
  if (c.alerts.length) {
    const rows = c.alerts.map(
      ({
        id,
        alert: a,
        idempotencyKey,
        bodyHash,
        decision: d,
        priority,
        fingerprint,
        status,
        incidentId,
        duplicateOf,
        silenceId,
        occurrenceCount,
        apiKeyId,
        enrichment,
      }) => ({
        id,
        source: a.source,
        external_id: a.externalId ?? null,
        idempotency_key: idempotencyKey ?? null,
        body_hash: bodyHash ?? null,
        type: a.type,
        severity: a.severity,
        title: a.title,
        description: a.description ?? null,
        source_ip: a.sourceIp ?? null,
        destination_ip: a.destinationIp ?? null,
        user: a.user ?? null,
        host: a.host ?? null,
        occurred_at: a.occurredAt ?? null,
        tags: a.tags ?? [],
        raw: a.raw ?? null,
        fingerprint,
        status,
        duplicate_of: duplicateOf,
        incident_id: incidentId,
        rule: d.rule,
        action: d.action,
        priority,
        silence_id: silenceId,
        occurrence_count: occurrenceCount,
        received_at: now,
        last_seen_at: now,
        api_key_id: apiKeyId ?? null,
        enrichment: enrichment ?? null,
      }),
    );
    statements.push(insertRowsSql('alerts', Object.keys(rows[0]), rows));
  }
  if (changed.length) {
    const rows = changed.map(
      ({ incident: i }) =>
        `(${[
          lit(i.id, 'uuid'),
          lit(i.severity),
          lit(i.priority),
          textArray(i.types),
          lit(i.rule),
          lit(i.action),
          lit(i.assignRole),
          textArray(i.playbooks),
        ].join(', ')})`,
    );
    statements.push(`UPDATE incidents AS i SET severity = v.severity, priority = v.priority, types = v.types, updated_at = ${at},
        rule = v.rule, action = v.action, assign_role = v.assign_role, playbooks = v.playbooks
      FROM (VALUES ${rows.join(', ')}) AS v(id, severity, priority, types, rule, action, assign_role, playbooks) WHERE i.id = v.id`);
  }
  if (c.outbox.length) statements.push(enqueueSql(c.outbox));
  statements.push(...rollupSql(c, at));
  if (c.bumped.size) {
    const rows = [...c.bumped].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, n]) => `(${lit(id, 'uuid')}, ${n})`);
    // A repeat joins under a shared lock, so two runs may bump the same first alerts: rows are locked in id order
    // (an UPDATE's join order is the planner's), so they queue rather than deadlock.
    statements.push(`WITH v (id, n) AS (VALUES ${rows.join(', ')}),
        locked AS MATERIALIZED (SELECT a.id FROM alerts a JOIN v ON v.id = a.id ORDER BY a.id FOR NO KEY UPDATE OF a)
      UPDATE alerts AS a SET occurrence_count = a.occurrence_count + v.n, last_seen_at = greatest(a.last_seen_at, ${at})
      FROM v JOIN locked l ON l.id = v.id WHERE a.id = v.id`);
  }
  statements.push('COMMIT');
  return statements.join(';\n');
}

/**
 * The run's additions to the alert rollups, appended (readers sum them; delta-fold.ts
 * compacts them), so concurrent ingests never wait on each other's rollup rows.
 */
function rollupSql(c: ChangeSet, at: string): string[] {
  const { alerts, sources, geo, attack } = rollupDeltas(c);
  const statements: string[] = [];
  if (alerts.length) {
    const rows = alerts.map((r) => `(${[lit(r.severity), lit(r.type), lit(r.status), r.storm, r.alerts].join(', ')})`);
    statements.push(`INSERT INTO alert_rollups (bucket, severity, type, status, storm, alerts)
        SELECT date_trunc('hour', ${at}, 'UTC'), v.severity, v.type, v.status, v.storm, sum(v.n) FROM (VALUES ${rows.join(', ')}) AS v(severity, type, status, storm, n)
        GROUP BY 1, 2, 3, 4, 5`);
  }
  if (sources.length) {
    statements.push(`INSERT INTO alert_source_rollups (bucket, source_ip, alerts)
        SELECT date_trunc('day', ${at}, 'UTC'), v.ip, sum(v.alerts) FROM json_to_recordset(${jsonLiteral(sources)}) AS v(ip inet, alerts int) GROUP BY 1, 2`);
  }
  if (geo.length) {
    const rows = geo.map((r) => `(${[lit(r.kind), lit(r.value), lit(r.label, 'text'), r.alerts].join(', ')})`);
    statements.push(`INSERT INTO alert_geo_rollups (bucket, kind, value, label, alerts)
        SELECT date_trunc('day', ${at}, 'UTC'), v.kind, v.value, v.label, v.n FROM (VALUES ${rows.join(', ')}) AS v(kind, value, label, n)`);
  }
  if (attack.length) {
    // Only the cells the incident lacks; no unique index, so a concurrent run adding the same cell never makes this one wait.
    statements.push(`INSERT INTO incident_attack (incident_id, tactic, technique)
        SELECT v."incidentId", v.tactic, v.technique FROM json_to_recordset(${jsonLiteral(attack)}) AS v("incidentId" uuid, tactic text, technique text)
        WHERE NOT EXISTS (SELECT 1 FROM incident_attack a
          WHERE a.incident_id = v."incidentId" AND a.tactic = v.tactic AND a.technique IS NOT DISTINCT FROM v.technique)`);
  }
  return statements;
}
