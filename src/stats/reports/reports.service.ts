import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LEAD_ROLE } from '../../assignment/assignment.schema';
import { AssignmentService } from '../../assignment/assignment.service';
import { AuditService } from '../../audit/audit.service';
import { reportPageUrl } from '../../common/app-links';
import { ENV, type Env } from '../../common/env';
import { decodeCursor, encodeCursor } from '../../common/validation';
import { CONTAINMENT_ACTIONS, CRITICALITIES, invalid, notFound } from '../../domain';
import type { REPORT_NOTICE_KINDS } from '../../notifications/channels';
import { NotificationsService } from '../../notifications/notifications.service';
import type { Period, ReportKind } from './period';
import {
  buildDailyReport,
  buildExecutiveReport,
  REPORT_ITEM_LIMIT,
  reportTitle,
  TOP_LIMIT,
  type AlertCountRow,
  type BreachRow,
  type ContainmentRow,
  type CountRow,
  type DailyReportData,
  type EnrichmentCountsData,
  type ExecutiveReportData,
  type FailedNoticeRow,
  type IncidentRow,
  type Report,
  type ResponseRow,
  type StormRow,
  type TargetRow,
} from './report';
import { topSourcesSql } from '../rollup-sql';
import { renderReportHtml } from './render-html';
import type { Columns } from '../../database/rows';

export type ReportTrigger = 'schedule' | 'manual';

/** A stored report as the API shows it in a list. */
export interface ReportListItem {
  id: string;
  kind: ReportKind;
  from: string;
  to: string;
  createdAt: string;
  trigger: ReportTrigger;
}

export interface ReportRecord extends ReportListItem {
  body: Report;
}

type ReportRow = Columns<
  'reports',
  'id' | 'kind' | 'period_from' | 'period_to' | 'created_at' | 'trigger',
  { kind: ReportKind; trigger: ReportTrigger }
> &
  Partial<Columns<'reports', 'body', { body: Report }>> & {
    /** created_at to the microsecond, for the keyset cursor. */
    at_key: string;
  };

/** The notice that a report is out (see channels.ts: the log and the webhook, never an incident's Slack thread or Jira issue). */
export const REPORT_PUBLISHED: (typeof REPORT_NOTICE_KINDS)[number] = 'report.published';

/** Alerts sampled per incident for the top targeted assets: a storm of 100,000 alerts costs what one of 1,000 does. */
const TARGET_SAMPLE = 1000;
/** Alerts whose enrichment is read per incident for the enrichment counts (as many as the incident detail rolls up). */
const ENRICHMENT_SAMPLE = 100;

const LIST_COLUMNS = `id, kind, period_from, period_to, created_at, trigger,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at_key`;

const toItem = (r: ReportRow): ReportListItem => ({
  id: r.id,
  kind: r.kind,
  from: r.period_from.toISOString(),
  to: r.period_to.toISOString(),
  createdAt: r.created_at.toISOString(),
  trigger: r.trigger,
});

const toRecord = (r: ReportRow): ReportRecord => ({ ...toItem(r), body: r.body! });

/**
 * Builds, keeps and publishes the daily audit report and the executive summary. Every figure is
 * read by a range on an indexed column or from the hourly alert rollups, so a report stays quick
 * with millions of alerts. One report per kind and period: building one that exists answers it.
 */
@Injectable()
export class ReportsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ENV) private readonly env: Env,
    private readonly notifications: NotificationsService,
    private readonly assignment: AssignmentService,
    private readonly audit: AuditService,
  ) {}

  /** The time zone days and weeks are counted in. */
  get timeZone(): string {
    return this.env.REPORTS_TIMEZONE;
  }

  /** Builds and stores the report of this kind and period, or answers the one stored (`duplicate`). */
  async create(
    kind: ReportKind,
    period: Period,
    trigger: ReportTrigger,
    actor: string,
  ): Promise<{ duplicate: boolean; record: ReportRecord }> {
    const existing = await this.byPeriod(kind, period);
    if (existing) return { duplicate: true, record: existing };
    const body = kind === 'daily' ? buildDailyReport(await this.dailyData(period)) : buildExecutiveReport(await this.executiveData(period));
    const [row] = await this.dataSource.query<ReportRow[]>(
      `INSERT INTO reports (kind, period_from, period_to, body, html, trigger) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (kind, period_from, period_to) DO NOTHING RETURNING ${LIST_COLUMNS}, body`,
      [kind, period.from, period.to, body, renderReportHtml(body), trigger],
    );
    // Built at the same time elsewhere (a second replica, a retried activity): the first one stored stands.
    if (!row) return { duplicate: true, record: (await this.byPeriod(kind, period))! };
    await this.audit.record({
      actor,
      action: 'report.created',
      subjectType: 'report',
      subjectId: row.id,
      after: { kind, from: period.from.toISOString(), to: period.to.toISOString(), trigger },
      idempotencyKey: `report-${row.id}:created`,
    });
    return { duplicate: false, record: toRecord(row) };
  }

  async list(q: { kind?: ReportKind; limit: number; cursor?: string }): Promise<{ items: ReportListItem[]; nextCursor: string | null }> {
    const after = q.cursor ? decodeCursor(q.cursor, 2) : null;
    const [at, lastId] = after ?? [];
    if (after && (typeof at !== 'string' || Number.isNaN(Date.parse(at)) || typeof lastId !== 'string' || !UUID.test(lastId)))
      throw invalid('The cursor is not one this API gave out.', 'query:cursor', 'invalid cursor');
    const rows = await this.dataSource.query<ReportRow[]>(
      `SELECT ${LIST_COLUMNS} FROM reports
        WHERE ($1::text IS NULL OR kind = $1)
          AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [q.kind ?? null, at ?? null, lastId ?? null, q.limit + 1],
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return { items: page.map(toItem), nextCursor: rows.length > q.limit && last ? encodeCursor([last.at_key, last.id]) : null };
  }

  async get(id: string): Promise<ReportRecord> {
    const [row] = await this.dataSource.query<ReportRow[]>(`SELECT ${LIST_COLUMNS}, body FROM reports WHERE id = $1`, [id]);
    if (!row) throw noReport(id);
    return toRecord(row);
  }

  async html(id: string): Promise<{ kind: ReportKind; from: Date; html: string }> {
    const [row] = await this.dataSource.query<{ kind: ReportKind; period_from: Date; html: string }[]>(
      `SELECT kind, period_from, html FROM reports WHERE id = $1`,
      [id],
    );
    if (!row) throw noReport(id);
    return { kind: row.kind, from: row.period_from, html: row.html };
  }

  /**
   * Tells the leads (and, for the executive summary, the executives) that a report is out,
   * once per report: the notice is keyed by it, so a retried or repeated run sends nothing twice.
   */
  async publish(id: string): Promise<boolean> {
    const report = await this.get(id);
    const recipients = [
      ...(await this.assignment.reachable(LEAD_ROLE)),
      ...(report.kind === 'executive' ? await this.assignment.reachable('executive') : []),
    ];
    // The report's page in the workspace (which offers its HTML too): the people told have a browser, not a key.
    const url = reportPageUrl(this.env.PUBLIC_URL, id);
    const body = report.body;
    const headline =
      body.kind === 'daily'
        ? `${body.summary.alertsReceived} alerts, ${body.summary.incidentsOpened} incidents opened, ${body.summary.p1Incidents} P1, ${body.summary.slaBreaches} SLA breaches, ${body.summary.failedNotices} failed notices.`
        : `${body.summary.p1Incidents} P1 and ${body.summary.p2Incidents} P2 incidents, ${body.summary.slaBreaches} SLA breaches, ${body.summary.containmentActions} containment actions.`;
    return this.notifications.record({
      key: `report-${id}:published`,
      kind: REPORT_PUBLISHED,
      recipients: [...new Set(recipients)],
      taskId: null,
      incidentId: null,
      title: `${reportTitle(report.kind)}: ${report.from} to ${report.to}`,
      text: `${headline} ${url}`,
      data: { reportId: id, reportKind: report.kind, from: report.from, to: report.to, url, summary: body.summary },
    });
  }

  private async byPeriod(kind: ReportKind, period: Period): Promise<ReportRecord | null> {
    const [row] = await this.dataSource.query<ReportRow[]>(
      `SELECT ${LIST_COLUMNS}, body FROM reports WHERE kind = $1 AND period_from = $2 AND period_to = $3`,
      [kind, period.from, period.to],
    );
    return row ? toRecord(row) : null;
  }

  async dailyData(period: Period): Promise<DailyReportData> {
    const [r] = await this.dataSource.query<DailyRow[]>(DAILY_SQL, [
      period.from,
      period.to,
      REPORT_ITEM_LIMIT,
      TOP_LIMIT,
      CONTAINMENT_ACTIONS,
      ENRICHMENT_SAMPLE,
    ]);
    return {
      period: { ...period, timeZone: this.timeZone, generatedAt: new Date() },
      alerts: r.alerts,
      topSources: r.top_sources,
      incidents: { opened: r.incidents.opened, storms: r.incidents.storms, bySeverity: r.by_severity, byPriority: r.by_priority },
      p1Incidents: r.p1,
      truePositives: r.true_positives,
      storms: r.storms,
      breaches: { byKind: r.breaches_by_kind, byPriority: r.breaches_by_priority, items: r.breaches },
      containment: r.containment,
      failedNotices: { byChannel: r.failed_by_channel, items: r.failed_notices },
      enrichment: r.enrichment,
    };
  }

  async executiveData(period: Period): Promise<ExecutiveReportData> {
    const [r] = await this.dataSource.query<ExecutiveRow[]>(EXECUTIVE_SQL, [
      period.from,
      period.to,
      REPORT_ITEM_LIMIT,
      TOP_LIMIT,
      CONTAINMENT_ACTIONS,
      this.timeZone,
      TARGET_SAMPLE,
      ENRICHMENT_SAMPLE,
    ]);
    return {
      period: { ...period, timeZone: this.timeZone, generatedAt: new Date() },
      incidents: { byPriority: r.by_priority, items: r.incidents },
      response: { overall: r.response, byDay: r.response_by_day, byPriority: r.response_by_priority },
      breaches: { byKind: r.breaches_by_kind, byPriority: r.breaches_by_priority },
      containment: { byOutcome: r.containment_by_outcome, items: r.containment },
      targets: { destinationIps: r.destination_ips, hosts: r.hosts },
      enrichment: r.enrichment,
    };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const noReport = (id: string) => notFound(`No report ${id}.`, 'path:id', 'no such report');

/** The one row the daily statement answers: every part as JSON, one round trip. */
interface DailyRow {
  alerts: AlertCountRow[];
  top_sources: { ip: string; alerts: number }[];
  incidents: { opened: number; storms: number };
  by_severity: CountRow[];
  by_priority: CountRow[];
  p1: { total: number; items: IncidentRow[] };
  true_positives: { total: number; items: IncidentRow[] };
  storms: { total: number; items: StormRow[] };
  breaches_by_kind: CountRow[];
  breaches_by_priority: CountRow[];
  breaches: BreachRow[];
  containment: { total: number; items: ContainmentRow[] };
  failed_by_channel: CountRow[];
  failed_notices: FailedNoticeRow[];
  enrichment: EnrichmentCountsData;
}

interface ExecutiveRow {
  by_priority: CountRow[];
  incidents: IncidentRow[];
  response: ResponseRow;
  response_by_day: ({ day: string } & ResponseRow)[];
  response_by_priority: ({ priority: string } & ResponseRow)[];
  breaches_by_kind: CountRow[];
  breaches_by_priority: CountRow[];
  containment_by_outcome: { action: string; status: string; compensation_status: string | null; n: number }[];
  containment: ContainmentRow[];
  destination_ips: TargetRow[];
  hosts: TargetRow[];
  enrichment: EnrichmentCountsData;
}

const jsonList = (select: string, order = '') =>
  `(SELECT coalesce(json_agg(x${order ? ` ORDER BY ${order}` : ''}), '[]') FROM (${select}) x)`;
const counts = (select: string) => jsonList(select, 'x.key');

/** An incident (alias i) with its task: its own, or the digest task that gathered it. */
const INCIDENT_COLUMNS = `i.id, i.title, i.severity, i.priority, i.status, i.storm, host(i.source_ip) AS source_ip, i.host, i."user",
  i.alert_count, i.created_at, t.id AS task_id, t.status AS task_status, t.disposition, t.assignee_id, t.opened_at,
  t.acknowledged_at, t.resolved_at`;
const TASK_OF_INCIDENT = `LEFT JOIN LATERAL (
    SELECT * FROM tasks WHERE incident_id = i.id AND kind = 'incident'
    UNION ALL SELECT * FROM tasks WHERE id = i.digest_task_id LIMIT 1) t ON true`;

/** Incidents opened in the period ($1, $2): the created_at index. */
const PERIOD_INCIDENTS = `SELECT * FROM incidents WHERE created_at >= $1 AND created_at < $2`;

/**
 * The enrichment of a sample (`sample`, a parameter) of the alerts of each incident in `inc`: the
 * incident_id index, and a LIMIT without an order, so a storm costs what a small incident does.
 */
const enrichedCte = (sample: string) => `enr AS MATERIALIZED (SELECT i.id, s.enrichment FROM inc i CROSS JOIN LATERAL (
       SELECT enrichment FROM alerts WHERE incident_id = i.id LIMIT ${sample}) s WHERE s.enrichment IS NOT NULL)`;

/** The elements of a jsonb array (none when it is not one: enrichment stored by another version stays readable). */
const elements = (value: string) => `jsonb_array_elements(CASE jsonb_typeof(${value}) WHEN 'array' THEN ${value} ELSE '[]'::jsonb END)`;
const CRITICALITY_ORDER = `ARRAY[${CRITICALITIES.map((c) => `'${c}'`).join(', ')}]`;
/** The highest of some criticalities (text), by CRITICALITIES' order. */
const highestCriticality = (value: string) => `(${CRITICALITY_ORDER})[max(array_position(${CRITICALITY_ORDER}, ${value}))]`;
/** The addresses of an alert's enrichment, source and destination: one row (g) each. */
const ADDRESSES = `CROSS JOIN LATERAL (VALUES (e.enrichment->'source'), (e.enrichment->'destination')) v(g)`;

/** The EnrichmentCountsData of the incidents in `enr` (enrichedCte), as one json object; `top` is the top limit's parameter. */
const enrichmentCountsSql = (top: string) => `json_build_object(
    'countries', ${jsonList(
      `SELECT g->'country'->>'iso' AS iso, max(g->'country'->>'name') AS name, count(DISTINCT e.id)::int AS incidents
         FROM enr e ${ADDRESSES} WHERE g->'country'->>'iso' IS NOT NULL GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT ${top}`,
      'x.incidents DESC, x.iso',
    )},
    'asns', ${jsonList(
      `SELECT g->'asn'->'number' AS number, max(g->'asn'->>'organization') AS organization, count(DISTINCT e.id)::int AS incidents
         FROM enr e ${ADDRESSES} WHERE jsonb_typeof(g->'asn'->'number') = 'number' GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT ${top}`,
      'x.incidents DESC, x.number',
    )},
    'tactics', ${jsonList(
      `SELECT t->>'id' AS id, max(t->>'name') AS name, count(DISTINCT e.id)::int AS incidents
         FROM enr e CROSS JOIN LATERAL ${elements(`e.enrichment->'tactics'`)} t WHERE t->>'id' IS NOT NULL GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT ${top}`,
      'x.incidents DESC, x.id',
    )},
    'techniques', ${jsonList(
      `SELECT t->>'id' AS id, max(t->>'name') AS name, count(DISTINCT e.id)::int AS incidents
         FROM enr e CROSS JOIN LATERAL ${elements(`e.enrichment->'techniques'`)} t WHERE t->>'id' IS NOT NULL GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT ${top}`,
      'x.incidents DESC, x.id',
    )},
    'intel_lists', ${jsonList(
      `SELECT h->>'list' AS list, count(DISTINCT e.id)::int AS incidents
         FROM enr e CROSS JOIN LATERAL ${elements(`e.enrichment->'intel'`)} h WHERE h->>'list' IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${top}`,
      'x.incidents DESC, x.list',
    )},
    'criticality', ${counts(
      `SELECT key, count(*)::int AS n FROM (
         SELECT ${highestCriticality(`e.enrichment->>'criticality'`)} AS key FROM enr e GROUP BY e.id) c WHERE key IS NOT NULL GROUP BY 1`,
    )},
    'assets', ${jsonList(
      `SELECT a->>'name' AS name, a->>'kind' AS kind, ${highestCriticality(`a->>'criticality'`)} AS criticality, max(a->>'team') AS team,
              count(DISTINCT e.id)::int AS incidents, max(array_position(${CRITICALITY_ORDER}, a->>'criticality')) AS rank
         FROM enr e CROSS JOIN LATERAL ${elements(`e.enrichment->'assets'`)} a WHERE a->>'name' IS NOT NULL
        GROUP BY 1, 2 ORDER BY 5 DESC, 6 DESC NULLS LAST, 1, 2 LIMIT ${top}`,
      'x.incidents DESC, x.rank DESC NULLS LAST, x.name, x.kind',
    )})`;

const CONTAINMENT_COLUMNS = `s.run_id, s.step_id, r.playbook, r.incident_id, i.priority, s.action,
  coalesce(s.output->>'target', s.input->>'ip', s.input->>'user', s.input->>'host') AS target,
  s.status, s.compensation_status, s.reason, s.compensation_error, s.updated_at`;

/**
 * $1 from, $2 to, $3 item limit, $4 top limit, $5 containment actions, $6 alerts sampled per incident for
 * the enrichment counts. Alert counts come from the hourly rollups; sources from the daily ones, every
 * UTC day the period touches (a 06:00 report keeps its first 18 hours); the rest by ranges on indexed
 * columns (incidents.created_at, sla_breaches.recorded_at, notifications.failed_at, and the
 * containment-problem index on playbook_steps), enrichment from a bounded sample of each incident's
 * alerts (by incident_id). True positives read tasks by resolved_at.
 */
const DAILY_SQL = `WITH inc AS MATERIALIZED (${PERIOD_INCIDENTS}),
  ${enrichedCte('$6')}
SELECT
  ${jsonList(`SELECT severity, status, storm, sum(alerts)::float8 AS alerts FROM alert_rollups
     WHERE bucket >= date_trunc('hour', $1::timestamptz, 'UTC') AND bucket < $2 GROUP BY 1, 2, 3`)} AS alerts,
  ${jsonList(topSourcesSql('$1::timestamptz', '$2', '$4'), 'x.alerts DESC, x.ip')} AS top_sources,
  (SELECT json_build_object('opened', count(*), 'storms', count(*) FILTER (WHERE storm)) FROM inc) AS incidents,
  ${counts(`SELECT severity AS key, count(*)::int AS n FROM inc GROUP BY 1`)} AS by_severity,
  ${counts(`SELECT priority AS key, count(*)::int AS n FROM inc GROUP BY 1`)} AS by_priority,
  json_build_object(
    'total', (SELECT count(*) FROM inc WHERE priority = 'P1'),
    'items', ${jsonList(`SELECT ${INCIDENT_COLUMNS} FROM inc i ${TASK_OF_INCIDENT} WHERE i.priority = 'P1' ORDER BY i.created_at LIMIT $3`, 'x.created_at')}
  ) AS p1,
  (WITH tp AS (SELECT * FROM tasks WHERE kind = 'incident' AND disposition = 'true_positive' AND resolved_at >= $1 AND resolved_at < $2)
   SELECT json_build_object('total', (SELECT count(*) FROM tp),
     'items', ${jsonList(
       `SELECT ${INCIDENT_COLUMNS} FROM tp t JOIN incidents i ON i.id = t.incident_id ORDER BY t.resolved_at LIMIT $3`,
       'x.resolved_at',
     )})) AS true_positives,
  json_build_object(
    'total', (SELECT count(*) FROM inc WHERE storm),
    'items', ${jsonList(
      `SELECT i.id, i.title, i.priority, i.status, i.alert_count, i.first_seen_at, i.last_seen_at,
         (SELECT count(*)::int FROM storm_sources s WHERE s.incident_id = i.id) AS sources,
         (SELECT coalesce(json_agg(json_build_object('source', s.source, 'alerts', s.alerts) ORDER BY s.alerts DESC, s.source), '[]')
            FROM (SELECT source, alerts FROM storm_sources WHERE incident_id = i.id ORDER BY alerts DESC, source LIMIT 5) s) AS top_sources
         FROM inc i WHERE i.storm ORDER BY i.alert_count DESC, i.id LIMIT $3`,
      'x.alert_count DESC, x.id',
    )}
  ) AS storms,
  ${counts(`SELECT kind AS key, count(*)::int AS n FROM sla_breaches WHERE recorded_at >= $1 AND recorded_at < $2 GROUP BY 1`)} AS breaches_by_kind,
  ${counts(`SELECT priority AS key, count(*)::int AS n FROM sla_breaches WHERE recorded_at >= $1 AND recorded_at < $2 GROUP BY 1`)} AS breaches_by_priority,
  ${jsonList(
    `SELECT b.task_id, t.incident_id, b.kind, b.priority, t.title, t.assignee_id, b.deadline, b.recorded_at
       FROM sla_breaches b JOIN tasks t ON t.id = b.task_id
      WHERE b.recorded_at >= $1 AND b.recorded_at < $2 ORDER BY b.recorded_at, b.id LIMIT $3`,
    'x.recorded_at',
  )} AS breaches,
  (WITH c AS (SELECT ${CONTAINMENT_COLUMNS}
       FROM playbook_steps s JOIN playbook_runs r ON r.id = s.run_id JOIN incidents i ON i.id = r.incident_id
      WHERE (s.status IN ('failed', 'uncertain', 'refused') OR s.compensation_status IS NOT NULL)
        AND s.updated_at >= $1 AND s.updated_at < $2 AND s.action = ANY($5::text[]))
   SELECT json_build_object('total', (SELECT count(*) FROM c),
     'items', ${jsonList(`SELECT * FROM c ORDER BY updated_at, run_id, step_id LIMIT $3`, 'x.updated_at')})) AS containment,
  ${counts(`SELECT channel AS key, count(*)::int AS n FROM notifications
     WHERE failed_at IS NOT NULL AND failed_at >= $1 AND failed_at < $2 GROUP BY 1`)} AS failed_by_channel,
  ${jsonList(
    `SELECT key, kind, channel, payload->>'title' AS title, task_id, incident_id, last_error, failed_at FROM notifications
      WHERE failed_at IS NOT NULL AND failed_at >= $1 AND failed_at < $2 ORDER BY failed_at, id LIMIT $3`,
    'x.failed_at',
  )} AS failed_notices,
  ${enrichmentCountsSql('$4')} AS enrichment`;

const epoch = (a: string) => `extract(epoch FROM ${a} - opened_at)`;
const RESPONSE_COLUMNS = `count(*)::int AS tasks, count(acknowledged_at)::int AS acknowledged, count(resolved_at)::int AS resolved,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY ${epoch('acknowledged_at')}) AS mtta_p50,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY ${epoch('acknowledged_at')}) AS mtta_p90,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY ${epoch('resolved_at')}) AS mttr_p50,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY ${epoch('resolved_at')}) AS mttr_p90`;

/**
 * $1 from, $2 to, $3 item limit, $4 top limit, $5 containment actions, $6 time zone, $7 alerts sampled
 * per incident, $8 alerts sampled per incident for the enrichment counts. Incidents by created_at, tasks
 * by opened_at, breaches by recorded_at, playbook runs by created_at; targeted assets and enrichment
 * from a bounded sample of each incident's alerts (by incident_id).
 */
const EXECUTIVE_SQL = `WITH inc AS MATERIALIZED (${PERIOD_INCIDENTS}),
  tk AS MATERIALIZED (SELECT priority, opened_at, acknowledged_at, resolved_at FROM tasks WHERE opened_at >= $1 AND opened_at < $2),
  steps AS MATERIALIZED (SELECT ${CONTAINMENT_COLUMNS}
       FROM playbook_runs r JOIN playbook_steps s ON s.run_id = r.id JOIN incidents i ON i.id = r.incident_id
      WHERE r.created_at >= $1 AND r.created_at < $2 AND s.action = ANY($5::text[]) AND s.status <> 'skipped'),
  assets AS MATERIALIZED (SELECT i.id, i.priority, a.destination_ip, a.host, a.n FROM inc i CROSS JOIN LATERAL (
       SELECT destination_ip, host, count(*)::int AS n FROM (SELECT destination_ip, host FROM alerts WHERE incident_id = i.id LIMIT $7) s
        GROUP BY 1, 2) a),
  ${enrichedCte('$8')}
SELECT
  ${counts(`SELECT priority AS key, count(*)::int AS n FROM inc WHERE priority IN ('P1', 'P2') GROUP BY 1`)} AS by_priority,
  ${jsonList(
    `SELECT ${INCIDENT_COLUMNS} FROM inc i ${TASK_OF_INCIDENT} WHERE i.priority IN ('P1', 'P2') ORDER BY i.priority, i.created_at LIMIT $3`,
    'x.priority, x.created_at',
  )} AS incidents,
  (SELECT row_to_json(x) FROM (SELECT ${RESPONSE_COLUMNS} FROM tk) x) AS response,
  ${jsonList(`SELECT to_char(opened_at AT TIME ZONE $6, 'YYYY-MM-DD') AS day, ${RESPONSE_COLUMNS} FROM tk GROUP BY 1`, 'x.day')} AS response_by_day,
  ${jsonList(`SELECT priority, ${RESPONSE_COLUMNS} FROM tk GROUP BY 1`, 'x.priority')} AS response_by_priority,
  ${counts(`SELECT kind AS key, count(*)::int AS n FROM sla_breaches WHERE recorded_at >= $1 AND recorded_at < $2 GROUP BY 1`)} AS breaches_by_kind,
  ${counts(`SELECT priority AS key, count(*)::int AS n FROM sla_breaches WHERE recorded_at >= $1 AND recorded_at < $2 GROUP BY 1`)} AS breaches_by_priority,
  ${jsonList(`SELECT action, status, compensation_status, count(*)::int AS n FROM steps GROUP BY 1, 2, 3`)} AS containment_by_outcome,
  ${jsonList(`SELECT * FROM steps ORDER BY priority, updated_at, run_id, step_id LIMIT $3`, 'x.priority, x.updated_at')} AS containment,
  ${jsonList(
    `SELECT host(destination_ip) AS asset, count(DISTINCT id)::int AS incidents, sum(n)::int AS alerts, min(priority) AS top_priority
       FROM assets WHERE destination_ip IS NOT NULL GROUP BY destination_ip ORDER BY 2 DESC, 3 DESC, destination_ip LIMIT $4`,
    'x.incidents DESC, x.alerts DESC, x.asset',
  )} AS destination_ips,
  ${jsonList(
    `SELECT host AS asset, count(DISTINCT id)::int AS incidents, sum(n)::int AS alerts, min(priority) AS top_priority
       FROM assets WHERE host IS NOT NULL GROUP BY host ORDER BY 2 DESC, 3 DESC, host LIMIT $4`,
    'x.incidents DESC, x.alerts DESC, x.asset',
  )} AS hosts,
  ${enrichmentCountsSql('$4')} AS enrichment`;
