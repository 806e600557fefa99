import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { advisoryLockKey } from '../database/pg';
import { OPEN_TASK_STATUSES, type Priority, type TaskKind, type TaskStatus } from '../domain';
import { NotificationsService } from '../notifications/notifications.service';
import { enqueue } from '../outbox/outbox';
import { type AssignmentDecision, type AssignmentVia, chooseAssignee, isOutOfOffice } from './assign';
import { ASSIGNMENT_CONFIG, LEAD_ROLE, type AssignmentConfig } from './assignment.schema';
import { planQueue, type QueuedTask } from './queue';

const ASSIGNMENT_LOCK = advisoryLockKey('warden:assignment');
/** The actor of assignments the capacity queue makes. */
export const QUEUE_ACTOR = 'queue';
/** Most waiting tasks one drain looks at, head of the queue first. */
const QUEUE_BATCH = 1000;

export interface AssignRequest {
  taskId: string;
  /** One assignment per key: a retried activity or request gets the first answer. */
  idempotencyKey: string;
  actor: string;
  /** A person's choice; otherwise the decision function chooses. */
  to?: string;
  /** Reassignment: never choose the current assignee again. */
  excludeCurrent?: boolean;
  reason?: string;
}

export interface AssignmentRecord {
  id: string;
  taskId: string;
  analystId: string | null;
  role: string | null;
  via: AssignmentVia | null;
  reason: string;
  /** false: the key had been used; this is the earlier assignment. */
  created: boolean;
  /** Waiting tasks the capacity queue placed ahead of this one, in the same transaction. */
  drained: QueuedAssignment[];
}

/** A waiting task the capacity queue assigned. */
export interface QueuedAssignment {
  taskId: string;
  assignmentId: string;
  analystId: string;
  kind: TaskKind;
}

export class AssignmentRejected extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Assigns tasks with the pure `chooseAssignee` over live workload. Every assignment, in
 * every worker and api replica, runs under one advisory lock, so two tasks never both
 * take an analyst's last free slot and round robin advances once per task.
 */
@Injectable()
export class AssignmentService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AssignmentService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ASSIGNMENT_CONFIG) private readonly config: AssignmentConfig,
    private readonly notifications: NotificationsService,
    private readonly audit: AuditService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.syncRoster();
    // The roster may have changed (capacity raised, an analyst back): give waiting tasks what is free.
    await this.drainNow();
  }

  /** Mirrors assignment.yaml into roles, teams and analysts; analysts gone from the file stay, out of the roster. */
  async syncRoster(): Promise<void> {
    const { roles, teams, analysts } = this.config;
    await this.dataSource.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(${advisoryLockKey('warden:roster')})`);
      await m.query(
        `INSERT INTO roles (name, rank) SELECT * FROM unnest($1::text[], $2::int[])
         ON CONFLICT (name) DO UPDATE SET rank = excluded.rank`,
        [roles, roles.map((_, i) => i)],
      );
      await m.query(`DELETE FROM teams WHERE NOT (name = ANY($1::text[]))`, [teams.map((t) => t.name)]);
      for (const t of teams) {
        await m.query(`INSERT INTO teams (name, members) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET members = excluded.members`, [
          t.name,
          t.members,
        ]);
      }
      for (const a of analysts) {
        await m.query(
          `INSERT INTO analysts (id, name, role, team, expertise, capacity, available, in_roster, synced_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, true, now())
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, team = excluded.team, expertise = excluded.expertise,
             capacity = excluded.capacity, available = excluded.available, in_roster = true, synced_at = now()`,
          [a.id, a.name, a.role, a.team ?? null, a.expertise, a.capacity, a.available],
        );
      }
      await m.query(`UPDATE analysts SET in_roster = false WHERE in_roster AND NOT (id = ANY($1::text[]))`, [analysts.map((a) => a.id)]);
    });
    this.logger.log(`roster: ${analysts.length} analysts in ${roles.length} roles`);
  }

  /** Analysts of `role` who can be reached now; everyone in the role when nobody can. */
  reachable(role: string, now = new Date()): string[] {
    const { analysts, working_hours } = this.config;
    const inRole = analysts.filter((a) => a.role === role);
    const present = inRole.filter((a) => a.available && !isOutOfOffice(a, now, working_hours.timezone));
    return (present.length > 0 ? present : inRole).map((a) => a.id);
  }

  analyst(id: string) {
    return this.config.analysts.find((a) => a.id === id);
  }

  /** Tells the assignee (or, when nobody was free, the leads) about an assignment; an overflow tells the leads too. */
  async notify(taskId: string, assignmentId: string): Promise<void> {
    const [row] = await this.dataSource.query<AssignmentNoticeRow[]>(
      `SELECT t.title, t.priority, t.incident_id, t.kind, t.ack_deadline, a.analyst_id, a.reason, a.via
         FROM task_assignments a JOIN tasks t ON t.id = a.task_id WHERE a.id = $1 AND a.task_id = $2`,
      [assignmentId, taskId],
    );
    if (!row) return;
    const assignee = row.analyst_id;
    const overflow = assignee !== null && row.via === 'overflow';
    await this.notifications.record({
      key: `task-${taskId}:assignment:${assignmentId}`,
      kind: row.kind === 'digest' ? 'digest' : assignee !== null ? 'assigned' : 'unassigned',
      recipients:
        assignee === null ? this.reachable(LEAD_ROLE) : overflow ? [...new Set([assignee, ...this.reachable(LEAD_ROLE)])] : [assignee],
      taskId,
      incidentId: row.incident_id,
      title:
        assignee === null
          ? `${row.priority} task has nobody free to take it: ${row.title}`
          : overflow
            ? `${row.priority} task assigned to ${assignee} above capacity: ${row.title}`
            : `${row.priority} task assigned to you: ${row.title}`,
      text: row.reason,
      data: { assignmentId, via: row.via, ackDeadline: row.ack_deadline },
    });
  }

  /**
   * The one assignment lock, for every replica. A caller that also locks task rows takes it
   * first, so every path holds these locks in the same order and none deadlocks.
   */
  async lock(m: EntityManager): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(${ASSIGNMENT_LOCK})`);
  }

  /**
   * Assigns within `manager`'s transaction when given, so a caller's state change and the assignment commit together.
   * A new task takes its place in the capacity queue: waiting tasks ahead of it are placed first, in the same transaction.
   */
  async assign(request: AssignRequest, manager?: EntityManager): Promise<AssignmentRecord> {
    if (!manager) {
      const result = await this.dataSource.transaction((m) => this.assign(request, m));
      this.notifyDigests(result.drained);
      return result;
    }
    const m = manager;
    await this.lock(m);
    const [earlier] = await m.query<AssignmentRow[]>(`SELECT * FROM task_assignments WHERE idempotency_key = $1`, [request.idempotencyKey]);
    if (earlier) return { ...record(earlier), created: false, drained: [] };

    const [task] = await m.query<AssignableTaskRow[]>(
      `SELECT t.id, t.kind, t.incident_id, t.status, t.priority, t.opened_at, t.assign_role, t.assignee_id, coalesce(i.types, '{}') AS types
         FROM tasks t LEFT JOIN incidents i ON i.id = t.incident_id WHERE t.id = $1 FOR UPDATE OF t`,
      [request.taskId],
    );
    if (!task) throw new AssignmentRejected('taskId', `task ${request.taskId} does not exist`);

    if (request.to !== undefined) {
      const chosen = this.analyst(request.to);
      if (!chosen) throw new AssignmentRejected('/to', `no analyst "${request.to}" in assignment.yaml`);
      const decision = {
        analystId: chosen.id,
        role: chosen.role,
        via: 'manual' as const,
        reason: request.reason ?? `assigned by ${request.actor}`,
      };
      return { ...(await this.record(m, task, decision, request.actor, request.idempotencyKey)), drained: [] };
    }

    const now = new Date();
    const { openTasks, cursor } = await this.workload(m, task.id);
    const withReason = <D extends { reason: string }>(d: D): D => (request.reason ? { ...d, reason: `${request.reason}; ${d.reason}` } : d);
    if (request.excludeCurrent) {
      // A reassignment is decided on its own, away from the current assignee.
      const decision = chooseAssignee({
        config: this.config,
        role: task.assign_role,
        alertTypes: task.types,
        priority: task.priority,
        openTasks,
        cursor,
        now,
        exclude: task.assignee_id ? [task.assignee_id] : [],
      });
      return { ...(await this.record(m, task, withReason(decision), request.actor, request.idempotencyKey)), drained: [] };
    }

    // A new task takes its place in the queue: waiting tasks ahead of it get free capacity first.
    const waiting = (await this.waiting(m)).filter((w) => w.id !== task.id);
    const plan = planQueue({ config: this.config, tasks: [...waiting, task].map(queued), openTasks, cursor, now });
    let own: Omit<AssignmentRecord, 'drained'> | undefined;
    const drained: QueuedAssignment[] = [];
    for (const { task: planned, decision } of plan.placements) {
      if (planned.row === task) own = await this.record(m, task, withReason(decision), request.actor, request.idempotencyKey);
      else if (decision.analystId !== null) drained.push(await this.placeWaiting(m, planned.row as WaitingTaskRow, decision));
    }
    return { ...own!, drained };
  }

  /**
   * Gives waiting tasks the capacity that is free now, most urgent and oldest first, inside
   * `m`'s transaction and under the assignment lock. Each placement tells its incident's
   * workflow through a `reassigned` outbox row, which sends the notice; digest tasks have
   * no workflow, so the caller passes the result to `notifyDigests` after commit.
   */
  async drain(m: EntityManager): Promise<QueuedAssignment[]> {
    await this.lock(m);
    const waiting = await this.waiting(m);
    if (waiting.length === 0) return [];
    const plan = planQueue({ ...(await this.workload(m)), config: this.config, tasks: waiting.map(queued), now: new Date() });
    const drained: QueuedAssignment[] = [];
    for (const { task, decision } of plan.placements) {
      if (decision.analystId !== null) drained.push(await this.placeWaiting(m, task.row, decision));
    }
    if (drained.length > 0) this.logger.log(`capacity queue: ${drained.length} of ${waiting.length} waiting tasks assigned`);
    return drained;
  }

  /** `drain` in a transaction of its own, then the digest notices: for the roster sync and the periodic sweep. */
  async drainNow(): Promise<QueuedAssignment[]> {
    const drained = await this.dataSource.transaction((m) => this.drain(m));
    await this.sendDigestNotices(drained);
    return drained;
  }

  /** Records drained digest tasks' notices without holding up the caller; one lost to a crash is left to the sweep's `redriveDigestNotices`. */
  notifyDigests(drained: readonly QueuedAssignment[]): void {
    if (drained.some((d) => d.kind === 'digest')) void this.sendDigestNotices(drained);
  }

  /**
   * Digest tasks the queue assigned whose notice was never recorded (the process stopped
   * after the commit): records them, for a day at most. Delivery itself retries in the
   * NotificationDispatcher.
   */
  async redriveDigestNotices(): Promise<number> {
    const rows = await this.dataSource.query<{ task_id: string; id: string }[]>(
      `SELECT a.task_id, a.id FROM task_assignments a JOIN tasks t ON t.id = a.task_id
        WHERE a.actor = $1 AND t.kind = 'digest' AND a.analyst_id IS NOT NULL AND a.assigned_at > now() - interval '1 day'
          AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.key = 'task-' || a.task_id || ':assignment:' || a.id)`,
      [QUEUE_ACTOR],
    );
    await this.sendDigestNotices(rows.map((r) => ({ taskId: r.task_id, assignmentId: String(r.id), analystId: '', kind: 'digest' })));
    return rows.length;
  }

  private async sendDigestNotices(drained: readonly QueuedAssignment[]): Promise<void> {
    for (const d of drained.filter((x) => x.kind === 'digest')) {
      try {
        await this.notify(d.taskId, d.assignmentId);
      } catch (err) {
        this.logger.warn(`digest notice for task ${d.taskId} not recorded, the sweep retries: ${(err as Error).message}`);
      }
    }
  }

  /** Open tasks per analyst (leaving out `except`) and the round-robin cursor, as the assignment lock holder sees them. */
  private async workload(m: EntityManager, except?: string) {
    const rows = await m.query<{ assignee_id: string; open: number }[]>(
      `SELECT assignee_id, count(*)::int AS open FROM tasks
        WHERE assignee_id IS NOT NULL AND status = ANY($1::text[]) AND id IS DISTINCT FROM $2::uuid GROUP BY assignee_id`,
      [OPEN_TASK_STATUSES, except ?? null],
    );
    const cursor = await m.query<{ role: string; analyst_id: string }[]>(`SELECT role, analyst_id FROM assignment_cursors`);
    return {
      openTasks: Object.fromEntries(rows.map((w) => [w.assignee_id, w.open])),
      cursor: Object.fromEntries(cursor.map((c) => [c.role, c.analyst_id])),
    };
  }

  /**
   * The capacity queue: open tasks still `new` with nobody assigned after their first
   * assignment (a task without one is about to get it from its workflow). Rows another
   * transaction holds (a reassignment, a resolve) are skipped; the next drain sees them.
   */
  private async waiting(m: EntityManager): Promise<WaitingTaskRow[]> {
    return m.query<WaitingTaskRow[]>(
      `SELECT t.id, t.kind, t.incident_id, t.status, t.priority, t.opened_at, t.assign_role, t.assignee_id, coalesce(i.types, '{}') AS types,
              (SELECT max(a.id) FROM task_assignments a WHERE a.task_id = t.id) AS last_assignment_id
         FROM tasks t LEFT JOIN incidents i ON i.id = t.incident_id
        WHERE t.status = 'new' AND t.assignee_id IS NULL AND EXISTS (SELECT 1 FROM task_assignments a WHERE a.task_id = t.id)
        ORDER BY t.priority, t.opened_at, t.id
        LIMIT ${QUEUE_BATCH}
          FOR UPDATE OF t SKIP LOCKED`,
    );
  }

  private async placeWaiting(m: EntityManager, task: WaitingTaskRow, decision: AssignmentDecision): Promise<QueuedAssignment> {
    // Keyed by the assignment that left it waiting: a task leaves the queue once per wait.
    const row = await this.record(m, task, decision, QUEUE_ACTOR, `queue:${task.id}:${task.last_assignment_id}`);
    const analystId = row.analystId!;
    if (task.incident_id) {
      await enqueue(m, [
        {
          incidentId: task.incident_id,
          kind: 'reassigned',
          payload: { assignmentId: Number(row.id), analystId, by: QUEUE_ACTOR, taskId: task.id },
        },
      ]);
    }
    return { taskId: task.id, assignmentId: row.id, analystId, kind: task.kind };
  }

  /** Stores a decision: the assignment row, the task's assignee, the round-robin cursor and the audit entry. */
  private async record(
    m: EntityManager,
    task: AssignableTaskRow,
    decision: { analystId: string | null; role: string | null; via?: AssignmentVia; reason: string },
    actor: string,
    idempotencyKey: string,
  ): Promise<Omit<AssignmentRecord, 'drained'>> {
    const via = decision.analystId ? (decision.via ?? null) : null;
    if (decision.analystId && via !== 'manual') {
      await m.query(
        `INSERT INTO assignment_cursors (role, analyst_id) VALUES ($1, $2) ON CONFLICT (role) DO UPDATE SET analyst_id = excluded.analyst_id`,
        [decision.role, decision.analystId],
      );
    }
    const [row] = await m.query<AssignmentRow[]>(
      `INSERT INTO task_assignments (task_id, analyst_id, role, via, reason, actor, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [task.id, decision.analystId, decision.role, via, decision.reason, actor, idempotencyKey],
    );
    if (decision.analystId) {
      // A new assignee acknowledges afresh; the deadlines stay those of the task.
      await m.query(
        `UPDATE tasks SET assignee_id = $2, status = 'assigned', assigned_at = now(), acknowledged_at = NULL, updated_at = now()
          WHERE id = $1 AND status = ANY($3::text[])`,
        [task.id, decision.analystId, OPEN_TASK_STATUSES],
      );
    }
    await this.audit.record(
      {
        actor,
        action: decision.analystId ? 'task.assigned' : 'task.unassigned',
        subjectType: 'task',
        subjectId: task.id,
        before: { assignee: task.assignee_id, status: task.status },
        after: decision.analystId
          ? { assignee: decision.analystId, status: 'assigned', role: decision.role, via, reason: decision.reason }
          : { reason: decision.reason },
        idempotencyKey: `assignment:${idempotencyKey}`,
      },
      m,
    );
    return { ...record(row), created: true };
  }
}

/** An assignment with the task facts its notice names. */
interface AssignmentNoticeRow {
  title: string;
  priority: Priority;
  incident_id: string | null;
  kind: TaskKind;
  ack_deadline: Date;
  analyst_id: string | null;
  reason: string;
  via: string | null;
}

/** A task as assignment reads it, locked. */
interface AssignableTaskRow {
  id: string;
  kind: TaskKind;
  incident_id: string | null;
  status: TaskStatus;
  priority: Priority;
  opened_at: Date;
  assign_role: string;
  assignee_id: string | null;
  types: string[];
}

/** A task in the capacity queue, with the assignment that left it waiting. */
interface WaitingTaskRow extends AssignableTaskRow {
  last_assignment_id: string;
}

/** The queue's view of a task row, keeping the row. */
const queued = <R extends AssignableTaskRow>(row: R): QueuedTask & { row: R } => ({
  id: row.id,
  priority: row.priority,
  openedAt: new Date(row.opened_at),
  role: row.assign_role,
  alertTypes: row.types,
  row,
});

/** A `task_assignments` row as PostgreSQL returns it. */
interface AssignmentRow {
  id: string;
  task_id: string;
  analyst_id: string | null;
  role: string | null;
  via: AssignmentVia | null;
  reason: string;
}

function record(row: AssignmentRow): Omit<AssignmentRecord, 'created' | 'drained'> {
  return { id: String(row.id), taskId: row.task_id, analystId: row.analyst_id, role: row.role, via: row.via, reason: row.reason };
}
