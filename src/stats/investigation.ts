import { isIP } from 'node:net';
import type { FieldError } from '../common/problem';
import { pickFields } from '../common/pick';
import type { AlertView } from '../correlation/alert-view';
import type { IncidentDetailView } from '../correlation/incident-view';
import type { Disposition, IncidentStatus, Priority, TaskKind, TaskStatus } from '../domain';
import type { AddressEnrichment, EnrichmentRollup } from '../enrichment';
import { canonicalIp } from '../ingest/security-alert';

/** The IP's newest alerts whose stored enrichment the answer rolls up (as many as the incident detail rolls up). */
export const INVESTIGATION_ENRICHMENT_ALERTS = 100;

/** At most this many incidents, playbook actions, evidence bundles and storm entries per answer (newest first); totals say how many exist. */
export const INVESTIGATION_LIST_LIMIT = 1000;

/** How the IP appears on an alert. */
export type IpRole = 'source' | 'destination' | 'both';

/**
 * What the investigation lists of each alert (the AlertView without the description and last
 * activity, which the incident detail shows), with how the IP appears on it.
 */
export const INVESTIGATION_ALERT_FIELDS = [
  'id',
  'incidentId',
  'source',
  'type',
  'severity',
  'title',
  'sourceIp',
  'destinationIp',
  'user',
  'host',
  'status',
  'priority',
  'rule',
  'occurrences',
  'occurredAt',
  'receivedAt',
  'resolvedAt',
] as const satisfies readonly (keyof AlertView)[];

export type InvestigationAlert = Pick<AlertView, (typeof INVESTIGATION_ALERT_FIELDS)[number]> & { role: IpRole };

/** The alert as the investigation of `ip` lists it: its role right after its ids, as the answer always had it. */
export function investigationAlert(ip: string, alert: AlertView): InvestigationAlert {
  const { id, incidentId, ...rest } = pickFields(alert, INVESTIGATION_ALERT_FIELDS);
  return { id, incidentId, role: ipRole(ip, alert.sourceIp, alert.destinationIp), ...rest };
}

/**
 * What the investigation lists of each incident: a Pick of the IncidentDetailView (the brief
 * fields with the alert counts), then how many of its alerts are for this IP and why it is listed.
 */
export const INVESTIGATION_INCIDENT_FIELDS = [
  'id',
  'title',
  'status',
  'severity',
  'priority',
  'types',
  'sourceIp',
  'user',
  'host',
  'storm',
  'alertCount',
  'firingAlerts',
  'resolvedAlerts',
  'firstSeenAt',
  'lastSeenAt',
  'createdAt',
  'resolvedAt',
] as const satisfies readonly (keyof IncidentDetailView)[];

export type InvestigationIncident = Pick<IncidentDetailView, (typeof INVESTIGATION_INCIDENT_FIELDS)[number]> & {
  /** Its alerts for this IP (alertCount counts them all). */
  alertsForIp: number;
  /** Why it is listed: its correlation source IP is this IP (`source_ip`), it holds alerts for it (`alerts`), or both. */
  linkedBy: ('source_ip' | 'alerts')[];
};

/** The incident as the investigation lists it: its counts for the IP and why, before its times, as the answer always had them. */
export function investigationIncident(
  incident: IncidentDetailView,
  link: { alertsForIp: number; bySourceIp: boolean; byAlerts: boolean },
): InvestigationIncident {
  const { firstSeenAt, lastSeenAt, createdAt, resolvedAt, ...head } = pickFields(incident, INVESTIGATION_INCIDENT_FIELDS);
  const linkedBy = [...(link.bySourceIp ? (['source_ip'] as const) : []), ...(link.byAlerts ? (['alerts'] as const) : [])];
  return { ...head, alertsForIp: link.alertsForIp, linkedBy, firstSeenAt, lastSeenAt, createdAt, resolvedAt };
}

export interface InvestigationTask {
  id: string;
  kind: TaskKind;
  incidentId: string | null;
  title: string;
  status: TaskStatus;
  priority: Priority;
  assignee: { id: string; name: string; role: string | null } | null;
  disposition: Disposition | null;
  openedAt: string;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
}

export interface InvestigationAction {
  incidentId: string;
  runId: string;
  playbook: string;
  stepId: string;
  action: string;
  status: string;
  input: Record<string, unknown> | null;
  reason: string | null;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  compensation: { status: string; error: string | null; at: string | null } | null;
}

export interface InvestigationEvidence {
  incidentId: string;
  bundleId: string;
  seq: number;
  runId: string | null;
  stepId: string | null;
  manifestHash: string;
  items: number;
  createdAt: string;
}

export interface InvestigationStormSource {
  incidentId: string;
  incidentTitle: string;
  incidentStatus: IncidentStatus;
  alerts: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

/** The answer of `GET /v1/investigations/ip/{ip}`. Times are when Warden received the alerts. */
export interface InvestigationView {
  ip: string;
  firstSeen: string | null;
  lastSeen: string | null;
  enrichment: {
    /** The address as the api's tables see it now: internal, or country, city and network; intel indicators; asset networks. */
    address: AddressEnrichment;
    /**
     * What enrichment stored on its newest INVESTIGATION_ENRICHMENT_ALERTS alerts at ingest: ATT&CK
     * techniques and tactics, intel hits, assets, and the countries and networks of both ends.
     */
    alerts: EnrichmentRollup;
  };
  alerts: {
    /** Alerts with the IP as source or destination (an alert with both counts once). */
    total: number;
    asSource: number;
    asDestination: number;
    /** Newest first; `nextCursor` pages on. */
    items: InvestigationAlert[];
    nextCursor: string | null;
  };
  incidents: { total: number; items: InvestigationIncident[] };
  /** The tasks of the listed incidents (digest tasks of batched ones included). */
  tasks: InvestigationTask[];
  /** Playbook steps whose input targets the IP (`with: { ip }`: block_ip, unblock_ip, ...). */
  actions: { total: number; items: InvestigationAction[] };
  /** The evidence bundles of the listed incidents. */
  evidence: InvestigationEvidence[];
  /** Storm incidents that counted the IP as one of their sources. */
  stormSources: { total: number; items: InvestigationStormSource[] };
}

export type ParsedIp = { ip: string; spellings: string[] } | { error: FieldError };

/**
 * The IP of the path, in the one spelling ingest stores (`canonicalIp`), plus the spelling as
 * given: text columns (storm sources, playbook inputs) hold whatever the template rendered.
 */
export function parseInvestigationIp(raw: string): ParsedIp {
  const value = raw.trim();
  // A zone id (fe80::1%eth0) is valid for Node but not for PostgreSQL's inet, as at ingest.
  if (value.length > 64 || isIP(value) === 0 || value.includes('%')) {
    return { error: { path: 'path:ip', message: 'must be an IPv4 or IPv6 address' } };
  }
  const ip = canonicalIp(value);
  return { ip, spellings: [...new Set([ip, value])] };
}

const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2})[ T]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The alerts cursor's values: `received_at` exactly as PostgreSQL printed it (microseconds, which
 * a JS Date would lose) and the id. Anything else is not a cursor this API gave out, and must
 * be refused here rather than fail the cast in SQL.
 */
export function alertCursorValues(values: unknown[]): { receivedAt: string; id: string } | null {
  const [receivedAt, id] = values;
  if (typeof receivedAt !== 'string' || typeof id !== 'string' || !UUID.test(id)) return null;
  const m = TIMESTAMP_TEXT.exec(receivedAt);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (year < 1 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return { receivedAt, id };
}

/** How the IP appears on an alert. */
export function ipRole(ip: string, sourceIp: string | null, destinationIp: string | null): IpRole {
  const src = sourceIp !== null && canonicalIp(sourceIp) === ip;
  const dst = destinationIp !== null && canonicalIp(destinationIp) === ip;
  return src && dst ? 'both' : dst ? 'destination' : 'source';
}

const earliest = (values: (string | null)[]) => pick(values, (a, b) => a < b);
const latest = (values: (string | null)[]) => pick(values, (a, b) => a > b);

function pick(values: (string | null)[], better: (a: number, b: number) => boolean): string | null {
  let best: { at: number; iso: string } | null = null;
  for (const v of values) {
    if (v === null) continue;
    const at = Date.parse(v);
    if (Number.isNaN(at)) continue;
    if (!best || better(at, best.at)) best = { at, iso: new Date(at).toISOString() };
  }
  return best?.iso ?? null;
}

/** First and last seen over the IP's alerts and its storm-source counts (a storm counts sources it may not keep alerts for). */
export function seenRange(
  alerts: { first: string | null; last: string | null },
  storms: readonly { firstSeenAt: string; lastSeenAt: string }[],
): { firstSeen: string | null; lastSeen: string | null } {
  return {
    firstSeen: earliest([alerts.first, ...storms.map((s) => s.firstSeenAt)]),
    lastSeen: latest([alerts.last, ...storms.map((s) => s.lastSeenAt)]),
  };
}
