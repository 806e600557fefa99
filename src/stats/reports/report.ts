/**
 * The two reports as plain data: what the database answered (`*ReportData`, named row types)
 * in, the typed JSON body out. Pure: no Nest, no TypeORM, so every figure is unit-tested.
 */
import {
  CONTAINMENT_ACTIONS,
  CRITICALITIES,
  PRIORITIES,
  SEVERITIES,
  comparePriority,
  type ContainmentAction,
  type Criticality,
  type Priority,
  type Severity,
} from '../../domain';
import { countsOf, tally } from '../stats';
import type { Percentiles } from '../stats-view';
import { localDays, type ReportKind } from './period';
import type { JsonColumns, Nullable, TableRow } from '../../database/rows';

export type { ReportKind } from './period';

/** Most items a report lists per section; the totals still count them all. */
export const REPORT_ITEM_LIMIT = 100;
/** Most sources, destinations and hosts a top list shows. */
export const TOP_LIMIT = 10;

// ---- what the database answers -------------------------------------------------------------

export interface CountRow {
  key: string;
  n: number;
}

/** An incident with its task (null when its workflow has not opened one). Times are ISO strings. */
export type IncidentRow = JsonColumns<
  'incidents',
  'id' | 'title' | 'severity' | 'priority' | 'status' | 'storm' | 'source_ip' | 'host' | 'user' | 'alert_count' | 'created_at'
> &
  Nullable<JsonColumns<'tasks', 'disposition' | 'assignee_id' | 'opened_at' | 'acknowledged_at' | 'resolved_at'>> & {
    task_id: TableRow<'tasks'>['id'] | null;
    task_status: TableRow<'tasks'>['status'] | null;
  };

export type BreachRow = JsonColumns<'sla_breaches', 'task_id' | 'kind' | 'priority' | 'deadline' | 'recorded_at'> &
  JsonColumns<'tasks', 'incident_id' | 'title' | 'assignee_id'>;

export type StormRow = JsonColumns<
  'incidents',
  'id' | 'title' | 'priority' | 'status' | 'alert_count' | 'first_seen_at' | 'last_seen_at'
> & {
  sources: number;
  top_sources: JsonColumns<'storm_sources', 'source' | 'alerts'>[];
};

/** A containment step (block_ip, disable_user, isolate_host) of a playbook run. */
export type ContainmentRow = JsonColumns<
  'playbook_steps',
  'run_id' | 'step_id' | 'action' | 'status' | 'compensation_status' | 'reason' | 'compensation_error' | 'updated_at'
> &
  JsonColumns<'playbook_runs', 'playbook' | 'incident_id'> &
  JsonColumns<'incidents', 'priority'> & { target: string | null };

export type FailedNoticeRow = JsonColumns<
  'notifications',
  'key' | 'kind' | 'channel' | 'task_id' | 'incident_id' | 'last_error' | 'failed_at',
  { failed_at: string }
> & { /** payload->>'title' */ title: string | null };

export type AlertCountRow = JsonColumns<'alert_rollups', 'severity' | 'status' | 'storm'> & { /** sum(alerts)::float8 */ alerts: number };

export interface TargetRow {
  asset: string;
  incidents: number;
  alerts: number;
  top_priority: string;
}

/**
 * Incidents opened in the period, counted by what enrichment found on a sample of their alerts:
 * an incident counts once per country, network, tactic, technique, intel list and asset.
 */
export interface EnrichmentCountsData {
  countries: { iso: string; name: string | null; incidents: number }[];
  asns: { number: number; organization: string | null; incidents: number }[];
  tactics: { id: string; name: string; incidents: number }[];
  techniques: { id: string; name: string; incidents: number }[];
  intel_lists: { list: string; incidents: number }[];
  /** Incidents by the highest criticality among their assets. */
  criticality: CountRow[];
  assets: { name: string; kind: string; criticality: string; team: string | null; incidents: number }[];
}

export interface ReportPeriodData {
  from: Date;
  to: Date;
  timeZone: string;
  generatedAt: Date;
}

export interface DailyReportData {
  period: ReportPeriodData;
  alerts: AlertCountRow[];
  topSources: { ip: string; alerts: number }[];
  incidents: { opened: number; storms: number; bySeverity: CountRow[]; byPriority: CountRow[] };
  p1Incidents: { total: number; items: IncidentRow[] };
  truePositives: { total: number; items: IncidentRow[] };
  storms: { total: number; items: StormRow[] };
  breaches: { byKind: CountRow[]; byPriority: CountRow[]; items: BreachRow[] };
  containment: { total: number; items: ContainmentRow[] };
  failedNotices: { byChannel: CountRow[]; items: FailedNoticeRow[] };
  enrichment: EnrichmentCountsData;
}

export interface ResponseRow {
  tasks: number;
  acknowledged: number;
  resolved: number;
  mtta_p50: number | null;
  mtta_p90: number | null;
  mttr_p50: number | null;
  mttr_p90: number | null;
}

export interface ExecutiveReportData {
  period: ReportPeriodData;
  /** P1 and P2 incidents opened in the period. */
  incidents: { byPriority: CountRow[]; items: IncidentRow[] };
  response: {
    overall: ResponseRow;
    byDay: ({ day: string } & ResponseRow)[];
    byPriority: ({ priority: string } & ResponseRow)[];
  };
  breaches: { byKind: CountRow[]; byPriority: CountRow[] };
  /** Containment steps of the runs begun in the period, counted by action and state. */
  containment: {
    byOutcome: ({ action: string; n: number } & Pick<ContainmentRow, 'status' | 'compensation_status'>)[];
    items: ContainmentRow[];
  };
  targets: { destinationIps: TargetRow[]; hosts: TargetRow[] };
  enrichment: EnrichmentCountsData;
}

// ---- the bodies ----------------------------------------------------------------------------

export interface ReportPeriod {
  from: string;
  to: string;
  timeZone: string;
}

export interface Listed<T> {
  total: number;
  items: T[];
  /** More than the items shown. */
  truncated: boolean;
}

export interface TaskOutcome {
  id: string;
  status: string;
  disposition: string | null;
  assignee: string | null;
  openedAt: string | null;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
  /** Opening to acknowledgement; null until acknowledged. */
  ttaSeconds: number | null;
  /** Opening to resolution; null until resolved. */
  ttrSeconds: number | null;
}

export interface IncidentSummary {
  id: string;
  title: string;
  priority: string;
  severity: string;
  status: string;
  storm: boolean;
  sourceIp: string | null;
  host: string | null;
  user: string | null;
  alerts: number;
  createdAt: string;
  task: TaskOutcome | null;
  /** The disposition once resolved, else the task's status (`no task` before there is one). */
  outcome: string;
}

export interface BreachSummary {
  taskId: string;
  incidentId: string | null;
  kind: string;
  priority: string;
  title: string;
  assignee: string | null;
  deadline: string;
  recordedAt: string;
}

export interface StormSummary {
  id: string;
  title: string;
  priority: string;
  status: string;
  alerts: number;
  sources: number;
  topSources: { source: string; alerts: number }[];
  firstSeenAt: string;
  lastSeenAt: string;
}

/** `succeeded`, `failed`, `uncertain`, `refused`, `denied`, …, or for an undone step `rolled_back`, `rolling_back`, `rollback_failed`. */
export type ContainmentOutcome = string;

export interface ContainmentSummary {
  runId: string;
  stepId: string;
  playbook: string;
  incidentId: string;
  priority: string;
  action: string;
  target: string | null;
  outcome: ContainmentOutcome;
  /** Why it failed, was refused or could not be undone. */
  reason: string | null;
  at: string;
}

export interface FailedNoticeSummary {
  key: string;
  kind: string;
  channel: string;
  title: string | null;
  taskId: string | null;
  incidentId: string | null;
  error: string | null;
  failedAt: string;
}

/**
 * The period's incidents by what enrichment found on them (a sample of each one's alerts): top
 * countries and networks of their addresses, ATT&CK tactics and techniques, the threat-intel
 * lists they hit, and their affected assets. Each list is the TOP_LIMIT busiest, most incidents first.
 */
export interface EnrichmentCounts {
  countries: { country: string; name: string | null; incidents: number }[];
  asns: { asn: number; organization: string | null; incidents: number }[];
  tactics: { id: string; name: string; incidents: number }[];
  techniques: { id: string; name: string; incidents: number }[];
  intelLists: { list: string; incidents: number }[];
  /** Incidents by the highest criticality among the assets they touch (an incident touching none is not counted). */
  assetCriticality: Record<Criticality, number>;
  assets: { name: string; kind: string; criticality: string; team: string | null; incidents: number }[];
}

export interface DailyReport {
  kind: 'daily';
  period: ReportPeriod;
  generatedAt: string;
  summary: {
    alertsReceived: number;
    incidentsOpened: number;
    p1Incidents: number;
    slaBreaches: number;
    truePositives: number;
    storms: number;
    containmentProblems: number;
    failedNotices: number;
  };
  /** From the hourly rollups: whole hours from `from` rounded down. */
  alerts: {
    received: number;
    correlated: number;
    duplicates: number;
    suppressed: number;
    foldedIntoStorms: number;
    bySeverity: Record<Severity, number>;
  };
  incidents: { opened: number; storms: number; bySeverity: Record<Severity, number>; byPriority: Record<Priority, number> };
  slaBreaches: Listed<BreachSummary> & { byKind: Record<string, number>; byPriority: Record<Priority, number> };
  topSourceIps: { ip: string; alerts: number }[];
  findings: {
    p1Incidents: Listed<IncidentSummary>;
    truePositives: Listed<IncidentSummary>;
    storms: Listed<StormSummary>;
    /** Containment that failed, may or may not be in place (uncertain), was refused, or was rolled back (or failed to roll back). */
    containment: Listed<ContainmentSummary>;
    failedNotices: Listed<FailedNoticeSummary> & { byChannel: Record<string, number> };
  };
  /** Over the incidents opened in the period. */
  enrichment: EnrichmentCounts;
}

export interface ResponseFigures {
  tasks: number;
  acknowledged: number;
  resolved: number;
  mtta: Percentiles;
  mttr: Percentiles;
}

export interface ExecutiveReport {
  kind: 'executive';
  period: ReportPeriod;
  generatedAt: string;
  summary: {
    p1Incidents: number;
    p2Incidents: number;
    slaBreaches: number;
    containmentActions: number;
    mttaP50Seconds: number | null;
    mttrP50Seconds: number | null;
  };
  incidents: Listed<IncidentSummary> & { p1: number; p2: number; byOutcome: Record<string, number> };
  response: {
    overall: ResponseFigures;
    /** Every local day of the period, by the day tasks opened. */
    byDay: { day: string; tasks: number; mttaP50Seconds: number | null; mttrP50Seconds: number | null }[];
    byPriority: Record<Priority, { tasks: number; mttaP50Seconds: number | null; mttrP50Seconds: number | null }>;
  };
  slaBreaches: { total: number; byKind: Record<string, number>; byPriority: Record<Priority, number> };
  containment: Listed<ContainmentSummary> & { byAction: Record<ContainmentAction, Record<string, number>> };
  topTargets: {
    destinationIps: { ip: string; incidents: number; alerts: number; topPriority: string }[];
    hosts: { host: string; incidents: number; alerts: number; topPriority: string }[];
  };
  /** Over every incident opened in the period, not only P1 and P2. */
  enrichment: EnrichmentCounts;
}

export type Report = DailyReport | ExecutiveReport;

// ---- builders ------------------------------------------------------------------------------

const iso = (t: string | Date): string => new Date(t).toISOString();
const isoOrNull = (t: string | Date | null): string | null => (t === null ? null : iso(t));
/** Seconds to one decimal; null stays null. */
const seconds = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);
const between = (a: string | null, b: string | null): number | null =>
  a === null || b === null ? null : Math.max(0, Math.round((Date.parse(b) - Date.parse(a)) / 100) / 10);
const sum = (rows: readonly CountRow[]): number => rows.reduce((n, r) => n + r.n, 0);

const listed = <T>(total: number, items: T[]): Listed<T> => ({
  total: Math.max(total, items.length),
  items,
  truncated: total > items.length,
});

function periodOf(p: ReportPeriodData): ReportPeriod {
  return { from: iso(p.from), to: iso(p.to), timeZone: p.timeZone };
}

/** The outcome a reader wants to see: the disposition once resolved, else where the task stands. */
export function incidentOutcome(row: Pick<IncidentRow, 'task_id' | 'task_status' | 'disposition'>): string {
  if (row.task_id === null) return 'no task';
  return row.disposition ?? row.task_status ?? 'no task';
}

export function incidentSummary(row: IncidentRow): IncidentSummary {
  return {
    id: row.id,
    title: row.title,
    priority: row.priority,
    severity: row.severity,
    status: row.status,
    storm: row.storm,
    sourceIp: row.source_ip,
    host: row.host,
    user: row.user,
    alerts: row.alert_count,
    createdAt: iso(row.created_at),
    task:
      row.task_id === null
        ? null
        : {
            id: row.task_id,
            status: row.task_status ?? 'new',
            disposition: row.disposition,
            assignee: row.assignee_id,
            openedAt: isoOrNull(row.opened_at),
            acknowledgedAt: isoOrNull(row.acknowledged_at),
            resolvedAt: isoOrNull(row.resolved_at),
            ttaSeconds: between(row.opened_at, row.acknowledged_at),
            ttrSeconds: between(row.opened_at, row.resolved_at),
          },
    outcome: incidentOutcome(row),
  };
}

/** What became of a containment step; an undo, when there was one, is the news. */
export function containmentOutcome(row: Pick<ContainmentRow, 'status' | 'compensation_status'>): ContainmentOutcome {
  switch (row.compensation_status) {
    case 'compensated':
      return 'rolled_back';
    case 'failed':
      return 'rollback_failed';
    case 'running':
      return 'rolling_back';
    default:
      return row.status;
  }
}

export function containmentSummary(row: ContainmentRow): ContainmentSummary {
  return {
    runId: row.run_id,
    stepId: row.step_id,
    playbook: row.playbook,
    incidentId: row.incident_id,
    priority: row.priority,
    action: row.action,
    target: row.target,
    outcome: containmentOutcome(row),
    reason: row.compensation_error ?? row.reason,
    at: iso(row.updated_at),
  };
}

export function enrichmentCounts(d: EnrichmentCountsData): EnrichmentCounts {
  return {
    countries: d.countries.slice(0, TOP_LIMIT).map((c) => ({ country: c.iso, name: c.name, incidents: c.incidents })),
    asns: d.asns.slice(0, TOP_LIMIT).map((a) => ({ asn: a.number, organization: a.organization, incidents: a.incidents })),
    tactics: d.tactics.slice(0, TOP_LIMIT).map((t) => ({ id: t.id, name: t.name, incidents: t.incidents })),
    techniques: d.techniques.slice(0, TOP_LIMIT).map((t) => ({ id: t.id, name: t.name, incidents: t.incidents })),
    intelLists: d.intel_lists.slice(0, TOP_LIMIT).map((l) => ({ list: l.list, incidents: l.incidents })),
    assetCriticality: countsOf(CRITICALITIES, d.criticality),
    assets: d.assets
      .slice(0, TOP_LIMIT)
      .map((a) => ({ name: a.name, kind: a.kind, criticality: a.criticality, team: a.team, incidents: a.incidents })),
  };
}

const byPriorityThenTime = <T extends { priority: string; createdAt: string }>(a: T, b: T): number =>
  comparePriority(a.priority as Priority, b.priority as Priority) || a.createdAt.localeCompare(b.createdAt);

export function buildDailyReport(data: DailyReportData): DailyReport {
  const a = data.alerts;
  const alertSum = (keep: (r: AlertCountRow) => boolean) => a.filter(keep).reduce((n, r) => n + r.alerts, 0);
  const breaches = data.breaches.items.map((b): BreachSummary => ({
    taskId: b.task_id,
    incidentId: b.incident_id,
    kind: b.kind,
    priority: b.priority,
    title: b.title,
    assignee: b.assignee_id,
    deadline: iso(b.deadline),
    recordedAt: iso(b.recorded_at),
  }));
  const breachTotal = sum(data.breaches.byKind);
  const failedTotal = sum(data.failedNotices.byChannel);
  const report: DailyReport = {
    kind: 'daily',
    period: periodOf(data.period),
    generatedAt: iso(data.period.generatedAt),
    summary: {
      alertsReceived: alertSum(() => true),
      incidentsOpened: data.incidents.opened,
      p1Incidents: data.p1Incidents.total,
      slaBreaches: breachTotal,
      truePositives: data.truePositives.total,
      storms: data.storms.total,
      containmentProblems: data.containment.total,
      failedNotices: failedTotal,
    },
    alerts: {
      received: alertSum(() => true),
      correlated: alertSum((r) => r.status === 'new'),
      duplicates: alertSum((r) => r.status === 'duplicate'),
      suppressed: alertSum((r) => r.status === 'suppressed'),
      foldedIntoStorms: alertSum((r) => r.storm),
      bySeverity: countsOf(
        SEVERITIES,
        a.map((r) => ({ key: r.severity, n: r.alerts })),
      ),
    },
    incidents: {
      opened: data.incidents.opened,
      storms: data.incidents.storms,
      bySeverity: countsOf(SEVERITIES, data.incidents.bySeverity),
      byPriority: countsOf(PRIORITIES, data.incidents.byPriority),
    },
    slaBreaches: {
      ...listed(breachTotal, breaches),
      byKind: tally(data.breaches.byKind),
      byPriority: countsOf(PRIORITIES, data.breaches.byPriority),
    },
    topSourceIps: data.topSources.slice(0, TOP_LIMIT).map((s) => ({ ip: s.ip, alerts: s.alerts })),
    findings: {
      p1Incidents: listed(data.p1Incidents.total, data.p1Incidents.items.map(incidentSummary)),
      truePositives: listed(data.truePositives.total, data.truePositives.items.map(incidentSummary).sort(byPriorityThenTime)),
      storms: listed(
        data.storms.total,
        data.storms.items.map((s): StormSummary => ({
          id: s.id,
          title: s.title,
          priority: s.priority,
          status: s.status,
          alerts: s.alert_count,
          sources: s.sources,
          topSources: s.top_sources,
          firstSeenAt: iso(s.first_seen_at),
          lastSeenAt: iso(s.last_seen_at),
        })),
      ),
      containment: listed(data.containment.total, data.containment.items.map(containmentSummary)),
      failedNotices: {
        ...listed(
          failedTotal,
          data.failedNotices.items.map((n): FailedNoticeSummary => ({
            key: n.key,
            kind: n.kind,
            channel: n.channel,
            title: n.title,
            taskId: n.task_id,
            incidentId: n.incident_id,
            error: n.last_error,
            failedAt: iso(n.failed_at),
          })),
        ),
        byChannel: tally(data.failedNotices.byChannel),
      },
    },
    enrichment: enrichmentCounts(data.enrichment),
  };
  return report;
}

const responseFigures = (r: ResponseRow): ResponseFigures => ({
  tasks: r.tasks,
  acknowledged: r.acknowledged,
  resolved: r.resolved,
  mtta: { p50Seconds: seconds(r.mtta_p50), p90Seconds: seconds(r.mtta_p90) },
  mttr: { p50Seconds: seconds(r.mttr_p50), p90Seconds: seconds(r.mttr_p90) },
});

export function buildExecutiveReport(data: ExecutiveReportData): ExecutiveReport {
  const period = { from: data.period.from, to: data.period.to };
  const priorities = countsOf(PRIORITIES, data.incidents.byPriority);
  const incidents = data.incidents.items.map(incidentSummary).sort(byPriorityThenTime);
  const byOutcome: Record<string, number> = {};
  for (const i of incidents) byOutcome[i.outcome] = (byOutcome[i.outcome] ?? 0) + 1;

  const days = new Map(data.response.byDay.map((d) => [d.day, d]));
  const byPriority = Object.fromEntries(
    PRIORITIES.map((p) => {
      const r = data.response.byPriority.find((x) => x.priority === p);
      return [p, { tasks: r?.tasks ?? 0, mttaP50Seconds: seconds(r?.mtta_p50 ?? null), mttrP50Seconds: seconds(r?.mttr_p50 ?? null) }];
    }),
  ) as ExecutiveReport['response']['byPriority'];

  const byAction = Object.fromEntries(CONTAINMENT_ACTIONS.map((a) => [a, {} as Record<string, number>])) as Record<
    ContainmentAction,
    Record<string, number>
  >;
  for (const row of data.containment.byOutcome) {
    if (!(row.action in byAction)) continue;
    const counts = byAction[row.action as ContainmentAction];
    const outcome = containmentOutcome(row);
    counts[outcome] = (counts[outcome] ?? 0) + row.n;
  }
  const containmentTotal = data.containment.byOutcome.reduce((n, r) => n + r.n, 0);
  const breachTotal = sum(data.breaches.byKind);
  const overall = responseFigures(data.response.overall);

  return {
    kind: 'executive',
    period: periodOf(data.period),
    generatedAt: iso(data.period.generatedAt),
    summary: {
      p1Incidents: priorities.P1,
      p2Incidents: priorities.P2,
      slaBreaches: breachTotal,
      containmentActions: containmentTotal,
      mttaP50Seconds: overall.mtta.p50Seconds,
      mttrP50Seconds: overall.mttr.p50Seconds,
    },
    incidents: { ...listed(priorities.P1 + priorities.P2, incidents), p1: priorities.P1, p2: priorities.P2, byOutcome },
    response: {
      overall,
      byDay: localDays(period, data.period.timeZone).map((day) => {
        const d = days.get(day);
        return { day, tasks: d?.tasks ?? 0, mttaP50Seconds: seconds(d?.mtta_p50 ?? null), mttrP50Seconds: seconds(d?.mttr_p50 ?? null) };
      }),
      byPriority,
    },
    slaBreaches: { total: breachTotal, byKind: tally(data.breaches.byKind), byPriority: countsOf(PRIORITIES, data.breaches.byPriority) },
    containment: { ...listed(containmentTotal, data.containment.items.map(containmentSummary)), byAction },
    topTargets: {
      destinationIps: data.targets.destinationIps
        .slice(0, TOP_LIMIT)
        .map((t) => ({ ip: t.asset, incidents: t.incidents, alerts: t.alerts, topPriority: t.top_priority })),
      hosts: data.targets.hosts
        .slice(0, TOP_LIMIT)
        .map((t) => ({ host: t.asset, incidents: t.incidents, alerts: t.alerts, topPriority: t.top_priority })),
    },
    enrichment: enrichmentCounts(data.enrichment),
  };
}

/** The title a report goes by (notices, the HTML page). */
export function reportTitle(kind: ReportKind): string {
  return kind === 'daily' ? 'Daily audit report' : 'Executive summary';
}
