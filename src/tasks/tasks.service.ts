import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AssignmentRejected, AssignmentService } from '../assignment/assignment.service';
import { AUDIT_COLUMNS, AuditService } from '../audit/audit.service';
import { IncidentsService } from '../correlation/incidents.service';
import {
  conflict,
  isMoreUrgent,
  notFound,
  unprocessable,
  isOpenTask,
  isUnacknowledgedTask,
  type AnalystDisposition,
  type Disposition,
  type OutboxKind,
  type Priority,
} from '../domain';
import { enqueue } from '../outbox/outbox';
import type { ChangeOrigin } from '../notifications/channels';
import { NotificationsService } from '../notifications/notifications.service';
import { closeRuns } from '../playbooks/run-closures';
import { checklistFor } from './checklists';
import { clearingVerdict, MONITOR_ACTOR, type ClearingVerdict } from './clearing';
import { SLA_CONFIG, type SlaConfig } from './sla.schema';
import { reassignedAckDeadline, reprioritize, slaDeadlines } from './sla';
import { readTask, TaskRow, TaskView, TaskViewRow, toTaskView } from './task-view';

/** The outbox kinds that carry an analyst's action to the incident's workflow. */
export type TaskSignalKind = Extract<OutboxKind, 'acknowledged' | 'resolved' | 'reassigned'>;

/**
 * Decides, on the task as locked inside the action's transaction, whether the action may go on
 * (the use case's access check): it throws a Refusal, or returns and the action proceeds.
 */
export type TaskGuard = (task: TaskView, m: EntityManager) => Promise<void>;

/** The assignment idempotency key of a reassignment made with this Idempotency-Key (a retry finds its first result by it). */
export const reassignIdempotencyKey = (taskId: string, idempotencyKey: string) => `reassign:${taskId}:${idempotencyKey}`;

export interface TaskComment {
  id: string;
  taskId: string;
  author: string;
  text: string;
  createdAt: string;
}

/** What every action takes besides its own input: the channel it came from, and its guard. */
export interface ActionOptions {
  origin?: ChangeOrigin;
  guard?: TaskGuard;
}

/**
 * Task state. Analysts' actions change Postgres first, in one transaction with an outbox
 * row that tells the incident's workflow, so the answer is the new state and nothing is
 * lost while Temporal is away.
 */
@Injectable()
export class TasksService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SLA_CONFIG) private readonly sla: SlaConfig,
    private readonly assignment: AssignmentService,
    private readonly incidents: IncidentsService,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
  ) {}

  /**
   * Tells the channels that follow tasks (Slack thread, Jira issue, webhooks) in the action's own
   * transaction; `origin`, the channel the action came from, is not told back.
   */
  private async event(
    m: EntityManager,
    task: TaskView,
    kind: 'task.acknowledged' | 'task.resolved' | 'task.commented',
    key: string,
    title: string,
    data: Record<string, unknown>,
    origin: ChangeOrigin | undefined,
  ): Promise<void> {
    await this.notifications.record(
      { key: `task-${task.id}:${key}`, kind, recipients: [], taskId: task.id, incidentId: task.incidentId, title, text: task.title, data },
      { origin, m },
    );
  }

  async get(taskId: string, m: EntityManager = this.dataSource.manager): Promise<TaskView> {
    return toTaskView(await readTask(m, taskId));
  }

  /**
   * The incident's one task, created on the first call: checklist from its alert types,
   * deadlines from its priority. Every workflow's first step, so it takes two round trips
   * and no transaction: a read, then one statement that creates the task and its audit
   * entry together (a repeat creates neither and reads the task).
   */
  async openIncidentTask(incidentId: string): Promise<TaskView> {
    const incident = await this.incidents.forTask(this.dataSource.manager, incidentId);
    if (!incident) throw notFound(`No incident ${incidentId}.`, '/incidentId', 'no such incident');
    const deadlines = slaDeadlines(incident.priority, incident.now, this.sla);
    const [created] = await this.dataSource.query<TaskViewRow[]>(
      `WITH task AS (
         INSERT INTO tasks (kind, incident_id, title, priority, assign_role, checklist, opened_at, ack_deadline, resolve_deadline)
         VALUES ('incident', $1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (incident_id) WHERE kind = 'incident' DO NOTHING RETURNING *),
       audit AS (
         INSERT INTO audit_log (${AUDIT_COLUMNS})
         SELECT 'workflow', 'task.created', 'task', id::text, NULL,
                jsonb_build_object('incidentId', incident_id, 'priority', priority, 'ackDeadline', ack_deadline, 'resolveDeadline', resolve_deadline),
                'task-' || id || ':created' FROM task
         ON CONFLICT DO NOTHING)
       SELECT task.*, NULL AS assignee_name, NULL AS assignee_role FROM task`,
      [
        incident.id,
        incident.title,
        incident.priority,
        incident.assign_role,
        JSON.stringify(checklistFor(incident.types, incident.storm)),
        incident.now,
        deadlines.ackBy,
        deadlines.resolveBy,
      ],
    );
    if (created) return toTaskView(created);
    const [{ id }] = await this.dataSource.query<{ id: string }[]>(`SELECT id FROM tasks WHERE incident_id = $1 AND kind = 'incident'`, [
      incidentId,
    ]);
    return this.get(id);
  }

  /**
   * Brings deadlines forward when the incident's priority rose; a fall changes nothing. A task
   * waiting for capacity that rises to a priority that never waits (`overflow`) is placed in the
   * same transaction, so it is not left behind until the next freed slot or sweep.
   */
  async reprioritize(taskId: string, priority: Priority): Promise<TaskView> {
    const { after, drained } = await this.dataSource.transaction(async (m) => {
      // The assignment lock comes before any task row (one lock order); only a rise that may place needs it.
      const mayPlace = this.assignment.overflows(priority);
      if (mayPlace) await this.assignment.lock(m);
      const [row] = await m.query<TaskRow[]>(`SELECT * FROM tasks WHERE id = $1 FOR UPDATE`, [taskId]);
      if (!row || !isMoreUrgent(priority, row.priority) || !isOpenTask(row.status))
        return { after: await this.get(taskId, m), drained: [] };
      const next = reprioritize(
        { ackBy: row.ack_deadline, resolveBy: row.resolve_deadline },
        row.priority,
        priority,
        row.opened_at,
        this.sla,
      );
      await m.query(`UPDATE tasks SET priority = $2, ack_deadline = $3, resolve_deadline = $4, updated_at = now() WHERE id = $1`, [
        taskId,
        priority,
        next.ackBy,
        next.resolveBy,
      ]);
      await this.audit.record(
        {
          actor: 'workflow',
          action: 'task.reprioritized',
          subjectType: 'task',
          subjectId: taskId,
          before: { priority: row.priority, ackDeadline: row.ack_deadline, resolveDeadline: row.resolve_deadline },
          after: { priority, ackDeadline: next.ackBy, resolveDeadline: next.resolveBy },
          idempotencyKey: `task-${taskId}:priority:${priority}`,
        },
        m,
      );
      const waiting = row.status === 'new' && row.assignee_id === null;
      return { after: await this.get(taskId, m), drained: mayPlace && waiting ? await this.assignment.drain(m) : [] };
    });
    this.assignment.notifyDigests(drained);
    return after;
  }

  async acknowledge(taskId: string, actor: string, options: ActionOptions = {}): Promise<TaskView> {
    const after = await this.dataSource.transaction(async (m) => {
      const before = await this.lock(taskId, m, options.guard);
      if (isOpenTask(before.status) && !isUnacknowledgedTask(before.status)) return before; // a repeat changes nothing
      if (!isUnacknowledgedTask(before.status))
        throw conflict(`Task ${taskId} is ${before.status}; only an open task can be acknowledged.`);
      await m.query(`UPDATE tasks SET status = 'acknowledged', acknowledged_at = now(), updated_at = now() WHERE id = $1`, [taskId]);
      if (before.incidentId) await this.incidents.acknowledge(m, before.incidentId);
      const after = await this.get(taskId, m);
      await this.changed(m, before, after, actor, 'task.acknowledged', 'acknowledged', { by: actor });
      await this.event(m, after, 'task.acknowledged', 'acknowledged', `Acknowledged by ${actor}`, { by: actor }, options.origin);
      return after;
    });
    this.notifications.told();
    return after;
  }

  /** Resolves the task and, in the same transaction, gives the slot it frees to the head of the capacity queue. */
  async resolve(
    taskId: string,
    actor: string,
    disposition: AnalystDisposition,
    resolution: string | null,
    options: ActionOptions = {},
  ): Promise<TaskView> {
    const { after, drained } = await this.dataSource.transaction(async (m) => {
      await this.assignment.lock(m);
      const before = await this.lock(taskId, m, options.guard);
      if (!isOpenTask(before.status)) throw conflict(`Task ${taskId} is already ${before.status}.`);
      return this.resolveLocked(m, before, actor, disposition, resolution, options.origin);
    });
    this.notifications.told();
    this.assignment.notifyDigests(drained);
    return after;
  }

  /**
   * The monitors resolved every alert of the task's incident (its rule says `resolve_when_cleared`):
   * resolves the task as `cleared_by_monitor` the way an analyst's resolve does (SLA steps end,
   * channels hear it, playbook runs close without rolling back), unless someone acknowledged it or
   * an alert fires again. Decided under the task's row lock and the incident's correlation lock,
   * so neither an acknowledgement nor a joining alert can slip in between.
   */
  async clearByMonitor(taskId: string): Promise<ClearingVerdict> {
    const { verdict, drained } = await this.dataSource.transaction(async (m) => {
      await this.assignment.lock(m);
      const before = await this.lock(taskId, m);
      const counts = before.incidentId ? await this.incidents.lockedAlertCounts(m, before.incidentId) : { firing: 0, resolved: 0 };
      const verdict = clearingVerdict(before.status, counts);
      // The timeline says the monitors cleared the incident, also when an acknowledged task stays open.
      if (verdict.resolve || verdict.reason === 'acknowledged') {
        await this.audit.record(
          {
            actor: MONITOR_ACTOR,
            action: 'incident.alerts_cleared',
            subjectType: 'incident',
            subjectId: before.incidentId!,
            after: { ...counts, taskId, taskResolved: verdict.resolve, ...(verdict.resolve ? {} : { reason: verdict.reason }) },
            idempotencyKey: `incident-${before.incidentId}:alerts-cleared:${counts.resolved}`,
          },
          m,
        );
      }
      if (!verdict.resolve) return { verdict, drained: [] };
      const resolution = `Every alert was resolved by its monitor (${counts.resolved}).`;
      const { drained } = await this.resolveLocked(m, before, MONITOR_ACTOR, 'cleared_by_monitor', resolution, undefined);
      return { verdict, drained };
    });
    if (verdict.resolve) {
      this.notifications.told();
      this.assignment.notifyDigests(drained);
    }
    return verdict;
  }

  /** The resolve itself, on a task locked (after the assignment lock) and known to be open. */
  private async resolveLocked(
    m: EntityManager,
    before: TaskView,
    actor: string,
    disposition: Disposition,
    resolution: string | null,
    origin: ChangeOrigin | undefined,
  ) {
    const taskId = before.id;
    await m.query(
      `UPDATE tasks SET status = 'resolved', resolved_at = now(), disposition = $2, resolution = $3, updated_at = now() WHERE id = $1`,
      [taskId, disposition, resolution],
    );
    await this.incidents.resolve(m, before.incidentId, taskId);
    if (before.incidentId) await closeRuns(m, before.incidentId, disposition);
    const after = await this.get(taskId, m);
    await this.changed(m, before, after, actor, 'task.resolved', 'resolved', { by: actor, disposition });
    await this.event(
      m,
      after,
      'task.resolved',
      'resolved',
      `Resolved as ${disposition} by ${actor}`,
      { by: actor, disposition, resolution },
      origin,
    );
    return { after, drained: await this.assignment.drain(m) };
  }

  /**
   * To the analyst named, or by the assignment rules to anyone but the current assignee; the
   * slot the previous assignee frees goes to the head of the capacity queue in the same transaction.
   */
  async reassign(
    taskId: string,
    actor: string,
    request: { to?: string; reason?: string; idempotencyKey?: string },
    options: ActionOptions = {},
  ): Promise<TaskView> {
    const { after, drained } = await this.dataSource.transaction(async (m) => {
      await this.assignment.lock(m);
      const before = await this.lock(taskId, m, options.guard);
      if (!isOpenTask(before.status)) throw conflict(`Task ${taskId} is ${before.status}; only an open task can be reassigned.`);
      const idempotencyKey = reassignIdempotencyKey(taskId, request.idempotencyKey ?? randomUUID());
      // A retry is answered by the assignment it made (or refused for another body) before the task's new state is judged.
      const [retry] = await m.query<{ id: string }[]>(`SELECT id FROM task_assignments WHERE idempotency_key = $1`, [idempotencyKey]);
      if (!retry && request.to !== undefined && request.to === before.assignee?.id)
        throw conflict(`Task ${taskId} is already assigned to ${request.to}.`, '/to');
      let assignment;
      try {
        assignment = await this.assignment.assign(
          {
            taskId,
            idempotencyKey,
            actor,
            to: request.to,
            excludeCurrent: true,
            reason: request.reason,
          },
          m,
        );
      } catch (err) {
        if (err instanceof AssignmentRejected) throw unprocessable(err.message, err.path);
        throw err;
      }
      if (!assignment.analystId) throw conflict(`Nobody else can take task ${taskId}: ${assignment.reason}`, '/to');
      if (!assignment.created) return { after: await this.get(taskId, m), drained: [] };
      await this.freshAckDeadline(m, before, actor);
      const after = await this.get(taskId, m);
      await this.signal(m, after, 'reassigned', { assignmentId: Number(assignment.id), analystId: assignment.analystId, by: actor });
      return { after, drained: await this.assignment.drain(m) };
    });
    this.assignment.notifyDigests(drained);
    return after;
  }

  async comment(taskId: string, author: string, text: string, options: ActionOptions = {}): Promise<TaskComment> {
    const comment = await this.dataSource.transaction(async (m) =>
      this.commentLocked(m, await this.lock(taskId, m, options.guard), author, text, options.origin),
    );
    this.notifications.told();
    return comment;
  }

  /**
   * A change someone tried from outside (a Jira account) that was refused: it changes nothing but
   * a comment saying who tried what and why it was refused, audited as a refusal with it.
   */
  async refused(taskId: string, by: string, attempted: string, reason: string, origin: ChangeOrigin): Promise<TaskComment> {
    const comment = await this.dataSource.transaction(async (m) => {
      const task = await this.lock(taskId, m);
      await this.audit.record(
        { actor: by, action: 'task.action_refused', subjectType: 'task', subjectId: taskId, after: { attempted, reason, via: origin } },
        m,
      );
      return this.commentLocked(m, task, 'warden', `${by} tried to ${attempted} from ${origin}; refused: ${reason}`, origin);
    });
    this.notifications.told();
    return comment;
  }

  private async commentLocked(m: EntityManager, task: TaskView, author: string, text: string, origin: ChangeOrigin | undefined) {
    const [row] = await m.query<{ id: string; author: string; text: string; created_at: Date }[]>(
      `INSERT INTO task_comments (task_id, author, text) VALUES ($1, $2, $3) RETURNING id, author, text, created_at`,
      [task.id, author, text],
    );
    await this.audit.record(
      { actor: author, action: 'task.commented', subjectType: 'task', subjectId: task.id, after: { commentId: String(row.id) } },
      m,
    );
    await this.event(
      m,
      task,
      'task.commented',
      `comment:${row.id}`,
      `Comment by ${author}`,
      { author, text, origin: origin ?? null },
      origin,
    );
    return { id: String(row.id), taskId: task.id, author: row.author, text: row.text, createdAt: new Date(row.created_at).toISOString() };
  }

  /** Closes a resolved task with its summary; the workflow's last step. */
  async close(taskId: string): Promise<Record<string, unknown>> {
    return this.dataSource.transaction(async (m) => {
      const [task] = await m.query<TaskRow[]>(`SELECT * FROM tasks WHERE id = $1 FOR UPDATE`, [taskId]);
      if (task.closing_summary) return task.closing_summary;
      const [facts] = await m.query<{ assignments: number; breaches: string[]; notifications: string[]; alert_count: number | null }[]>(
        `SELECT (SELECT count(*)::int FROM task_assignments WHERE task_id = $1 AND analyst_id IS NOT NULL) AS assignments,
                (SELECT coalesce(array_agg(kind ORDER BY kind), '{}') FROM sla_breaches WHERE task_id = $1) AS breaches,
                (SELECT coalesce(array_agg(key ORDER BY id), '{}') FROM notifications WHERE task_id = $1) AS notifications,
                (SELECT alert_count FROM incidents WHERE id = $2) AS alert_count`,
        [taskId, task.incident_id],
      );
      const seconds = (from: Date | null, to: Date | null) =>
        from && to ? Math.round((new Date(to).getTime() - new Date(from).getTime()) / 1000) : null;
      const summary = {
        disposition: task.disposition,
        resolution: task.resolution,
        priority: task.priority,
        assignee: task.assignee_id,
        assignments: facts.assignments,
        alertCount: facts.alert_count,
        timeToAcknowledgeSeconds: seconds(task.opened_at, task.acknowledged_at),
        timeToResolveSeconds: seconds(task.opened_at, task.resolved_at),
        slaBreaches: facts.breaches,
        notifications: facts.notifications,
      };
      await m.query(`UPDATE tasks SET status = 'closed', closing_summary = $2, updated_at = now() WHERE id = $1`, [taskId, summary]);
      if (task.incident_id) await this.incidents.close(m, task.incident_id);
      await this.audit.record(
        {
          actor: 'workflow',
          action: 'task.closed',
          subjectType: 'task',
          subjectId: taskId,
          before: { status: task.status },
          after: summary,
          idempotencyKey: `task-${taskId}:closed`,
        },
        m,
      );
      return summary;
    });
  }

  /** The new assignee's own ack window (sla.yaml `reassignment`), stamped with the database's clock and audited. */
  private async freshAckDeadline(m: EntityManager, before: TaskView, actor: string): Promise<void> {
    const [{ now }] = await m.query<{ now: Date }[]>(`SELECT now()`);
    const deadlines = { ackBy: new Date(before.ackDeadline), resolveBy: new Date(before.resolveDeadline) };
    const ackBy = reassignedAckDeadline(before.priority, deadlines, now, this.sla);
    await m.query(`UPDATE tasks SET ack_deadline = $2, updated_at = now() WHERE id = $1`, [before.id, ackBy]);
    await this.audit.record(
      {
        actor,
        action: 'task.ack_deadline_reset',
        subjectType: 'task',
        subjectId: before.id,
        before: { ackDeadline: before.ackDeadline },
        after: { ackDeadline: ackBy.toISOString(), reason: 'reassigned' },
      },
      m,
    );
  }

  /** The task, locked for the rest of the transaction; then the action's guard decides on it. */
  private async lock(taskId: string, m: EntityManager, guard?: TaskGuard): Promise<TaskView> {
    const task = toTaskView(await readTask(m, taskId, true));
    if (guard) await guard(task, m);
    return task;
  }

  private async changed(
    m: EntityManager,
    before: TaskView,
    after: TaskView,
    actor: string,
    action: string,
    kind: TaskSignalKind,
    payload: Record<string, unknown>,
  ) {
    const pick = (t: TaskView) => ({ status: t.status, assignee: t.assignee?.id ?? null, disposition: t.disposition });
    await this.audit.record({ actor, action, subjectType: 'task', subjectId: after.id, before: pick(before), after: pick(after) }, m);
    await this.signal(m, after, kind, payload);
  }

  /** Digest tasks have no workflow waiting on them; incident tasks tell theirs. */
  private async signal(m: EntityManager, task: TaskView, kind: TaskSignalKind, payload: Record<string, unknown>) {
    if (!task.incidentId) return;
    await enqueue(m, [{ incidentId: task.incidentId, kind, payload: { ...payload, taskId: task.id } }]);
  }
}
