import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { advisoryLocksSql } from '../database/locks';
import { pgPool } from '../database/pg';
import { Batcher } from '../common/batcher';
import { RoundTrips } from '../database/round-trips';
import type { Priority, TaskKind } from '../domain';
import { NotificationsService } from '../notifications/notifications.service';
import { enqueueSql, type OutboxEntry } from '../outbox/outbox';
import { type AssignmentDecision, type AssignmentVia, chooseAssignee, overflows, type RoundRobinCursor } from './assign';
import {
  ASSIGNMENT_LOCK_SQL,
  OVERRIDES_SQL,
  type AssignableTaskRow,
  type AssignmentRow,
  type AssignmentSnapshot,
  type Placement,
  placementsSql,
  type SnapshotRequest,
  snapshotSql,
  type WaitingTaskRow,
} from './assignment-sql';
import { ASSIGNMENT_CONFIG, LEAD_ROLE, type AssignmentConfig } from './assignment.schema';
import { planQueue, type QueuedTask } from './queue';
import { type AnalystOverride, reachableIn, withOverrides } from './roster';
import type { Columns } from '../database/rows';

/** The actor of assignments the capacity queue makes. */
export const QUEUE_ACTOR = 'queue';
/** Most new tasks one assignment transaction takes. */
const NEW_TASK_BATCH = 100;

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
 * Assigns tasks with the pure `chooseAssignee` over live workload and the roster of
 * assignment.yaml with the analysts' run-time settings on top. Every assignment, in
 * every worker and api replica, runs under one advisory lock, so two tasks never both
 * take an analyst's last free slot and round robin advances once per task.
 */
@Injectable()
export class AssignmentService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AssignmentService.name);
  private readonly pool: Pool;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ASSIGNMENT_CONFIG) private readonly config: AssignmentConfig,
    private readonly notifications: NotificationsService,
  ) {
    this.pool = pgPool(dataSource);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.syncRoster();
    // The roster may have changed (capacity raised, an analyst back): give waiting tasks what is free.
    await this.drainNow();
  }

  /** Mirrors assignment.yaml into roles, teams and analysts; analysts gone from the file stay, out of the roster. */
  async syncRoster(): Promise<void> {
    const { roles, teams, analysts } = this.config;
    await this.dataSource.transaction(async (m) => {
      await m.query(advisoryLocksSql(['warden:roster']));
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

  /** Analysts of `role` who can be reached now, run-time settings included; everyone in the role when nobody can. */
  async reachable(role: string, now = new Date()): Promise<string[]> {
    return reachableIn(await this.roster(), role, now);
  }

  /** assignment.yaml with the analysts' run-time settings on top, read now (assignment reads them in its snapshot instead). */
  async roster(): Promise<AssignmentConfig> {
    return withOverrides(this.config, await this.dataSource.query<AnalystOverride[]>(OVERRIDES_SQL));
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
    const leads = assignee === null || overflow ? await this.reachable(LEAD_ROLE) : [];
    await this.notifications.record({
      key: `task-${taskId}:assignment:${assignmentId}`,
      kind: row.kind === 'digest' ? 'digest' : assignee !== null ? 'assigned' : 'unassigned',
      recipients: assignee === null ? leads : overflow ? [...new Set([assignee, ...leads])] : [assignee],
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

  /** Whether a task of `priority` goes above capacity rather than wait (`overflow` in assignment.yaml). */
  overflows(priority: Priority): boolean {
    return overflows(this.config, priority);
  }

  /**
   * The one assignment lock, for every replica. A caller that also locks task rows takes it
   * first, so every path holds these locks in the same order and none deadlocks.
   */
  async lock(m: EntityManager): Promise<void> {
    await m.query(ASSIGNMENT_LOCK_SQL);
  }

  /**
   * Assigns within `manager`'s transaction when given, so a caller's state change and the assignment commit together.
   * A new task takes its place in the capacity queue: waiting tasks ahead of it are placed first, in the same transaction.
   * New tasks assigned on their own (the workflows' step) are batched: concurrent ones share a transaction, so a storm
   * pays for the assignment lock once per batch rather than once per task.
   */
  async assign(request: AssignRequest, manager?: EntityManager): Promise<AssignmentRecord> {
    if (request.to !== undefined || request.excludeCurrent) return RoundTrips.run(this.pool, manager, (tx) => this.reassignIn(tx, request));
    if (!manager) return this.newTasks.submit(request);
    // Digest tasks drained here are told by the sweep's `redriveDigestNotices`: the caller commits later.
    const { results } = await RoundTrips.run(this.pool, manager, (tx) => this.assignNew(tx, [request]));
    if (results[0] instanceof Error) throw results[0];
    return results[0];
  }

  /** One transaction per batch of new tasks; the digest tasks it drained from the queue are told after commit. */
  private readonly newTasks = new Batcher<AssignRequest, AssignmentRecord>(
    async (requests) => {
      const { results, drained } = await RoundTrips.run(this.pool, undefined, (tx) => this.assignNew(tx, requests));
      this.notifyDigests(drained);
      return results;
    },
    NEW_TASK_BATCH,
    (a, b) => a.taskId === b.taskId || a.idempotencyKey === b.idempotencyKey,
  );

  /** A person's choice, or a reassignment decided away from the current assignee. */
  private async reassignIn(tx: RoundTrips, request: AssignRequest): Promise<AssignmentRecord> {
    const snapshot = await this.snapshot(tx, { taskIds: [request.taskId], idempotencyKeys: [request.idempotencyKey], queue: 'ahead' });
    const requestHash = fingerprint(request);
    const earlier = snapshot.earlier[0];
    if (earlier) {
      // Rows stored before requests were fingerprinted carry none and are answered as before.
      if (earlier.request_hash !== null && earlier.request_hash !== requestHash)
        throw new AssignmentRejected('header:idempotency-key', 'this Idempotency-Key was already used with a different request body');
      return { ...record(earlier), created: false };
    }
    const task = snapshot.tasks[0];
    if (!task) throw new AssignmentRejected('taskId', `task ${request.taskId} does not exist`);
    let decision: Decision;
    if (request.to !== undefined) {
      const chosen = this.analyst(request.to);
      if (!chosen) throw new AssignmentRejected('/to', `no analyst "${request.to}" in assignment.yaml`);
      decision = { analystId: chosen.id, role: chosen.role, via: 'manual', reason: request.reason ?? `assigned by ${request.actor}` };
    } else {
      decision = chooseAssignee({
        config: withOverrides(this.config, snapshot.overrides),
        role: task.assign_role,
        alertTypes: task.types,
        teams: task.teams,
        priority: task.priority,
        openTasks: snapshot.open_tasks,
        cursor: snapshot.cursor,
        now: new Date(),
        exclude: task.assignee_id ? [task.assignee_id] : [],
      });
    }
    const { rows } = await this.store(tx, [{ ...placement(task, decision, request), requestHash }], cursorMoves(snapshot.cursor, decision));
    return { ...record(rows.get(request.idempotencyKey)!), created: true };
  }

  /**
   * New tasks take their places in the capacity queue, most urgent and oldest first, each
   * decided over the workload the ones before it left. Only when a task could be placed and
   * tasks wait ahead of it is the head of the queue read, so waiting tasks get free capacity
   * first; a roster that is full costs no more than one that is not.
   */
  private async assignNew(
    tx: RoundTrips,
    requests: readonly AssignRequest[],
  ): Promise<{ results: (AssignmentRecord | Error)[]; drained: QueuedAssignment[] }> {
    const taskIds = requests.map((r) => r.taskId);
    const snapshot = await this.snapshot(tx, { taskIds, idempotencyKeys: requests.map((r) => r.idempotencyKey), queue: 'ahead' });
    const earlier = new Map(snapshot.earlier.map((a) => [a.idempotency_key, a]));
    const tasks = new Map(snapshot.tasks.map((t) => [t.id, t]));
    const fresh = requests.filter((r) => !earlier.has(r.idempotencyKey) && tasks.has(r.taskId));
    const requestOf = new Map(fresh.map((r) => [r.taskId, r]));
    const now = new Date();

    let { open_tasks: openTasks, cursor, overrides } = snapshot;
    let waiting: WaitingTaskRow[] = [];
    let plan = planQueue({
      config: withOverrides(this.config, overrides),
      tasks: fresh.map((r) => queued(tasks.get(r.taskId)!)),
      openTasks,
      cursor,
      now,
    });
    if (snapshot.waiting_ahead && plan.placements.some((p) => p.decision.analystId !== null)) {
      ({ waiting, open_tasks: openTasks, cursor, overrides } = await this.snapshot(tx, { taskIds, idempotencyKeys: [], queue: 'head' }));
      const candidates = [...waiting, ...fresh.map((r) => tasks.get(r.taskId)!)].map(queued);
      plan = planQueue({ config: withOverrides(this.config, overrides), tasks: candidates, openTasks, cursor, now });
    }
    const placements = plan.placements.flatMap(({ task, decision }) => {
      const request = requestOf.get(task.id);
      if (request) return [placement(task.row, decision, request)];
      return decision.analystId !== null ? [this.fromQueue(task.row as WaitingTaskRow, decision)] : [];
    });
    const { rows, drained } = await this.store(tx, placements, cursorMoves(cursor, plan));
    if (waiting.length > 0 && drained.length > 0)
      this.logger.log(`capacity queue: ${drained.length} of ${waiting.length} waiting tasks assigned`);

    const results = requests.map((r) => {
      const before = earlier.get(r.idempotencyKey);
      if (before) return { ...record(before), created: false };
      if (!tasks.has(r.taskId)) return new AssignmentRejected('taskId', `task ${r.taskId} does not exist`);
      return { ...record(rows.get(r.idempotencyKey)!), created: true };
    });
    return { results, drained };
  }

  /**
   * Gives waiting tasks the capacity that is free now, most urgent and oldest first, inside
   * `m`'s transaction and under the assignment lock. Each placement tells its incident's
   * workflow through a `reassigned` outbox row, which sends the notice; digest tasks have
   * no workflow, so the caller passes the result to `notifyDigests` after commit.
   */
  async drain(m: EntityManager): Promise<QueuedAssignment[]> {
    return RoundTrips.run(this.pool, m, (tx) => this.drainIn(tx));
  }

  /** `drain` in a transaction of its own, then the digest notices: for the roster sync and the periodic sweep. */
  async drainNow(): Promise<QueuedAssignment[]> {
    const drained = await RoundTrips.run(this.pool, undefined, (tx) => this.drainIn(tx));
    await this.sendDigestNotices(drained);
    return drained;
  }

  private async drainIn(tx: RoundTrips): Promise<QueuedAssignment[]> {
    const { waiting, open_tasks, cursor, overrides } = await this.snapshot(tx, { taskIds: [], idempotencyKeys: [], queue: 'head' });
    if (waiting.length === 0) return [];
    const plan = planQueue({
      config: withOverrides(this.config, overrides),
      tasks: waiting.map(queued),
      openTasks: open_tasks,
      cursor,
      now: new Date(),
    });
    const placements = plan.placements.flatMap(({ task, decision }) =>
      decision.analystId !== null ? [this.fromQueue(task.row, decision)] : [],
    );
    const { drained } = await this.store(tx, placements, cursorMoves(cursor, plan));
    if (drained.length > 0) this.logger.log(`capacity queue: ${drained.length} of ${waiting.length} waiting tasks assigned`);
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

  /** The assignment lock and, in the same round trip, what the decision needs. */
  private async snapshot(tx: RoundTrips, request: SnapshotRequest): Promise<AssignmentSnapshot> {
    const [row] = await tx.query<AssignmentSnapshot>([ASSIGNMENT_LOCK_SQL, snapshotSql(request)]);
    return row;
  }

  /** A waiting task's placement, keyed by the assignment that left it waiting: a task leaves the queue once per wait. */
  private fromQueue(task: WaitingTaskRow, decision: Decision): Placement {
    return {
      task,
      ...placed(decision),
      reason: decision.reason,
      actor: QUEUE_ACTOR,
      idempotencyKey: `queue:${task.id}:${task.last_assignment_id}`,
      requestHash: null,
      fromQueue: true,
    };
  }

  /**
   * Stores the placements in one round trip; then, for tasks taken from the queue, the
   * outbox rows that tell their workflows (they name the new assignment ids). The last
   * round trip commits when this service owns the transaction. Answers the stored
   * assignments by idempotency key, and the queued tasks placed.
   */
  private async store(
    tx: RoundTrips,
    placements: readonly Placement[],
    moves: Readonly<Record<string, string>>,
  ): Promise<{ rows: Map<string, AssignmentRow>; drained: QueuedAssignment[] }> {
    const signals = placements.some((p) => p.fromQueue && p.task.incident_id);
    // The last statement returns the stored assignments (with no placements, the cursor's upsert returns none).
    const stored = await tx.query<AssignmentRow>(placementsSql(placements, moves), { commit: !signals });
    const rows = new Map(stored.map((r) => [r.idempotency_key, r]));
    const drained: QueuedAssignment[] = [];
    const entries: OutboxEntry[] = [];
    for (const p of placements.filter((x) => x.fromQueue)) {
      const row = rows.get(p.idempotencyKey);
      if (!row) continue; // acknowledged or closed since it was read
      drained.push({ taskId: p.task.id, assignmentId: row.id, analystId: row.analyst_id!, kind: p.task.kind });
      if (p.task.incident_id) {
        entries.push({
          incidentId: p.task.incident_id,
          kind: 'reassigned',
          payload: { assignmentId: Number(row.id), analystId: row.analyst_id, by: QUEUE_ACTOR, taskId: p.task.id },
        });
      }
    }
    if (signals) await tx.query<never>(entries.length > 0 ? [enqueueSql(entries)] : [], { commit: true });
    return { rows, drained };
  }
}

type Decision = Pick<AssignmentDecision, 'analystId' | 'reason'> & { role: string | null; via?: AssignmentVia; cursor?: RoundRobinCursor };

/** The stored shape of a decision: an unassigned one has no role or via. */
const placed = (d: Decision) => ({ analystId: d.analystId, role: d.analystId ? d.role : null, via: d.analystId ? (d.via ?? null) : null });

/** A requested task's placement; the request's reason leads a decision the rules made. */
const placement = (task: AssignableTaskRow, decision: Decision, request: AssignRequest): Placement => ({
  task,
  ...placed(decision),
  reason: request.reason && decision.via !== 'manual' ? `${request.reason}; ${decision.reason}` : decision.reason,
  actor: request.actor,
  idempotencyKey: request.idempotencyKey,
  requestHash: null,
  fromQueue: false,
});

/** What identifies a reassignment request: the body the caller sent (whom to, and why). */
const fingerprint = (r: AssignRequest): string =>
  createHash('sha256')
    .update(JSON.stringify([r.to ?? null, r.reason ?? null, r.excludeCurrent ?? false]))
    .digest('hex');

/** The round-robin cursor entries a decision or plan moved; a person's choice moves none. */
function cursorMoves(before: RoundRobinCursor, after: Decision | { cursor: RoundRobinCursor }): Record<string, string> {
  const moved = 'cursor' in after && after.cursor ? after.cursor : {};
  return Object.fromEntries(Object.entries(moved).filter(([role, analyst]) => before[role] !== analyst));
}

/** An assignment with the task facts its notice names. */
type AssignmentNoticeRow = Columns<
  'tasks',
  'title' | 'priority' | 'incident_id' | 'kind' | 'ack_deadline',
  { priority: Priority; kind: TaskKind }
> &
  Columns<'task_assignments', 'analyst_id' | 'reason' | 'via'>;

/** The queue's view of a task row, keeping the row. */
const queued = <R extends AssignableTaskRow>(row: R): QueuedTask & { row: R } => ({
  id: row.id,
  priority: row.priority,
  openedAt: new Date(row.opened_at),
  role: row.assign_role,
  alertTypes: row.types,
  teams: row.teams,
  row,
});

function record(row: AssignmentRow): Omit<AssignmentRecord, 'created' | 'drained'> {
  return { id: String(row.id), taskId: row.task_id, analystId: row.analyst_id, role: row.role, via: row.via, reason: row.reason };
}
