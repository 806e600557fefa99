import { AUDIT_COLUMNS, auditValuesSql } from '../audit/audit.service';
import { OPEN_TASK_STATUSES, type Priority, type TaskKind, type TaskStatus } from '../domain';
import { advisoryLocksSql } from '../database/locks';
import { lit, textArray } from '../database/sql-literal';
import type { AssignmentVia, RoundRobinCursor } from './assign';
import type { AnalystOverride } from './roster';
import type { JsonColumns, TableRow } from '../database/rows';

/**
 * SQL for assignment transactions. Every assignment holds the one assignment lock, so the
 * time it is held bounds how many tasks per second the system assigns. The holder is often
 * a busy worker whose event loop answers late, so the lock spans as few round trips as
 * possible: the lock and one snapshot read, then every write (and COMMIT when this service
 * owns the transaction). Values are inlined as escaped literals, as in ingest.
 */

export const ASSIGNMENT_LOCK_SQL = advisoryLocksSql(['warden:assignment']);

/** Most waiting tasks one read takes from the head of the capacity queue. */
export const QUEUE_BATCH = 1000;

/** A task as assignment reads it. */
export type AssignableTaskRow = JsonColumns<
  'tasks',
  'id' | 'kind' | 'incident_id' | 'status' | 'priority' | 'opened_at' | 'assign_role' | 'assignee_id',
  { kind: TaskKind; status: TaskStatus; priority: Priority }
> & {
  types: TableRow<'incidents'>['types'];
  /** The teams owning the incident's assets (config/assets.yaml, through its alerts' enrichment). */
  teams: string[];
};

/** A task in the capacity queue, with the assignment that left it waiting. */
export type WaitingTaskRow = AssignableTaskRow & { last_assignment_id: string };

/**
 * A `task_assignments` row (request_hash: what identifies the request that made it, a reassignment's body; null for
 * the workflow's and the queue's).
 */
export type AssignmentRow = JsonColumns<
  'task_assignments',
  'task_id' | 'analyst_id' | 'role' | 'via' | 'reason' | 'idempotency_key' | 'request_hash',
  { via: AssignmentVia | null }
> & { /** id::text */ id: string };

export interface AssignmentSnapshot {
  /** Assignments earlier attempts with the same keys made. */
  earlier: AssignmentRow[];
  /** The tasks to assign, row-locked. */
  tasks: AssignableTaskRow[];
  /** Open tasks per analyst, leaving out the tasks being assigned. */
  open_tasks: Record<string, number>;
  cursor: RoundRobinCursor;
  /** The analysts' run-time settings, for `withOverrides`: only those that set one. */
  overrides: AnalystOverride[];
  /** `queue: 'head'`: the head of the capacity queue. */
  waiting: WaitingTaskRow[];
  /** `queue: 'ahead'`: whether any waiting task comes before one of the tasks in queue order. */
  waiting_ahead: boolean;
}

export interface SnapshotRequest {
  /** The tasks to assign; none when only draining the queue. */
  taskIds: readonly string[];
  idempotencyKeys: readonly string[];
  /** `head`: read the head of the queue (leaving out `taskIds`); `ahead`: only whether anything waits ahead of them. */
  queue: 'head' | 'ahead';
}

/**
 * The teams owning the assets of an incident's alerts (their stored enrichment), sorted. Read from
 * its first 100 enriched alerts: a storm's thousands all name the same few assets.
 */
export const assetTeamsSql = (incidentId: string): string =>
  `ARRAY(SELECT DISTINCT x->>'team' FROM (SELECT enrichment FROM alerts WHERE incident_id = ${incidentId} AND enrichment IS NOT NULL
     ORDER BY received_at LIMIT 100) al CROSS JOIN LATERAL jsonb_array_elements(al.enrichment->'assets') x WHERE x ? 'team' ORDER BY 1)`;

const TASK_COLUMNS = `t.id, t.kind, t.incident_id, t.status, t.priority, t.opened_at, t.assign_role, t.assignee_id, coalesce(i.types, '{}') AS types,
  ${assetTeamsSql('t.incident_id')} AS teams`;
/** Still `new`, nobody assigned, after a first assignment (a task without one is about to get it from its workflow). */
export const WAITING = `t.status = 'new' AND t.assignee_id IS NULL AND EXISTS (SELECT 1 FROM task_assignments a WHERE a.task_id = t.id)`;

/** The analysts' run-time settings, as `AnalystOverride` rows: only analysts in the roster that set one. */
export const OVERRIDES_SQL = `SELECT id, available_override AS available, capacity_override AS capacity, out_of_office_until
  FROM analysts WHERE in_roster AND (available_override IS NOT NULL OR capacity_override IS NOT NULL OR out_of_office_until > now())`;

/**
 * Open tasks per analyst, as `analyst_id, open` rows: the folded load plus the deltas not yet
 * folded (see migrations/1795900000000-AnalystLoad.ts). For readers outside assignment.
 */
export const ANALYST_LOAD_SQL = `SELECT analyst_id, sum(n)::int AS open FROM (
     SELECT analyst_id, open AS n FROM analyst_load UNION ALL SELECT analyst_id, delta FROM analyst_load_deltas) l
   GROUP BY analyst_id`;

/**
 * One statement, after the lock, so READ COMMITTED gives it a snapshot with all the previous holder committed.
 * It also folds the load deltas into `analyst_load`; only assignment does, under its lock, so no fold waits on
 * another. The rest of the statement sees the rows as they were before the fold, so the open load is the old
 * fold plus the deltas taken, less what the tasks being assigned count now (read without the lock, from the
 * same snapshot as the load).
 */
export function snapshotSql(r: SnapshotRequest): string {
  const taskIds = r.taskIds.length ? `ARRAY[${r.taskIds.map((id) => lit(id, 'uuid')).join(', ')}]` : `'{}'::uuid[]`;
  return `WITH task AS (SELECT ${TASK_COLUMNS} FROM tasks t LEFT JOIN incidents i ON i.id = t.incident_id
                 WHERE t.id = ANY(${taskIds}) ORDER BY t.id FOR UPDATE OF t),
  taken AS (DELETE FROM analyst_load_deltas RETURNING analyst_id, delta),
  moved AS (SELECT analyst_id, sum(delta)::int AS delta FROM taken GROUP BY analyst_id),
  folded AS (INSERT INTO analyst_load (analyst_id, open) SELECT analyst_id, delta FROM moved ORDER BY analyst_id
               ON CONFLICT (analyst_id) DO UPDATE SET open = analyst_load.open + excluded.open)
SELECT
  (SELECT coalesce(json_agg(a), '[]') FROM (
     SELECT id::text, task_id, analyst_id, role, via, reason, idempotency_key, request_hash FROM task_assignments
      WHERE idempotency_key = ANY(${textArray(r.idempotencyKeys)})) a) AS earlier,
  (SELECT coalesce(json_agg(task), '[]') FROM task) AS tasks,
  (SELECT coalesce(json_object_agg(analyst_id, open), '{}') FROM (
     SELECT analyst_id, sum(n)::int AS open FROM (
       SELECT analyst_id, open AS n FROM analyst_load
       UNION ALL SELECT analyst_id, delta FROM moved
       UNION ALL SELECT assignee_id, -1 FROM tasks
        WHERE id = ANY(${taskIds}) AND assignee_id IS NOT NULL AND status = ANY(${textArray(OPEN_TASK_STATUSES)})) l
     GROUP BY analyst_id HAVING sum(n) <> 0) w) AS open_tasks,
  (SELECT coalesce(json_object_agg(role, analyst_id), '{}') FROM assignment_cursors) AS cursor,
  (SELECT coalesce(json_agg(o), '[]') FROM (${OVERRIDES_SQL}) o) AS overrides,
  ${
    r.queue === 'head'
      ? `(SELECT coalesce(json_agg(w), '[]') FROM (
     SELECT ${TASK_COLUMNS}, (SELECT max(a.id) FROM task_assignments a WHERE a.task_id = t.id)::text AS last_assignment_id
       FROM tasks t LEFT JOIN incidents i ON i.id = t.incident_id
      WHERE ${WAITING} AND t.id <> ALL(${taskIds})
      ORDER BY t.priority, t.opened_at, t.id LIMIT ${QUEUE_BATCH}) w) AS waiting, false AS waiting_ahead`
      : `'[]'::json AS waiting,
  EXISTS (SELECT 1 FROM tasks t, task x WHERE ${WAITING} AND (t.priority, t.opened_at, t.id) < (x.priority, x.opened_at, x.id)) AS waiting_ahead`
  }`;
}

/** One assignment to store. */
export interface Placement {
  task: AssignableTaskRow;
  analystId: string | null;
  role: string | null;
  via: AssignmentVia | null;
  reason: string;
  actor: string;
  idempotencyKey: string;
  /** See `AssignmentRow.request_hash`. */
  requestHash: string | null;
  /**
   * A task taken from the queue: assigned only if it still waits. Its row was read without
   * a lock, so an acknowledgement or a close that got there first wins, and nothing is stored.
   */
  fromQueue: boolean;
}

/**
 * The round-robin cursor's moves, then one statement for every placement: the task's new
 * assignee (a new assignee acknowledges afresh; the deadlines stay those of the task), the
 * assignment row and its audit entry. It returns the assignment rows stored.
 */
export function placementsSql(placements: readonly Placement[], cursorMoves: Readonly<Record<string, string>>): string[] {
  const statements: string[] = [];
  const moves = Object.entries(cursorMoves);
  if (moves.length > 0) {
    statements.push(
      `INSERT INTO assignment_cursors (role, analyst_id) VALUES ${moves.map(([role, analyst]) => `(${lit(role)}, ${lit(analyst)})`).join(', ')}
        ON CONFLICT (role) DO UPDATE SET analyst_id = excluded.analyst_id`,
    );
  }
  if (placements.length === 0) return statements;
  const values = placements.map((p, n) =>
    [
      n,
      lit(p.task.id, 'uuid'),
      lit(p.analystId, 'text'),
      lit(p.role, 'text'),
      lit(p.via, 'text'),
      lit(p.reason),
      lit(p.actor),
      lit(p.idempotencyKey),
      lit(p.requestHash, 'text'),
      p.fromQueue,
    ].join(', '),
  );
  const audits = placements.map(
    (p, n) =>
      `(${n}, ${auditValuesSql({
        actor: p.actor,
        action: p.analystId ? 'task.assigned' : 'task.unassigned',
        subjectType: 'task',
        subjectId: p.task.id,
        before: { assignee: p.task.assignee_id, status: p.task.status },
        after: p.analystId
          ? { assignee: p.analystId, status: 'assigned', role: p.role, via: p.via, reason: p.reason }
          : { reason: p.reason },
        idempotencyKey: `assignment:${p.idempotencyKey}`,
      })})`,
  );
  statements.push(`WITH p (n, task_id, analyst_id, role, via, reason, actor, idempotency_key, request_hash, from_queue) AS (VALUES (${values.join('), (')})),
  u AS (UPDATE tasks t SET assignee_id = p.analyst_id, status = 'assigned', assigned_at = now(), acknowledged_at = NULL, updated_at = now()
          FROM p WHERE t.id = p.task_id AND p.analyst_id IS NOT NULL AND t.status = ANY(${textArray(OPEN_TASK_STATUSES)})
           AND (NOT p.from_queue OR (t.status = 'new' AND t.assignee_id IS NULL))
        RETURNING p.n),
  kept AS (SELECT n FROM p WHERE NOT p.from_queue OR p.n IN (SELECT n FROM u)),
  a AS (INSERT INTO task_assignments (task_id, analyst_id, role, via, reason, actor, idempotency_key, request_hash)
          SELECT task_id, analyst_id, role, via, reason, actor, idempotency_key, request_hash FROM p WHERE p.n IN (SELECT n FROM kept) ORDER BY p.n
        RETURNING id::text, task_id, analyst_id, role, via, reason, idempotency_key, request_hash),
  audit AS (INSERT INTO audit_log (${AUDIT_COLUMNS})
          SELECT ${AUDIT_COLUMNS} FROM (VALUES ${audits.join(', ')}) e (n, ${AUDIT_COLUMNS}) WHERE e.n IN (SELECT n FROM kept)
        ON CONFLICT DO NOTHING)
SELECT * FROM a`);
  return statements;
}
