/**
 * Reads of what ingest appends as deltas (ingest-sql.ts) before delta-fold.ts has folded
 * them: an incident's alert count and last activity, and a storm's per-source counts. Read
 * models that show these use them, so an answer never trails the ingest it follows.
 */

/** `alias`'s alert count with its deltas. */
export const liveAlertCountSql = (alias: string) =>
  `(${alias}.alert_count + coalesce((SELECT sum(d.alerts)::int FROM incident_deltas d WHERE d.incident_id = ${alias}.id), 0))`;

/** `alias`'s last activity with its deltas. */
export const liveLastSeenSql = (alias: string) =>
  `greatest(${alias}.last_seen_at, (SELECT max(d.last_seen_at) FROM incident_deltas d WHERE d.incident_id = ${alias}.id))`;

/** Rows (incident_id, source, alerts, first_seen_at, last_seen_at) of storm sources, folded or not, for incidents matching `where` (on `incident_id`). */
export const liveStormSourcesSql = (
  where: string,
) => `(SELECT incident_id, source, sum(alerts)::int AS alerts, min(first_seen_at) AS first_seen_at,
      max(last_seen_at) AS last_seen_at FROM (
    SELECT incident_id, source, alerts, first_seen_at, last_seen_at FROM storm_sources WHERE ${where}
    UNION ALL SELECT incident_id, source, alerts, seen_at, seen_at FROM storm_source_deltas WHERE ${where}) u
  GROUP BY incident_id, source)`;
