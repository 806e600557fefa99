import { liveAlertCountSql, liveLastSeenSql, liveStormSourcesSql } from '../correlation/live-sql';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { readTimeline } from '../audit/audit.service';
import { decodeCursor, encodeCursor } from '../common/validation';
import { alertCountsSql, type AlertCountsRow } from '../correlation/alert-counts';
import {
  alertViewStatus,
  parseStormKind,
  type AlertStatus,
  type IncidentStatus,
  type Priority,
  type Severity,
  type TaskStatus,
  notFound,
} from '../domain';
import { incidentPlaybooks } from '../playbooks/runs-view';
import { readTask, taskViewSelect, TaskView, TaskViewRow, toTaskView } from './task-view';
import type { Columns } from '../database/rows';

/** An incident row with its count and last activity as ingest left them (deltas included; the later columns of a name win). */
const LIVE_INCIDENT_COLUMNS = `i.*, ${liveAlertCountSql('i')} AS alert_count, ${liveLastSeenSql('i')} AS last_seen_at`;

/** An `incidents` row as PostgreSQL returns it (read here for the analyst API; correlation owns the table). */
type IncidentRow = Columns<
  'incidents',
  | 'id'
  | 'correlation_key'
  | 'status'
  | 'title'
  | 'severity'
  | 'priority'
  | 'action'
  | 'rule'
  | 'opening_rule'
  | 'storm'
  | 'storm_kind'
  | 'playbooks'
  | 'assign_role'
  | 'types'
  | 'source_ip'
  | 'user'
  | 'host'
  | 'alert_count'
  | 'first_seen_at'
  | 'last_seen_at'
  | 'digest_task_id'
  | 'resolved_at'
  | 'created_at',
  { status: IncidentStatus; severity: Severity; priority: Priority }
>;

/** A storm incident's source, with how many distinct sources the storm holds in all. */
type StormSourceRow = Columns<'storm_sources', 'source' | 'alerts' | 'first_seen_at' | 'last_seen_at'> & { sources: number };

/** How many of a storm's sources its detail lists, busiest first. */
const TOP_STORM_SOURCES = 10;

type AssignmentRow = Columns<'task_assignments', 'id' | 'analyst_id' | 'role' | 'via' | 'reason' | 'actor' | 'assigned_at'>;

type CommentRow = Columns<'task_comments', 'id' | 'author' | 'text' | 'created_at'>;

type BreachRow = Columns<'sla_breaches', 'kind' | 'deadline' | 'recorded_at'>;

type AlertSummaryRow = Columns<
  'alerts',
  | 'id'
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
  | 'occurrence_count'
  | 'occurred_at'
  | 'received_at'
  | 'last_seen_at'
  | 'resolved_at',
  { status: AlertStatus }
>;

/** A notice of one of the incident's tasks (read here for the incident detail; notifications owns the table). */
type NoticeRow = Columns<
  'notifications',
  'key' | 'channel' | 'kind' | 'task_id' | 'recipients' | 'attempts' | 'last_error' | 'created_at' | 'sent_at' | 'failed_at'
>;

export interface TaskFilter {
  /** An analyst id, or null for unassigned tasks; undefined: anyone. */
  assignee?: string | null;
  statuses: readonly TaskStatus[];
  priority?: string;
  limit: number;
  cursor?: string;
}

export interface IncidentFilter {
  status?: string;
  severity?: string;
  priority?: string;
  type?: string;
  sourceIp?: string;
  user?: string;
  host?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/** The deadline that matters now: ack until acknowledged, then resolve. */
const DUE = `(CASE WHEN t.acknowledged_at IS NULL THEN t.ack_deadline ELSE t.resolve_deadline END)`;

/** The analyst-facing reads: queues, incidents and their timelines. */
@Injectable()
export class TaskQueriesService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** By priority, then the deadline that matters now, then id; keyset pages. */
  async listTasks(f: TaskFilter): Promise<{ items: (TaskView & { dueAt: string })[]; nextCursor: string | null }> {
    const where: string[] = ['t.status = ANY($1::text[])'];
    const params: unknown[] = [f.statuses];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.assignee === null) where.push('t.assignee_id IS NULL');
    else if (f.assignee !== undefined) add('t.assignee_id = ?', f.assignee);
    if (f.priority) add('t.priority = ?', f.priority);
    if (f.cursor) {
      const [priority, due, id] = decodeCursor(f.cursor, 3);
      params.push(priority, due, id);
      const n = params.length;
      where.push(`(t.priority, ${DUE}, t.id) > ($${n - 2}, $${n - 1}::timestamptz, $${n}::uuid)`);
    }
    params.push(f.limit + 1);
    const rows = await this.dataSource.query<(TaskViewRow & { due_at: Date })[]>(
      `${taskViewSelect(`, ${DUE} AS due_at`)} WHERE ${where.join(' AND ')}
        ORDER BY t.priority, ${DUE}, t.id LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({ ...toTaskView(r), dueAt: new Date(r.due_at).toISOString() })),
      nextCursor: rows.length > f.limit ? encodeCursor([last.priority, new Date(last.due_at).toISOString(), last.id]) : null,
    };
  }

  async taskDetail(taskId: string) {
    const row = await readTask(this.dataSource, taskId);
    const [assignments, comments, breaches] = await Promise.all([
      this.dataSource.query<AssignmentRow[]>(
        `SELECT id, analyst_id, role, via, reason, actor, assigned_at FROM task_assignments WHERE task_id = $1 ORDER BY id`,
        [taskId],
      ),
      this.dataSource.query<CommentRow[]>(`SELECT id, author, text, created_at FROM task_comments WHERE task_id = $1 ORDER BY id`, [
        taskId,
      ]),
      this.dataSource.query<BreachRow[]>(`SELECT kind, deadline, recorded_at FROM sla_breaches WHERE task_id = $1 ORDER BY id`, [taskId]),
    ]);
    return {
      ...toTaskView(row),
      closingSummary: row.closing_summary,
      assignments: assignments.map((a) => ({
        id: String(a.id),
        analystId: a.analyst_id,
        role: a.role,
        via: a.via,
        reason: a.reason,
        actor: a.actor,
        assignedAt: a.assigned_at,
      })),
      comments: comments.map((c) => ({ id: String(c.id), author: c.author, text: c.text, createdAt: c.created_at })),
      slaBreaches: breaches.map((b) => ({ kind: b.kind, deadline: b.deadline, recordedAt: b.recorded_at })),
    };
  }

  /** Newest first; keyset pages. */
  async listIncidents(f: IncidentFilter) {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replaceAll('?', `$${params.length}`));
    };
    if (f.status) add('status = ?', f.status);
    if (f.severity) add('severity = ?', f.severity);
    if (f.priority) add('priority = ?', f.priority);
    if (f.type) add('? = ANY(types)', f.type);
    if (f.sourceIp) add('source_ip = ?::inet', f.sourceIp);
    if (f.user) add('"user" = ?', f.user);
    if (f.host) add('host = ?', f.host);
    if (f.from) add('created_at >= ?::timestamptz', f.from);
    if (f.to) add('created_at < ?::timestamptz', f.to);
    if (f.cursor) {
      const [createdAt, id] = decodeCursor(f.cursor, 2);
      params.push(createdAt, id);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(f.limit + 1);
    // Alerts are counted for the page alone, after the limit.
    const rows = await this.dataSource.query<(IncidentRow & AlertCountsRow & { created_at_exact: string })[]>(
      `SELECT p.*, ${alertCountsSql('p.id')} FROM (
         SELECT ${LIVE_INCIDENT_COLUMNS}, created_at::text AS created_at_exact FROM incidents i ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY created_at DESC, id DESC LIMIT $${params.length}) p
        ORDER BY p.created_at DESC, p.id DESC`,
      params,
    );
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return { items: page.map(incidentView), nextCursor: rows.length > f.limit ? encodeCursor([last.created_at_exact, last.id]) : null };
  }

  /** The incident with its latest alerts, its tasks and every recorded change to either. */
  async incidentDetail(incidentId: string, alertLimit = 100) {
    const [row] = await this.dataSource.query<(IncidentRow & AlertCountsRow)[]>(
      `SELECT ${LIVE_INCIDENT_COLUMNS}, ${alertCountsSql('i.id')} FROM incidents i WHERE id = $1`,
      [incidentId],
    );
    if (!row) throw notFound(`No incident ${incidentId}.`, 'path:id', 'no such incident');
    const [alerts, tasks, stormSources] = await Promise.all([
      this.dataSource.query<AlertSummaryRow[]>(
        `SELECT id, source, type, severity, title, description, source_ip, destination_ip, "user", host, status, occurrence_count, occurred_at,
                received_at, last_seen_at, resolved_at
           FROM alerts WHERE incident_id = $1 ORDER BY received_at DESC LIMIT $2`,
        [incidentId, alertLimit],
      ),
      this.dataSource.query<TaskViewRow[]>(`${taskViewSelect()} WHERE t.incident_id = $1 OR t.id = $2 ORDER BY t.created_at`, [
        incidentId,
        row.digest_task_id,
      ]),
      row.storm
        ? this.dataSource.query<StormSourceRow[]>(
            `SELECT source, alerts, first_seen_at, last_seen_at, count(*) OVER ()::int AS sources FROM ${liveStormSourcesSql('incident_id = $1')} s
              ORDER BY alerts DESC, source LIMIT $2`,
            [incidentId, TOP_STORM_SOURCES],
          )
        : [],
    ]);
    const playbooks = await incidentPlaybooks(this.dataSource, incidentId);
    const [timeline, notices] = await Promise.all([
      readTimeline(this.dataSource, [
        incidentId,
        ...tasks.map((t) => t.id),
        ...playbooks.playbookRuns.map((r) => r.id),
        ...playbooks.approvals.map((a) => a.id),
      ]),
      this.dataSource.query<NoticeRow[]>(
        `SELECT key, channel, kind, task_id, recipients, attempts, last_error, created_at, sent_at, failed_at FROM notifications
          WHERE task_id = ANY($1::uuid[]) OR (task_id IS NULL AND incident_id = $2) ORDER BY id`,
        [tasks.map((t) => t.id), incidentId],
      ),
    ]);
    return {
      ...incidentView(row),
      ...(row.storm
        ? {
            stormSources: {
              distinct: stormSources[0]?.sources ?? 0,
              top: stormSources.map((s) => ({
                source: s.source,
                alerts: s.alerts,
                firstSeenAt: s.first_seen_at,
                lastSeenAt: s.last_seen_at,
              })),
            },
          }
        : {}),
      alerts: alerts.map((a) => ({
        id: a.id,
        source: a.source,
        type: a.type,
        severity: a.severity,
        title: a.title,
        description: a.description,
        sourceIp: a.source_ip,
        destinationIp: a.destination_ip,
        user: a.user,
        host: a.host,
        status: alertViewStatus(a.status, a.source, a.resolved_at),
        occurrences: a.occurrence_count,
        occurredAt: a.occurred_at,
        receivedAt: a.received_at,
        lastSeenAt: a.last_seen_at,
        resolvedAt: a.resolved_at,
      })),
      tasks: tasks.map(toTaskView),
      ...playbooks,
      // What the channels were told; a failed one waits for `warden notices redrive`.
      failedNotices: notices.filter((n) => n.failed_at !== null).length,
      notices: notices.map((n) => ({
        key: n.key,
        channel: n.channel,
        kind: n.kind,
        taskId: n.task_id,
        recipients: n.recipients,
        status: n.sent_at ? 'sent' : n.failed_at ? 'failed' : 'pending',
        attempts: n.attempts,
        error: n.last_error,
        recordedAt: n.created_at,
        sentAt: n.sent_at,
        failedAt: n.failed_at,
      })),
      timeline,
    };
  }
}

function incidentView(r: IncidentRow & AlertCountsRow) {
  return {
    id: r.id,
    title: r.title,
    status: r.status,
    severity: r.severity,
    priority: r.priority,
    action: r.action,
    rule: r.rule,
    openingRule: r.opening_rule,
    storm: r.storm,
    // What the storm is: the one kind of alert it folds (rule, type, monitor).
    ...(r.storm ? { stormKind: parseStormKind(r.storm_kind) } : {}),
    assignRole: r.assign_role,
    playbooks: r.playbooks,
    types: r.types,
    sourceIp: r.source_ip,
    user: r.user,
    host: r.host,
    alertCount: r.alert_count,
    firingAlerts: r.firing_alerts,
    resolvedAlerts: r.resolved_alerts,
    correlationKey: r.correlation_key,
    digestTaskId: r.digest_task_id,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
    createdAt: r.created_at,
    resolvedAt: r.resolved_at,
  };
}
