import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor } from '../common/validation';
import { alertViewColumns, toAlertView, type AlertViewRow } from '../correlation/alert-view';
import { incidentDetailColumns, toIncidentDetailView, type IncidentDetailRow } from '../correlation/incident-view';
import { type Disposition, type IncidentStatus, type Priority, type TaskKind, type TaskStatus, invalid, Refusal } from '../domain';
import { enrichAddress, EnrichmentHolder, rollUpEnrichment, type Enrichment } from '../enrichment';
import {
  alertCursorValues,
  INVESTIGATION_ENRICHMENT_ALERTS,
  INVESTIGATION_LIST_LIMIT,
  investigationIncident,
  investigationAlert,
  InvestigationView,
  parseInvestigationIp,
  seenRange,
} from './investigation';
import type { Columns, TableRow } from '../database/rows';

/** The IP's alerts counted in one pass, and the incidents they (or the incidents' own source IP) link it to. */
interface SummaryRow {
  total: number;
  as_source: number;
  as_destination: number;
  first_seen: Date | null;
  last_seen: Date | null;
  incidents_total: number;
  incidents: IncidentJson[];
}

/** A listed incident as json_agg prints it (times as text), with its alerts for the IP and why it is listed as two flags. */
type IncidentJson = IncidentDetailRow & { alerts_for_ip: number; by_source_ip: boolean; by_alerts: boolean };

/** An alert, with `received_at` to the microsecond for the cursor. */
type AlertRow = AlertViewRow & { received_at_exact: string };

type TaskRow = Columns<
  'tasks',
  | 'id'
  | 'kind'
  | 'incident_id'
  | 'title'
  | 'status'
  | 'priority'
  | 'assignee_id'
  | 'disposition'
  | 'opened_at'
  | 'acknowledged_at'
  | 'resolved_at',
  { kind: TaskKind; status: TaskStatus; priority: Priority; disposition: Disposition | null }
> & { assignee_name: TableRow<'analysts'>['name'] | null; assignee_role: TableRow<'analysts'>['role'] | null };

type ActionRow = Columns<'playbook_runs', 'incident_id' | 'playbook'> &
  Columns<
    'playbook_steps',
    | 'run_id'
    | 'step_id'
    | 'action'
    | 'status'
    | 'input'
    | 'reason'
    | 'attempts'
    | 'started_at'
    | 'finished_at'
    | 'compensation_status'
    | 'compensation_error'
    | 'compensated_at',
    { input: Record<string, unknown> | null }
  > & { total: number };

type EvidenceRow = Columns<'evidence_bundles', 'incident_id' | 'id' | 'seq' | 'run_id' | 'step_id' | 'manifest_hash' | 'created_at'> & {
  items: number;
};

type StormSourceRow = Columns<'storm_sources', 'incident_id' | 'alerts' | 'first_seen_at' | 'last_seen_at'> &
  Columns<'incidents', 'title' | 'status', { status: IncidentStatus }> & { total: number };

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());
const isoOf = (d: Date | string): string => new Date(d).toISOString();

/**
 * Alerts with the IP as source, and as destination but not source, so an alert with both
 * counts once. Each branch walks its own index: (source_ip, received_at) or
 * (destination_ip, received_at).
 */
const HITS = `
  SELECT incident_id, received_at, true AS src, coalesce(destination_ip = $1::inet, false) AS dst FROM alerts WHERE source_ip = $1::inet
  UNION ALL
  SELECT incident_id, received_at, false, true FROM alerts WHERE destination_ip = $1::inet AND source_ip IS DISTINCT FROM $1::inet`;

const ALERT_COLUMNS = `${alertViewColumns('alerts')}, alerts.received_at::text AS received_at_exact`;

/** Everything Warden knows about one IP address, read from indexed columns only. */
@Injectable()
export class InvestigationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly enrichment: EnrichmentHolder,
  ) {}

  async investigateIp(rawIp: string, page: { limit: number; cursor?: string }): Promise<InvestigationView> {
    const parsed = parseInvestigationIp(rawIp);
    if ('error' in parsed) throw new Refusal('invalid', 'The IP address is invalid.', [parsed.error]);
    const { ip, spellings } = parsed;
    const cursor = page.cursor === undefined ? undefined : this.cursor(page.cursor);

    const [summary, alerts, actions, storms, enrichments] = await Promise.all([
      this.summary(ip),
      this.alertsPage(ip, page.limit, cursor),
      this.actions(spellings),
      this.stormSources(spellings),
      this.enrichments(ip),
    ]);
    const incidentIds = summary.incidents.map((i) => i.id);
    const digestIds = summary.incidents.flatMap((i) => (i.digest_task_id ? [i.digest_task_id] : []));
    const [tasks, evidence] = await Promise.all([this.tasks(incidentIds, digestIds), this.evidence(incidentIds)]);

    const items = alerts.slice(0, page.limit);
    const last = items[items.length - 1];
    return {
      ip,
      ...seenRange(
        { first: iso(summary.first_seen), last: iso(summary.last_seen) },
        storms.map((s) => ({ firstSeenAt: isoOf(s.first_seen_at), lastSeenAt: isoOf(s.last_seen_at) })),
      ),
      enrichment: {
        address: enrichAddress(ip, this.enrichment.current, Date.now()),
        alerts: rollUpEnrichment(enrichments.map((r) => r.enrichment)),
      },
      alerts: {
        total: summary.total,
        asSource: summary.as_source,
        asDestination: summary.as_destination,
        items: items.map((a) => investigationAlert(ip, toAlertView(a))),
        nextCursor: alerts.length > page.limit ? encodeCursor([last.received_at_exact, last.id]) : null,
      },
      incidents: {
        total: summary.incidents_total,
        items: summary.incidents.map((i) =>
          investigationIncident(toIncidentDetailView(i), {
            alertsForIp: i.alerts_for_ip,
            bySourceIp: i.by_source_ip,
            byAlerts: i.by_alerts,
          }),
        ),
      },
      tasks: tasks.map((t) => ({
        id: t.id,
        kind: t.kind,
        incidentId: t.incident_id,
        title: t.title,
        status: t.status,
        priority: t.priority,
        assignee: t.assignee_id ? { id: t.assignee_id, name: t.assignee_name ?? t.assignee_id, role: t.assignee_role } : null,
        disposition: t.disposition,
        openedAt: isoOf(t.opened_at),
        acknowledgedAt: iso(t.acknowledged_at),
        resolvedAt: iso(t.resolved_at),
      })),
      actions: {
        total: actions[0]?.total ?? 0,
        items: actions.map((s) => ({
          incidentId: s.incident_id,
          runId: s.run_id,
          playbook: s.playbook,
          stepId: s.step_id,
          action: s.action,
          status: s.status,
          input: s.input,
          reason: s.reason,
          attempts: s.attempts,
          startedAt: iso(s.started_at),
          finishedAt: iso(s.finished_at),
          compensation:
            s.compensation_status === null
              ? null
              : { status: s.compensation_status, error: s.compensation_error, at: iso(s.compensated_at) },
        })),
      },
      evidence: evidence.map((b) => ({
        incidentId: b.incident_id,
        bundleId: b.id,
        seq: b.seq,
        runId: b.run_id,
        stepId: b.step_id,
        manifestHash: b.manifest_hash,
        items: b.items,
        createdAt: isoOf(b.created_at),
      })),
      stormSources: {
        total: storms[0]?.total ?? 0,
        items: storms.map((s) => ({
          incidentId: s.incident_id,
          incidentTitle: s.title,
          incidentStatus: s.status,
          alerts: s.alerts,
          firstSeenAt: isoOf(s.first_seen_at),
          lastSeenAt: isoOf(s.last_seen_at),
        })),
      },
    };
  }

  private cursor(cursor: string): { receivedAt: string; id: string } {
    const values = alertCursorValues(decodeCursor(cursor, 2));
    if (!values) {
      throw invalid('The cursor is not one this API gave out.', 'query:cursor', 'invalid cursor');
    }
    return values;
  }

  /** One pass over the IP's alerts: counts, first and last seen, and the incidents they belong to, plus those keyed by the IP. */
  private async summary(ip: string): Promise<SummaryRow> {
    const [row] = await this.dataSource.query<SummaryRow[]>(
      `WITH hits AS MATERIALIZED (${HITS}),
       by_alerts AS (SELECT incident_id AS id, count(*)::int AS alerts FROM hits WHERE incident_id IS NOT NULL GROUP BY incident_id),
       by_source_ip AS (SELECT id FROM incidents WHERE source_ip = $1::inet),
       linked AS (
         SELECT coalesce(a.id, k.id) AS id, coalesce(a.alerts, 0) AS alerts_for_ip, a.id IS NOT NULL AS by_alerts, k.id IS NOT NULL AS by_source_ip
           FROM by_alerts a FULL JOIN by_source_ip k ON k.id = a.id),
       page AS (
         SELECT ${incidentDetailColumns('x')}, x.alerts_for_ip, x.by_alerts, x.by_source_ip FROM (
           SELECT i.*, l.alerts_for_ip, l.by_alerts, l.by_source_ip FROM linked l JOIN incidents i ON i.id = l.id
            ORDER BY i.last_seen_at DESC, i.id DESC LIMIT $2) x)
       SELECT t.total, t.as_source, t.as_destination, t.first_seen, t.last_seen,
              (SELECT count(*)::int FROM linked) AS incidents_total,
              coalesce((SELECT json_agg(p ORDER BY p.last_seen_at DESC, p.id DESC) FROM page p), '[]') AS incidents
         FROM (SELECT count(*)::int AS total, count(*) FILTER (WHERE src)::int AS as_source, count(*) FILTER (WHERE dst)::int AS as_destination,
                      min(received_at) AS first_seen, max(received_at) AS last_seen FROM hits) t`,
      [ip, INVESTIGATION_LIST_LIMIT],
    );
    return row;
  }

  /** Newest first: each branch reads at most `limit + 1` rows from its index, then the two are merged. */
  private async alertsPage(ip: string, limit: number, cursor?: { receivedAt: string; id: string }): Promise<AlertRow[]> {
    const params: unknown[] = [ip, limit + 1];
    let after = '';
    if (cursor) {
      params.push(cursor.receivedAt, cursor.id);
      // received_at <= c first, so the index range does the work; the id breaks ties inside one microsecond.
      after = `AND received_at <= $3::timestamptz AND (received_at < $3::timestamptz OR id < $4::uuid)`;
    }
    return this.dataSource.query<AlertRow[]>(
      `(SELECT ${ALERT_COLUMNS} FROM alerts WHERE source_ip = $1::inet ${after} ORDER BY received_at DESC, id DESC LIMIT $2)
       UNION ALL
       (SELECT ${ALERT_COLUMNS} FROM alerts WHERE destination_ip = $1::inet AND source_ip IS DISTINCT FROM $1::inet ${after}
         ORDER BY received_at DESC, id DESC LIMIT $2)
       ORDER BY received_at DESC, id DESC LIMIT $2`,
      params,
    );
  }

  /** The stored enrichment of the IP's newest alerts, each branch read from its own index as the alerts page is. */
  private async enrichments(ip: string): Promise<{ enrichment: Enrichment | null }[]> {
    return this.dataSource.query<{ enrichment: Enrichment | null }[]>(
      `SELECT enrichment FROM (
         (SELECT received_at, id, enrichment FROM alerts WHERE source_ip = $1::inet ORDER BY received_at DESC, id DESC LIMIT $2)
         UNION ALL
         (SELECT received_at, id, enrichment FROM alerts WHERE destination_ip = $1::inet AND source_ip IS DISTINCT FROM $1::inet
           ORDER BY received_at DESC, id DESC LIMIT $2)) x
        ORDER BY received_at DESC, id DESC LIMIT $2`,
      [ip, INVESTIGATION_ENRICHMENT_ALERTS],
    );
  }

  /** Playbook steps whose rendered input names the IP (`with: { ip }`), newest first. */
  private async actions(spellings: string[]): Promise<ActionRow[]> {
    return this.dataSource.query<ActionRow[]>(
      `SELECT r.incident_id, s.run_id, r.playbook, s.step_id, s.action, s.status, s.input, s.reason, s.attempts, s.started_at, s.finished_at,
              s.compensation_status, s.compensation_error, s.compensated_at, count(*) OVER ()::int AS total
         FROM playbook_steps s JOIN playbook_runs r ON r.id = s.run_id
        WHERE s.input->>'ip' = ANY($1::text[])
        ORDER BY coalesce(s.started_at, s.updated_at) DESC, s.run_id, s.step_id LIMIT $2`,
      [spellings, INVESTIGATION_LIST_LIMIT],
    );
  }

  private async stormSources(spellings: string[]): Promise<StormSourceRow[]> {
    return this.dataSource.query<StormSourceRow[]>(
      `SELECT s.incident_id, i.title, i.status, s.alerts, s.first_seen_at, s.last_seen_at, count(*) OVER ()::int AS total
         FROM storm_sources s JOIN incidents i ON i.id = s.incident_id
        WHERE s.source = ANY($1::text[])
        ORDER BY s.last_seen_at DESC, s.incident_id LIMIT $2`,
      [spellings, INVESTIGATION_LIST_LIMIT],
    );
  }

  private async tasks(incidentIds: string[], digestIds: string[]): Promise<TaskRow[]> {
    if (incidentIds.length === 0) return [];
    return this.dataSource.query<TaskRow[]>(
      `SELECT t.id, t.kind, t.incident_id, t.title, t.status, t.priority, t.assignee_id, a.name AS assignee_name, a.role AS assignee_role,
              t.disposition, t.opened_at, t.acknowledged_at, t.resolved_at
         FROM tasks t LEFT JOIN analysts a ON a.id = t.assignee_id
        WHERE (t.kind = 'incident' AND t.incident_id = ANY($1::uuid[])) OR t.id = ANY($2::uuid[])
        ORDER BY t.opened_at DESC, t.id`,
      [incidentIds, digestIds],
    );
  }

  private async evidence(incidentIds: string[]): Promise<EvidenceRow[]> {
    if (incidentIds.length === 0) return [];
    return this.dataSource.query<EvidenceRow[]>(
      `SELECT b.incident_id, b.id, b.seq, b.run_id, b.step_id, b.manifest_hash, b.created_at,
              (SELECT count(*)::int FROM evidence_items i WHERE i.bundle_id = b.id) AS items
         FROM evidence_bundles b WHERE b.incident_id = ANY($1::uuid[])
        ORDER BY b.created_at DESC, b.incident_id, b.seq DESC LIMIT $2`,
      [incidentIds, INVESTIGATION_LIST_LIMIT],
    );
  }
}
