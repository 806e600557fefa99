import { createHash } from 'node:crypto';
import type { Priority, Severity } from '../domain';
import { advisoryLocksSql } from '../database/locks';
import { jsonLiteral, lit, textArray } from '../database/sql-literal';
import { outboxInsertSql, outboxRows } from '../outbox/outbox';
import type { ChangeSet, LockMode, Snapshot, StoredRepeat, TrackedIncident } from './engine';
import { externalKey, idempotencyRepeatKey } from './engine';
import { liveAlertCountSql, liveLastSeenSql } from './live-sql';
import { rollupDeltas } from './rollups';
import type { JsonColumns } from '../database/rows';

/**
 * SQL for one ingest transaction in two round trips: (1) BEGIN, the advisory locks and
 * the snapshot read; (2) every write and COMMIT. The simple protocol, which allows several
 * statements per round trip, takes no parameters, so each read and write is a statement
 * PREPAREd once per connection (INGEST_PREPARE_SQL) and run as `EXECUTE name(arguments)`,
 * its arguments inlined: keys as escaped literals, each table's rows as one JSON document.
 * Planning these statements anew for every chunk cost PostgreSQL more than running them.
 */

/** A statement of the ingest transaction: prepared once per connection, run by EXECUTE. */
class IngestStatement {
  constructor(
    readonly name: string,
    /** Each parameter's type. */
    readonly params: readonly string[],
    private readonly sql: string,
  ) {}

  get prepareSql(): string {
    return `PREPARE ${this.name}(${this.params.join(', ')}) AS ${this.sql}`;
  }

  /** `args`: one SQL literal per parameter. */
  run(...args: string[]): string {
    return `EXECUTE ${this.name}(${args.join(', ')})`;
  }
}

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
 * The prepared statements run on their generic plan, made once under these settings; it
 * cannot know a chunk's few rows, so hash and merge joins and materialized scans are off
 * too (a generic plan hashed every open outbox row and every incident to enqueue one
 * notice), and joins to large tables also name their keys with `= ANY`.
 */
export function beginAndReadSql(r: SnapshotRequest): string {
  const locks = r.locks.size ? `${advisoryLocksSql(namesIn(r.locks, 'exclusive'), namesIn(r.locks, 'shared'))};\n` : '';
  return `BEGIN ISOLATION LEVEL READ COMMITTED;
${INGEST_SETTINGS_SQL};
${locks}${READ.run(
    textArray(r.fingerprints),
    textArray(r.correlationKeys.map(keyHash)),
    textArray(r.correlationKeys),
    textArray(r.idempotencyKeys),
    `ARRAY[${r.externalIds.map((e) => lit(e.apiKeyId)).join(', ')}]::uuid[]`,
    textArray(r.externalIds.map((e) => e.source)),
    textArray(r.externalIds.map((e) => e.externalId)),
    jsonLiteral(r.stormKinds.map((k) => ({ kind: k.kind, hash: keyHash(k.kind), within: k.withinSeconds, threshold: k.threshold }))),
  )}`;
}

/** The ingest transaction's settings, SET LOCAL after its BEGIN. */
export const INGEST_SETTINGS_SQL = [
  `SET LOCAL lock_timeout = '10s'`,
  'SET LOCAL enable_seqscan = off',
  'SET LOCAL enable_hashjoin = off',
  'SET LOCAL enable_mergejoin = off',
  'SET LOCAL enable_material = off',
  'SET LOCAL plan_cache_mode = force_generic_plan',
].join(';\n');

const namesIn = (locks: ReadonlyMap<string, LockMode>, mode: LockMode) => [...locks].filter(([, m]) => m === mode).map(([n]) => n);

const REPEAT_COLUMNS = 'a.id, a.incident_id, a.status, a.priority, a.idempotency_key, a.body_hash, a.source, a.external_id';

/**
 * The snapshot. Repeats: each lookup on its own index (an OR across them would scan the
 * table); external ids one (source, id) pair at a time (OFFSET 0 keeps a plan from reading
 * all of a source's alerts instead). An external id is the sending key's: alerts stored before
 * keys were recorded (api_key_id NULL) answer to any key, as they did then, under the asking key.
 * Openings: when each storm kind opened its latest ordinary incidents within its window, no
 * more than its threshold needs.
 */
const READ = new IngestStatement(
  'warden_ingest_read',
  ['text[]', 'text[]', 'text[]', 'text[]', 'uuid[]', 'text[]', 'text[]', 'json'],
  `SELECT clock_timestamp() AS now,
  (SELECT coalesce(json_agg(x), '[]') FROM (
     SELECT ${REPEAT_COLUMNS}, a.api_key_id FROM alerts a WHERE a.idempotency_key = ANY($4)
     UNION ALL
     SELECT ${REPEAT_COLUMNS}, u.api_key_id FROM unnest($5, $6, $7) AS u(api_key_id, source, external_id)
       CROSS JOIN LATERAL (SELECT * FROM alerts a WHERE a.source = u.source AND a.external_id = u.external_id
                             AND (a.api_key_id = u.api_key_id OR a.api_key_id IS NULL) OFFSET 0) a) x) AS repeats,
  (SELECT coalesce(json_agg(x), '[]') FROM (
     SELECT DISTINCT ON (fingerprint) fingerprint, id, incident_id, last_seen_at FROM alerts
      WHERE fingerprint = ANY($1) AND status = 'new'
      ORDER BY fingerprint, last_seen_at DESC) x) AS firsts,
  (SELECT coalesce(json_agg(x), '[]') FROM (
     SELECT i.id, i.correlation_key, i.severity, i.priority, i.types, ${liveAlertCountSql('i')} AS alert_count,
            ${liveLastSeenSql('i')} AS last_seen_at, i.rule, i.action, i.assign_role, i.playbooks
       FROM incidents i
      WHERE md5(i.correlation_key) = ANY($2) AND i.correlation_key = ANY($3)
        AND i.correlation_closed_at IS NULL) x) AS open,
  (SELECT coalesce(json_agg(json_build_object('id', id, 'matchers', matchers)), '[]')
     FROM silences WHERE starts_at <= now() AND ends_at > now()) AS silences,
  (SELECT coalesce(json_object_agg(k.kind, o.times), '{}')
     FROM json_to_recordset($8) AS k(kind text, hash text, within int, threshold int)
     CROSS JOIN LATERAL (SELECT ARRAY(SELECT first_seen_at FROM incidents
       WHERE md5(storm_kind) = k.hash AND storm_kind = k.kind AND NOT storm
         AND first_seen_at > (SELECT clock_timestamp() - make_interval(secs => k.within))
       ORDER BY first_seen_at DESC LIMIT k.threshold) AS times) o) AS openings`,
);

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
  if (c.closed.size) statements.push(CLOSE.run(at, `ARRAY[${[...c.closed].map((id) => lit(id)).join(', ')}]::uuid[]`));
  if (c.updated.size) {
    statements.push(ADD_COUNTS.run(at, jsonLiteral([...c.updated.values()].map(({ incident, added }) => ({ id: incident.id, n: added })))));
  }
  if (c.created.size) {
    const rows = [...c.created.values()].map((i): IncidentRow => ({
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
    statements.push(INSERT_INCIDENTS.run(jsonLiteral(rows)));
  }
  if (c.stormSources.size) {
    const rows = [...c.stormSources].flatMap(([id, sources]) =>
      [...sources].map(([source, n]) => ({ incident_id: id, source, alerts: n })),
    );
    statements.push(ADD_STORM_SOURCES.run(at, jsonLiteral(rows)));
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
      }): AlertRow => ({
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
        api_key_id: apiKeyId ?? null,
        enrichment: enrichment ?? null,
      }),
    );
    statements.push(INSERT_ALERTS.run(at, jsonLiteral(rows)));
  }
  const changed = [...c.updated.values()].filter((u) => u.changed).sort((a, b) => (a.incident.id < b.incident.id ? -1 : 1));
  if (changed.length) {
    const rows = changed.map(({ incident: i }) => ({
      id: i.id,
      severity: i.severity,
      priority: i.priority,
      types: i.types,
      rule: i.rule,
      action: i.action,
      assign_role: i.assignRole,
      playbooks: i.playbooks,
    }));
    statements.push(UPDATE_INCIDENTS.run(at, jsonLiteral(rows)));
  }
  if (c.outbox.length) statements.push(ENQUEUE.run(jsonLiteral(outboxRows(c.outbox))));
  statements.push(...rollupSql(c, at));
  if (c.bumped.size) {
    const rows = [...c.bumped].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, n]) => ({ id, n }));
    statements.push(BUMP_REPEATS.run(at, jsonLiteral(rows)));
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
  if (alerts.length) statements.push(ADD_ALERT_ROLLUPS.run(at, jsonLiteral(alerts)));
  if (sources.length) statements.push(ADD_SOURCE_ROLLUPS.run(at, jsonLiteral(sources)));
  if (geo.length) statements.push(ADD_GEO_ROLLUPS.run(at, jsonLiteral(geo)));
  if (attack.length) statements.push(ADD_ATTACK_CELLS.run(jsonLiteral(attack)));
  return statements;
}

type IncidentRow = Record<(typeof INCIDENT_COLUMNS)[number], unknown>;
type AlertRow = Record<(typeof ALERT_COLUMNS)[number], unknown>;

const INCIDENT_COLUMNS = [
  'id',
  'correlation_key',
  'correlation_closed_at',
  'title',
  'severity',
  'priority',
  'action',
  'rule',
  'playbooks',
  'assign_role',
  'types',
  'source_ip',
  'user',
  'host',
  'alert_count',
  'first_seen_at',
  'last_seen_at',
  'storm',
  'opening_rule',
  'storm_kind',
] as const;

/** Every column ingest writes of an alert, except the two the run's clock sets. */
const ALERT_COLUMNS = [
  'id',
  'source',
  'external_id',
  'idempotency_key',
  'body_hash',
  'type',
  'severity',
  'title',
  'description',
  'source_ip',
  'destination_ip',
  'user',
  'host',
  'occurred_at',
  'tags',
  'raw',
  'fingerprint',
  'status',
  'duplicate_of',
  'incident_id',
  'rule',
  'action',
  'priority',
  'silence_id',
  'occurrence_count',
  'api_key_id',
  'enrichment',
] as const;

const columnList = (columns: readonly string[], alias = '') => columns.map((c) => alias + (c === 'user' ? '"user"' : c)).join(', ');

// The writes, in writeAndCommitSql's order. $1 is the run's clock where a statement stamps rows.
const CLOSE = new IngestStatement(
  'warden_ingest_close',
  ['timestamptz', 'uuid[]'],
  `UPDATE incidents SET correlation_closed_at = $1, updated_at = $1 WHERE id = ANY($2)`,
);
const ADD_COUNTS = new IngestStatement(
  'warden_ingest_add_counts',
  ['timestamptz', 'json'],
  `INSERT INTO incident_deltas (incident_id, alerts, last_seen_at) SELECT v.id, v.n, $1 FROM json_to_recordset($2) AS v(id uuid, n int)`,
);
const INSERT_INCIDENTS = new IngestStatement(
  'warden_ingest_incidents',
  ['json'],
  `INSERT INTO incidents (${columnList(INCIDENT_COLUMNS)}) SELECT ${columnList(INCIDENT_COLUMNS)} FROM json_populate_recordset(NULL::incidents, $1)`,
);
const ADD_STORM_SOURCES = new IngestStatement(
  'warden_ingest_storm_sources',
  ['timestamptz', 'json'],
  `INSERT INTO storm_source_deltas (incident_id, source, alerts, seen_at) SELECT v.incident_id, v.source, v.alerts, $1 FROM json_to_recordset($2) AS v(incident_id uuid, source text, alerts int)`,
);
const INSERT_ALERTS = new IngestStatement(
  'warden_ingest_alerts',
  ['timestamptz', 'json'],
  `INSERT INTO alerts (${columnList(ALERT_COLUMNS)}, received_at, last_seen_at)
    SELECT ${columnList(ALERT_COLUMNS, 'v.')}, $1, $1 FROM json_populate_recordset(NULL::alerts, $2) AS v`,
);
const UPDATE_INCIDENTS = new IngestStatement(
  'warden_ingest_update_incidents',
  ['timestamptz', 'json'],
  `WITH v AS MATERIALIZED (SELECT * FROM json_populate_recordset(NULL::incidents, $2))
    UPDATE incidents AS i SET severity = v.severity, priority = v.priority, types = v.types, updated_at = $1,
      rule = v.rule, action = v.action, assign_role = v.assign_role, playbooks = v.playbooks
    FROM v WHERE i.id = v.id AND i.id = ANY(ARRAY(SELECT id FROM v))`,
);
const ENQUEUE = new IngestStatement('warden_ingest_enqueue', ['json'], outboxInsertSql('$1'));
const ADD_ALERT_ROLLUPS = new IngestStatement(
  'warden_ingest_alert_rollups',
  ['timestamptz', 'json'],
  `INSERT INTO alert_rollups (bucket, severity, type, status, storm, alerts)
    SELECT date_trunc('hour', $1, 'UTC'), v.severity, v.type, v.status, v.storm, v.alerts
      FROM json_to_recordset($2) AS v(severity text, type text, status text, storm boolean, alerts int)`,
);
const ADD_SOURCE_ROLLUPS = new IngestStatement(
  'warden_ingest_source_rollups',
  ['timestamptz', 'json'],
  `INSERT INTO alert_source_rollups (bucket, source_ip, alerts)
    SELECT date_trunc('day', $1, 'UTC'), v.ip, v.alerts FROM json_to_recordset($2) AS v(ip inet, alerts int)`,
);
const ADD_GEO_ROLLUPS = new IngestStatement(
  'warden_ingest_geo_rollups',
  ['timestamptz', 'json'],
  `INSERT INTO alert_geo_rollups (bucket, kind, value, label, alerts)
    SELECT date_trunc('day', $1, 'UTC'), v.kind, v.value, v.label, v.alerts FROM json_to_recordset($2) AS v(kind text, value text, label text, alerts int)`,
);
// Only the cells the incident lacks; no unique index, so a concurrent run adding the same cell never makes this one wait.
const ADD_ATTACK_CELLS = new IngestStatement(
  'warden_ingest_attack_cells',
  ['json'],
  `INSERT INTO incident_attack (incident_id, tactic, technique)
    SELECT v."incidentId", v.tactic, v.technique FROM json_to_recordset($1) AS v("incidentId" uuid, tactic text, technique text)
    WHERE NOT EXISTS (SELECT 1 FROM incident_attack a
      WHERE a.incident_id = v."incidentId" AND a.tactic = v.tactic AND a.technique IS NOT DISTINCT FROM v.technique)`,
);
// A repeat joins under a shared lock, so two runs may bump the same first alerts: rows are locked in id order
// (an UPDATE's join order is the planner's), so they queue rather than deadlock.
const BUMP_REPEATS = new IngestStatement(
  'warden_ingest_bump_repeats',
  ['timestamptz', 'json'],
  `WITH v AS (SELECT * FROM json_to_recordset($2) AS v(id uuid, n int)),
      locked AS MATERIALIZED (SELECT a.id FROM alerts a WHERE a.id = ANY(ARRAY(SELECT id FROM v)) ORDER BY a.id FOR NO KEY UPDATE)
    UPDATE alerts AS a SET occurrence_count = a.occurrence_count + v.n, last_seen_at = greatest(a.last_seen_at, $1)
    FROM v JOIN locked l ON l.id = v.id WHERE a.id = v.id`,
);

/** Every statement the ingest transaction EXECUTEs. */
export const INGEST_STATEMENTS: readonly IngestStatement[] = [
  READ,
  CLOSE,
  ADD_COUNTS,
  INSERT_INCIDENTS,
  ADD_STORM_SOURCES,
  INSERT_ALERTS,
  UPDATE_INCIDENTS,
  ENQUEUE,
  ADD_ALERT_ROLLUPS,
  ADD_SOURCE_ROLLUPS,
  ADD_GEO_ROLLUPS,
  ADD_ATTACK_CELLS,
  BUMP_REPEATS,
];

/** For a connection that has not prepared them yet. */
export const INGEST_PREPARE_SQL = INGEST_STATEMENTS.map((s) => s.prepareSql).join(';\n');
