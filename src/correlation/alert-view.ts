import { isoTime, isoTimeOrNull } from '../common/iso';
import type { Columns } from '../database/rows';
import type { Enrichment } from '../enrichment';
import { alertViewStatus, type AlertStatus, type AlertViewStatus, type Priority, type Severity } from '../domain';

/**
 * An alert as Warden shows it: the one rendering of an `alerts` row, wherever an alert is listed
 * (incident detail, IP investigation, Slack and Jira, evidence). A place that shows fewer fields
 * uses a named Pick of this view (`pickFields(view, KEYS)` keeps the order its answer always had).
 * Times are ISO 8601.
 */
export interface AlertView {
  id: string;
  incidentId: string | null;
  source: string;
  type: string;
  severity: Severity;
  title: string;
  description: string | null;
  sourceIp: string | null;
  destinationIp: string | null;
  user: string | null;
  host: string | null;
  /** `firing`/`resolved` for monitors that report resolution, else as stored (alertViewStatus). */
  status: AlertViewStatus;
  priority: Priority;
  rule: string;
  /** How many times it arrived inside the dedup window (`occurrence_count`). */
  occurrences: number;
  occurredAt: string | null;
  receivedAt: string;
  lastSeenAt: string;
  /** When its monitor resolved it. */
  resolvedAt: string | null;
  /** What enrichment added at ingest (geo, ATT&CK, intel hits, assets); null for an alert stored without. */
  enrichment: Enrichment | null;
}

/** The columns `alertViewColumns` selects, as PostgreSQL returns them (times as text when they came through json_agg). */
export type AlertViewRow = Omit<
  Columns<
    'alerts',
    | 'id'
    | 'incident_id'
    | 'source'
    | 'type'
    | 'severity'
    | 'title'
    | 'description'
    | 'source_ip'
    | 'destination_ip'
    | 'user'
    | 'host'
    | 'status'
    | 'priority'
    | 'rule'
    | 'occurrence_count'
    | 'enrichment'
    | AlertTime,
    { severity: Severity; status: AlertStatus; priority: Priority; enrichment: Enrichment | null }
  >,
  AlertTime
> & { occurred_at: Date | string | null; received_at: Date | string; last_seen_at: Date | string; resolved_at: Date | string | null };

/** The alert's times, which come as text when read through json_agg. */
type AlertTime = 'occurred_at' | 'received_at' | 'last_seen_at' | 'resolved_at';

/**
 * What an AlertView is read from, for the `alerts` row named `alias` (the table name when it has
 * no alias). Addresses come out with host(): plain, never with a /32.
 */
export const alertViewColumns = (alias: string): string =>
  `${alias}.id, ${alias}.incident_id, ${alias}.source, ${alias}.type, ${alias}.severity, ${alias}.title, ${alias}.description,
  host(${alias}.source_ip) AS source_ip, host(${alias}.destination_ip) AS destination_ip, ${alias}."user", ${alias}.host, ${alias}.status,
  ${alias}.priority, ${alias}.rule, ${alias}.occurrence_count, ${alias}.occurred_at, ${alias}.received_at, ${alias}.last_seen_at, ${alias}.resolved_at,
  ${alias}.enrichment`;

export function toAlertView(row: AlertViewRow): AlertView {
  return {
    id: row.id,
    incidentId: row.incident_id,
    source: row.source,
    type: row.type,
    severity: row.severity,
    title: row.title,
    description: row.description,
    sourceIp: row.source_ip,
    destinationIp: row.destination_ip,
    user: row.user,
    host: row.host,
    status: alertViewStatus(row.status, row.source, row.resolved_at),
    priority: row.priority,
    rule: row.rule,
    occurrences: row.occurrence_count,
    occurredAt: isoTimeOrNull(row.occurred_at),
    receivedAt: isoTime(row.received_at),
    lastSeenAt: isoTime(row.last_seen_at),
    resolvedAt: isoTimeOrNull(row.resolved_at),
    enrichment: row.enrichment ?? null,
  };
}

/**
 * An alert with every stored field, as evidence keeps it: the AlertView plus what no answer
 * lists (the monitor's own id, tags, fingerprint, the alert it repeats, the rule's action and the
 * payload exactly as the monitor sent it).
 */
export interface StoredAlertView extends AlertView {
  externalId: string | null;
  tags: string[];
  fingerprint: string;
  duplicateOf: string | null;
  action: string;
  raw: unknown;
}

export type StoredAlertRow = AlertViewRow &
  Columns<'alerts', 'external_id' | 'tags' | 'fingerprint' | 'duplicate_of' | 'action' | 'raw', { raw: unknown }>;

/** What a StoredAlertView is read from (`alias` as for alertViewColumns). */
export const storedAlertColumns = (alias: string): string =>
  `${alertViewColumns(alias)}, ${alias}.external_id, ${alias}.tags, ${alias}.fingerprint, ${alias}.duplicate_of, ${alias}.action, ${alias}.raw`;

export function toStoredAlertView(row: StoredAlertRow): StoredAlertView {
  return {
    ...toAlertView(row),
    externalId: row.external_id,
    tags: row.tags,
    fingerprint: row.fingerprint,
    duplicateOf: row.duplicate_of,
    action: row.action,
    raw: row.raw ?? null,
  };
}
