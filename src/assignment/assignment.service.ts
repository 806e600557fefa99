import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { advisoryLockKey } from '../database/pg';
import { OPEN_TASK_STATUSES, type Priority, type TaskKind, type TaskStatus } from '../domain';
import { NotificationsService } from '../notifications/notifications.service';
import { AssignmentVia, chooseAssignee, isOutOfOffice } from './assign';
import { ASSIGNMENT_CONFIG, LEAD_ROLE, type AssignmentConfig } from './assignment.schema';

const ASSIGNMENT_LOCK = advisoryLockKey('warden:assignment');

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

  /** Tells the assignee (or, when nobody was free, the leads) about an assignment. */
  async notify(taskId: string, assignmentId: string): Promise<void> {
    const [row] = await this.dataSource.query<AssignmentNoticeRow[]>(
      `SELECT t.title, t.priority, t.incident_id, t.kind, t.ack_deadline, a.analyst_id, a.reason, a.via
         FROM task_assignments a JOIN tasks t ON t.id = a.task_id WHERE a.id = $1 AND a.task_id = $2`,
      [assignmentId, taskId],
    );
    if (!row) return;
    const assignee = row.analyst_id;
    await this.notifications.send({
      key: `task-${taskId}:assignment:${assignmentId}`,
      kind: row.kind === 'digest' ? 'digest' : assignee !== null ? 'assigned' : 'unassigned',
      recipients: assignee !== null ? [assignee] : this.reachable(LEAD_ROLE),
      taskId,
      incidentId: row.incident_id,
      title:
        assignee !== null
          ? `${row.priority} task assigned to you: ${row.title}`
          : `${row.priority} task has nobody free to take it: ${row.title}`,
      text: row.reason,
      data: { assignmentId, via: row.via, ackDeadline: row.ack_deadline },
    });
  }

  /** Assigns within `manager`'s transaction when given, so a caller's state change and the assignment commit together. */
  async assign(request: AssignRequest, manager?: EntityManager): Promise<AssignmentRecord> {
    if (!manager) return this.dataSource.transaction((m) => this.assign(request, m));
    const m = manager;
    await m.query(`SELECT pg_advisory_xact_lock(${ASSIGNMENT_LOCK})`);
    const [earlier] = await m.query<AssignmentRow[]>(`SELECT * FROM task_assignments WHERE idempotency_key = $1`, [request.idempotencyKey]);
    if (earlier) return { ...record(earlier), created: false };

    const [task] = await m.query<{ id: string; status: TaskStatus; assign_role: string; assignee_id: string | null; types: string[] }[]>(
      `SELECT t.id, t.status, t.assign_role, t.assignee_id, coalesce(i.types, '{}') AS types
         FROM tasks t LEFT JOIN incidents i ON i.id = t.incident_id WHERE t.id = $1 FOR UPDATE OF t`,
      [request.taskId],
    );
    if (!task) throw new AssignmentRejected('taskId', `task ${request.taskId} does not exist`);

    let decision: { analystId: string | null; role: string | null; via: AssignmentVia | null; reason: string };
    if (request.to !== undefined) {
      const chosen = this.analyst(request.to);
      if (!chosen) throw new AssignmentRejected('/to', `no analyst "${request.to}" in assignment.yaml`);
      decision = { analystId: chosen.id, role: chosen.role, via: 'manual', reason: request.reason ?? `assigned by ${request.actor}` };
    } else {
      const workload = await m.query<{ assignee_id: string; open: number }[]>(
        `SELECT assignee_id, count(*)::int AS open FROM tasks WHERE assignee_id IS NOT NULL AND status = ANY($1::text[]) AND id <> $2 GROUP BY assignee_id`,
        [OPEN_TASK_STATUSES, task.id],
      );
      const cursorRows = await m.query<{ role: string; analyst_id: string }[]>(`SELECT role, analyst_id FROM assignment_cursors`);
      const choice = chooseAssignee({
        config: this.config,
        role: task.assign_role,
        alertTypes: task.types,
        openTasks: Object.fromEntries(workload.map((w) => [w.assignee_id, w.open])),
        cursor: Object.fromEntries(cursorRows.map((c) => [c.role, c.analyst_id])),
        now: new Date(),
        exclude: request.excludeCurrent && task.assignee_id ? [task.assignee_id] : [],
      });
      decision = { ...choice, via: choice.analystId ? choice.via : null };
      if (request.reason) decision.reason = `${request.reason}; ${decision.reason}`;
      if (choice.analystId) {
        await m.query(
          `INSERT INTO assignment_cursors (role, analyst_id) VALUES ($1, $2) ON CONFLICT (role) DO UPDATE SET analyst_id = excluded.analyst_id`,
          [choice.role, choice.analystId],
        );
      }
    }

    const [row] = await m.query<AssignmentRow[]>(
      `INSERT INTO task_assignments (task_id, analyst_id, role, via, reason, actor, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [task.id, decision.analystId, decision.role, decision.via, decision.reason, request.actor, request.idempotencyKey],
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
        actor: request.actor,
        action: decision.analystId ? 'task.assigned' : 'task.unassigned',
        subjectType: 'task',
        subjectId: task.id,
        before: { assignee: task.assignee_id, status: task.status },
        after: decision.analystId
          ? { assignee: decision.analystId, status: 'assigned', role: decision.role, via: decision.via, reason: decision.reason }
          : { reason: decision.reason },
        idempotencyKey: `assignment:${request.idempotencyKey}`,
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

/** A `task_assignments` row as PostgreSQL returns it. */
interface AssignmentRow {
  id: string;
  task_id: string;
  analyst_id: string | null;
  role: string | null;
  via: AssignmentVia | null;
  reason: string;
}

function record(row: AssignmentRow): Omit<AssignmentRecord, 'created'> {
  return { id: String(row.id), taskId: row.task_id, analystId: row.analyst_id, role: row.role, via: row.via, reason: row.reason };
}
