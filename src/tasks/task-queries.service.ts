import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { readTimeline } from '../audit/audit.service';
import { pickFields } from '../common/pick';
import { decodeCursor, encodeCursor } from '../common/validation';
import { alertViewColumns, toAlertView, type AlertView, type AlertViewRow } from '../correlation/alert-view';
import {
  incidentDetailColumns,
  stormSourcesSql,
  toIncidentDetailView,
  toStormSourcesView,
  type IncidentDetailRow,
  type StormSourceRow,
} from '../correlation/incident-view';
import { type TaskStatus, notFound } from '../domain';
import { rollUpEnrichment } from '../enrichment';
import { incidentPlaybooks } from '../playbooks/runs-view';
import { readTask, taskViewSelect, TaskView, TaskViewRow, toTaskView } from './task-view';
import type { Columns } from '../database/rows';

/** How many of a storm's sources its detail lists, busiest first. */
const TOP_STORM_SOURCES = 10;

type AssignmentRow = Columns<'task_assignments', 'id' | 'analyst_id' | 'role' | 'via' | 'reason' | 'actor' | 'assigned_at'>;

type CommentRow = Columns<'task_comments', 'id' | 'author' | 'text' | 'created_at'>;

type BreachRow = Columns<'sla_breaches', 'kind' | 'deadline' | 'recorded_at'>;

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
  /** The role the task waits for (`assign_role`). */
  role?: string;
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

/**
 * What the incident detail lists of each of its alerts: the AlertView without what the incident
 * already says (its id, priority and rule).
 */
const INCIDENT_ALERT_FIELDS = [
  'id',
  'source',
  'type',
  'severity',
  'title',
  'description',
  'sourceIp',
  'destinationIp',
  'user',
  'host',
  'status',
  'occurrences',
  'occurredAt',
  'receivedAt',
  'lastSeenAt',
  'resolvedAt',
  'enrichment',
] as const satisfies readonly (keyof AlertView)[];

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
    if (f.role) add('t.assign_role = ?', f.role);
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
    // The page first; its rows' live counts and alerts are read after the limit, for the page alone.
    const rows = await this.dataSource.query<(IncidentDetailRow & { created_at_exact: string })[]>(
      `SELECT ${incidentDetailColumns('p')}, p.created_at_exact FROM (
         SELECT i.*, created_at::text AS created_at_exact FROM incidents i ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY created_at DESC, id DESC LIMIT $${params.length}) p
        ORDER BY p.created_at DESC, p.id DESC`,
      params,
    );
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toIncidentDetailView),
      nextCursor: rows.length > f.limit ? encodeCursor([last.created_at_exact, last.id]) : null,
    };
  }

  /** The incident with its latest alerts, its tasks and every recorded change to either. */
  async incidentDetail(incidentId: string, alertLimit = 100) {
    const [row] = await this.dataSource.query<IncidentDetailRow[]>(
      `SELECT ${incidentDetailColumns('i')} FROM incidents i WHERE i.id = $1`,
      [incidentId],
    );
    if (!row) throw notFound(`No incident ${incidentId}.`, 'path:id', 'no such incident');
    const [alerts, tasks, stormSources] = await Promise.all([
      this.dataSource.query<AlertViewRow[]>(
        `SELECT ${alertViewColumns('alerts')} FROM alerts WHERE incident_id = $1 ORDER BY received_at DESC LIMIT $2`,
        [incidentId, alertLimit],
      ),
      this.dataSource.query<TaskViewRow[]>(`${taskViewSelect()} WHERE t.incident_id = $1 OR t.id = $2 ORDER BY t.created_at`, [
        incidentId,
        row.digest_task_id,
      ]),
      row.storm ? this.dataSource.query<StormSourceRow[]>(stormSourcesSql('$1', '$2'), [incidentId, TOP_STORM_SOURCES]) : [],
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
      ...toIncidentDetailView(row),
      ...(row.storm ? { stormSources: toStormSourcesView(stormSources) } : {}),
      // Over the alerts listed (the latest `alertLimit`), which carry it each.
      enrichment: rollUpEnrichment(alerts.map((a) => a.enrichment)),
      alerts: alerts.map((a) => pickFields(toAlertView(a), INCIDENT_ALERT_FIELDS)),
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
