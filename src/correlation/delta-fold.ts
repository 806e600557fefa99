import type { Pool, QueryResult } from 'pg';
import { withClient } from '../database/pg';
import type { Priority, Severity } from '../domain';
import { enqueueSql, type OutboxEntry } from '../outbox/outbox';
import { milestoneCrossed } from './correlation';
import type { RuleAction } from './rules.schema';

/**
 * Folds what ingest appended instead of updating shared rows (ingest-sql.ts): incident
 * deltas into `incidents.alert_count` and `last_seen_at`, storm-source deltas into
 * `storm_sources`, and the current rollup buckets into one row per key. Each fold deletes
 * exactly the rows it adds up, in one transaction, so any number of folders (every api
 * replica runs one) never count a delta twice; an incident row another transaction holds is
 * skipped, never waited for, and its deltas stay for the next pass. The fold's row lock is
 * NO KEY UPDATE, so ingest's foreign-key checks (alerts and deltas of the incident) never wait on it.
 *
 * A fold may lose its commit in a crash (it commits asynchronously) only together with the
 * deletes, so the deltas are simply folded again. A fold that passes a count milestone
 * tells the incident's workflow, and that one commits durably.
 */

/** Incidents per pass: the rest wait for the next. */
export const INCIDENTS_PER_PASS = 1000;
export const SOURCES_PER_PASS = 10_000;

export interface FoldedIncident {
  id: string;
  before: number;
  after: number;
  severity: Severity;
  priority: Priority;
  types: string[];
  action: RuleAction;
}

export const foldIncidentsSql = `WITH pending AS (SELECT DISTINCT incident_id FROM incident_deltas LIMIT ${INCIDENTS_PER_PASS}),
  locked AS MATERIALIZED (SELECT i.id FROM incidents i JOIN pending p ON p.incident_id = i.id ORDER BY i.id FOR NO KEY UPDATE OF i SKIP LOCKED),
  gone AS (DELETE FROM incident_deltas d USING locked l WHERE d.incident_id = l.id RETURNING d.incident_id, d.alerts, d.last_seen_at),
  sums AS (SELECT incident_id, sum(alerts)::int AS n, max(last_seen_at) AS last FROM gone GROUP BY incident_id)
UPDATE incidents i SET alert_count = i.alert_count + s.n, last_seen_at = greatest(i.last_seen_at, s.last)
  FROM sums s WHERE i.id = s.incident_id
RETURNING i.id, i.alert_count - s.n AS before, i.alert_count AS after, i.severity, i.priority, i.types, i.action`;

export const foldStormSourcesSql = `WITH gone AS (
    DELETE FROM storm_source_deltas WHERE id IN (SELECT id FROM storm_source_deltas ORDER BY id LIMIT ${SOURCES_PER_PASS} FOR UPDATE SKIP LOCKED)
    RETURNING incident_id, source, alerts, seen_at)
INSERT INTO storm_sources (incident_id, source, alerts, first_seen_at, last_seen_at)
  SELECT incident_id, source, sum(alerts), min(seen_at), max(seen_at) FROM gone GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (incident_id, source) DO UPDATE SET alerts = storm_sources.alerts + excluded.alerts,
  last_seen_at = greatest(storm_sources.last_seen_at, excluded.last_seen_at)`;

/**
 * Compacts the keys of the rollup rows appended since `$1` (the highest id the last compaction
 * saw) that have more than one row. Returns the new watermark.
 */
export const compactRollupsSql = [
  `WITH fresh AS (SELECT bucket, severity, type, status, storm, max(id) AS top FROM alert_rollups WHERE id > $1 GROUP BY 1, 2, 3, 4, 5),
    dup AS (SELECT f.* FROM fresh f WHERE (SELECT count(*) FROM alert_rollups r
              WHERE (r.bucket, r.severity, r.type, r.status, r.storm) = (f.bucket, f.severity, f.type, f.status, f.storm)) > 1),
    gone AS (DELETE FROM alert_rollups r USING dup d
              WHERE (r.bucket, r.severity, r.type, r.status, r.storm) = (d.bucket, d.severity, d.type, d.status, d.storm)
             RETURNING r.bucket, r.severity, r.type, r.status, r.storm, r.alerts),
    kept AS (INSERT INTO alert_rollups (bucket, severity, type, status, storm, alerts)
             SELECT bucket, severity, type, status, storm, sum(alerts) FROM gone GROUP BY 1, 2, 3, 4, 5 RETURNING id)
  SELECT greatest((SELECT max(id) FROM kept), (SELECT max(top) FROM fresh))::text AS watermark`,
  `WITH fresh AS (SELECT bucket, source_ip, max(id) AS top FROM alert_source_rollups WHERE id > $1 GROUP BY 1, 2),
    dup AS (SELECT f.* FROM fresh f WHERE (SELECT count(*) FROM alert_source_rollups r WHERE r.bucket = f.bucket AND r.source_ip = f.source_ip) > 1),
    gone AS (DELETE FROM alert_source_rollups r USING dup d WHERE r.bucket = d.bucket AND r.source_ip = d.source_ip
             RETURNING r.bucket, r.source_ip, r.alerts),
    kept AS (INSERT INTO alert_source_rollups (bucket, source_ip, alerts) SELECT bucket, source_ip, sum(alerts) FROM gone GROUP BY 1, 2 RETURNING id)
  SELECT greatest((SELECT max(id) FROM kept), (SELECT max(top) FROM fresh))::text AS watermark`,
  // A country's or organisation's name may change with the GeoIP database: the compacted row keeps one.
  `WITH fresh AS (SELECT bucket, kind, value, max(id) AS top FROM alert_geo_rollups WHERE id > $1 GROUP BY 1, 2, 3),
    dup AS (SELECT f.* FROM fresh f WHERE (SELECT count(*) FROM alert_geo_rollups r
              WHERE (r.bucket, r.kind, r.value) = (f.bucket, f.kind, f.value)) > 1),
    gone AS (DELETE FROM alert_geo_rollups r USING dup d WHERE (r.bucket, r.kind, r.value) = (d.bucket, d.kind, d.value)
             RETURNING r.bucket, r.kind, r.value, r.label, r.alerts),
    kept AS (INSERT INTO alert_geo_rollups (bucket, kind, value, label, alerts)
             SELECT bucket, kind, value, max(label), sum(alerts) FROM gone GROUP BY 1, 2, 3 RETURNING id)
  SELECT greatest((SELECT max(id) FROM kept), (SELECT max(top) FROM fresh))::text AS watermark`,
];

/** What the workflows hear of a fold: an incident whose count passed a milestone (batched incidents have no workflow). */
export function milestoneNotices(folded: readonly FoldedIncident[]): OutboxEntry[] {
  return folded.flatMap((i) => {
    const milestone = milestoneCrossed(i.before, i.after);
    if (i.action === 'batch' || milestone === null) return [];
    // `countMilestone` names the milestone passed; `alertCount` is where the fold left the count.
    const changes = { severityRose: false, priorityRose: false, newType: false, countMilestone: milestone };
    return [
      {
        incidentId: i.id,
        kind: 'alerts_changed' as const,
        payload: { severity: i.severity, priority: i.priority, types: i.types, alertCount: i.after, changes },
      },
    ];
  });
}

/** Records, in the fold's transaction, that alerts joined these incidents (the channels' coalesced "alerts added"). */
export type AlertsAdded = (incidentIds: string[], db: { query(sql: string, params?: unknown[]): Promise<unknown> }) => Promise<void>;

export interface FoldPass {
  incidents: number;
  stormSources: number;
  notices: number;
}

/**
 * One fold, in one transaction and three round trips: storm sources and incident counts;
 * then what the channels hear of the joins (once per pass and incident, rather than from
 * every ingest transaction, which would all write one notice row) and the milestone notices;
 * then COMMIT.
 */
export function foldPass(pool: Pool, alertsAdded: AlertsAdded): Promise<FoldPass> {
  return withClient(pool, async (client) => {
    const results = (await client.query<FoldedIncident>(
      `BEGIN; SET LOCAL synchronous_commit = off; SET LOCAL lock_timeout = '5s'; ${foldStormSourcesSql}; ${foldIncidentsSql}`,
    )) as unknown as QueryResult<FoldedIncident>[];
    const stormSources = results[results.length - 2].rowCount ?? 0;
    const folded = results[results.length - 1].rows;
    // Batched incidents have no thread or ticket of their own: their digest task does.
    const joined = folded.filter((r) => r.action !== 'batch').map((r) => r.id);
    if (joined.length > 0) await alertsAdded(joined, { query: (sql, params) => client.query<never>(sql, params) });
    const notices = milestoneNotices(folded);
    // The workflow is told at most once per milestone, so that commit waits for the disk.
    await client.query(notices.length > 0 ? `SET LOCAL synchronous_commit = on; ${enqueueSql(notices)}; COMMIT` : 'COMMIT');
    return { incidents: folded.length, stormSources, notices: notices.length };
  });
}

/**
 * Rollups have no milestone or channel: each compaction is one autocommitted statement.
 * `watermarks`: per table, the highest id the last compaction wrote ('0' at first), updated.
 * Rows appended meanwhile with lower ids than the watermark are caught by their key's next
 * fresh row; readers sum either way.
 */
export async function compactRollups(pool: Pool, watermarks: string[]): Promise<void> {
  for (const [i, sql] of compactRollupsSql.entries()) {
    const { rows } = await pool.query<{ watermark: string | null }>(sql, [watermarks[i] ?? '0']);
    if (rows[0]?.watermark) watermarks[i] = rows[0].watermark;
  }
}
