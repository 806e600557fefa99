import { isoTime, isoTimeOrNull } from '../common/iso';
import type { Columns } from '../database/rows';
import { parseStormKind, type IncidentStatus, type Priority, type Severity, type StormKind } from '../domain';
import { alertCountsSql, type AlertCountsRow } from './alert-counts';
import { liveAlertCountSql, liveLastSeenSql, liveStormSourcesSql } from './live-sql';

/**
 * An incident in brief: what it is, where it comes from, how many alerts and when. Slack and
 * Jira show it whole; the reports and the IP investigation list Picks of it (the investigation
 * of the detail, for its alert counts). Its count and last activity are live (live-sql.ts): an
 * answer never trails the ingest it follows. Times are ISO 8601.
 */
export interface IncidentSummaryView {
  id: string;
  title: string;
  status: IncidentStatus;
  severity: Severity;
  priority: Priority;
  storm: boolean;
  /** On a storm only: the one kind of alert it folds (rule, type, monitor). */
  stormKind?: StormKind | null;
  types: string[];
  sourceIp: string | null;
  user: string | null;
  host: string | null;
  alertCount: number;
  firstSeenAt: string;
  lastSeenAt: string;
  createdAt: string;
  resolvedAt: string | null;
}

/**
 * An incident in full: the summary, how the rules decided it (action, rule, playbooks, the role
 * to assign), how it correlates, and its alerts firing and resolved (counted from alerts). The
 * items of `GET /v1/incidents` and the head of `GET /v1/incidents/{id}`, in the order those
 * answers have always had.
 */
export interface IncidentDetailView extends IncidentSummaryView {
  action: string;
  rule: string;
  openingRule: string;
  assignRole: string;
  playbooks: string[];
  /** Its alerts not resolved by their monitor (monitors that never resolve leave them firing), and those resolved. */
  firingAlerts: number;
  resolvedAlerts: number;
  correlationKey: string;
  /** The digest task that gathered a `batch` incident. */
  digestTaskId: string | null;
}

/** The columns `incidentSummaryColumns` selects, as PostgreSQL returns them (times as text when they came through json_agg). */
export type IncidentSummaryRow = Omit<
  Columns<
    'incidents',
    | 'id'
    | 'title'
    | 'status'
    | 'severity'
    | 'priority'
    | 'storm'
    | 'storm_kind'
    | 'types'
    | 'source_ip'
    | 'user'
    | 'host'
    | 'alert_count'
    | IncidentTime,
    { status: IncidentStatus; severity: Severity; priority: Priority }
  >,
  IncidentTime
> & { first_seen_at: Date | string; last_seen_at: Date | string; created_at: Date | string; resolved_at: Date | string | null };

/** The incident's times, which come as text when read through json_agg. */
type IncidentTime = 'first_seen_at' | 'last_seen_at' | 'created_at' | 'resolved_at';

/** The columns `incidentDetailColumns` selects. */
export type IncidentDetailRow = IncidentSummaryRow &
  AlertCountsRow &
  Columns<'incidents', 'action' | 'rule' | 'opening_rule' | 'assign_role' | 'playbooks' | 'correlation_key' | 'digest_task_id'>;

/**
 * What an IncidentSummaryView is read from, for the `incidents` row named `alias`: its count and
 * last activity with ingest's deltas (one index lookup each). The address comes out with host().
 */
export const incidentSummaryColumns = (alias: string): string =>
  `${alias}.id, ${alias}.title, ${alias}.status, ${alias}.severity, ${alias}.priority, ${alias}.storm, ${alias}.storm_kind, ${alias}.types,
  host(${alias}.source_ip) AS source_ip, ${alias}."user", ${alias}.host, ${liveAlertCountSql(alias)} AS alert_count, ${alias}.first_seen_at,
  ${liveLastSeenSql(alias)} AS last_seen_at, ${alias}.created_at, ${alias}.resolved_at`;

/**
 * What an IncidentDetailView is read from. It counts the incident's alerts (alertCountsSql):
 * select it from a page of incidents already limited, so they are counted for those rows alone.
 */
export const incidentDetailColumns = (alias: string): string =>
  `${incidentSummaryColumns(alias)}, ${alias}.action, ${alias}.rule, ${alias}.opening_rule, ${alias}.assign_role, ${alias}.playbooks,
  ${alias}.correlation_key, ${alias}.digest_task_id, ${alertCountsSql(`${alias}.id`)}`;

export function toIncidentSummaryView(row: IncidentSummaryRow): IncidentSummaryView {
  return {
    id: row.id,
    title: row.title,
    status: row.status,
    severity: row.severity,
    priority: row.priority,
    storm: row.storm,
    ...(row.storm ? { stormKind: parseStormKind(row.storm_kind) } : {}),
    types: row.types,
    sourceIp: row.source_ip,
    user: row.user,
    host: row.host,
    alertCount: row.alert_count,
    firstSeenAt: isoTime(row.first_seen_at),
    lastSeenAt: isoTime(row.last_seen_at),
    createdAt: isoTime(row.created_at),
    resolvedAt: isoTimeOrNull(row.resolved_at),
  };
}

export function toIncidentDetailView(row: IncidentDetailRow): IncidentDetailView {
  const s = toIncidentSummaryView(row);
  return {
    id: s.id,
    title: s.title,
    status: s.status,
    severity: s.severity,
    priority: s.priority,
    action: row.action,
    rule: row.rule,
    openingRule: row.opening_rule,
    storm: s.storm,
    ...('stormKind' in s ? { stormKind: s.stormKind } : {}),
    assignRole: row.assign_role,
    playbooks: row.playbooks,
    types: s.types,
    sourceIp: s.sourceIp,
    user: s.user,
    host: s.host,
    alertCount: s.alertCount,
    firingAlerts: row.firing_alerts,
    resolvedAlerts: row.resolved_alerts,
    correlationKey: row.correlation_key,
    digestTaskId: row.digest_task_id,
    firstSeenAt: s.firstSeenAt,
    lastSeenAt: s.lastSeenAt,
    createdAt: s.createdAt,
    resolvedAt: s.resolvedAt,
  };
}

/** One source of a storm incident: how many of its alerts the storm folded, first and last. */
export interface StormSourceView {
  source: string;
  alerts: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

/** A storm incident's sources: how many distinct ones it counted, and the busiest (`top`, busiest first). */
export interface StormSourcesView {
  distinct: number;
  top: StormSourceView[];
}

/** A row of `stormSourcesSql`: one source, with how many distinct sources the storm holds in all. */
export type StormSourceRow = Omit<
  Columns<'storm_sources', 'source' | 'alerts' | 'first_seen_at' | 'last_seen_at'>,
  'first_seen_at' | 'last_seen_at'
> & {
  first_seen_at: Date | string;
  last_seen_at: Date | string;
  sources: number;
};

/**
 * The busiest `limit` sources of the storm incident `incidentId` (SQL expressions: a parameter or
 * a column), folded or not (live-sql.ts), each with the number of distinct sources.
 */
export const stormSourcesSql = (incidentId: string, limit: string): string =>
  `SELECT source, alerts, first_seen_at, last_seen_at, count(*) OVER ()::int AS sources FROM ${liveStormSourcesSql(`incident_id = ${incidentId}`)} s
    ORDER BY alerts DESC, source LIMIT ${limit}`;

export function toStormSourcesView(rows: readonly StormSourceRow[]): StormSourcesView {
  return {
    distinct: rows[0]?.sources ?? 0,
    top: rows.map((s) => ({
      source: s.source,
      alerts: s.alerts,
      firstSeenAt: isoTime(s.first_seen_at),
      lastSeenAt: isoTime(s.last_seen_at),
    })),
  };
}
