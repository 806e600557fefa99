import type { EntityManager } from 'typeorm';
import type { Row, TableRow } from '../database/rows';
import { notFound, type Disposition, type Priority, type TaskKind, type TaskStatus } from '../domain';
import type { ChecklistStep } from './checklists';

/** A `tasks` row as PostgreSQL returns it. */
export type TaskRow = Row<
  'tasks',
  {
    kind: TaskKind;
    priority: Priority;
    status: TaskStatus;
    checklist: ChecklistStep[];
    disposition: Disposition | null;
    closing_summary: Record<string, unknown> | null;
  }
>;

/** What `taskViewSelect` adds: the assignee's name and role from the roster. */
export type TaskViewRow = TaskRow & {
  assignee_name: TableRow<'analysts'>['name'] | null;
  assignee_role: TableRow<'analysts'>['role'] | null;
};

/** A task as the API and the workflow see it. */
export interface TaskView {
  id: string;
  kind: TaskKind;
  incidentId: string | null;
  title: string;
  status: TaskStatus;
  priority: Priority;
  assignRole: string;
  assignee: { id: string; name: string; role: string | null } | null;
  openedAt: string;
  ackDeadline: string;
  resolveDeadline: string;
  assignedAt: string | null;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
  disposition: Disposition | null;
  resolution: string | null;
  checklist: ChecklistStep[];
}

/** Selects what `toTaskView` reads, plus `extra` columns; `t` is tasks, `a` the assignee. */
export const taskViewSelect = (extra = '') =>
  `SELECT t.*${extra}, a.name AS assignee_name, a.role AS assignee_role FROM tasks t LEFT JOIN analysts a ON a.id = t.assignee_id`;

/** One task's row for `toTaskView`, locked for the transaction when asked; a missing task is a 404. */
export async function readTask(db: Pick<EntityManager, 'query'>, taskId: string, lock = false): Promise<TaskViewRow> {
  const [row] = await db.query<TaskViewRow[]>(`${taskViewSelect()} WHERE t.id = $1${lock ? ' FOR UPDATE OF t' : ''}`, [taskId]);
  if (!row) throw notFound(`No task ${taskId}.`, 'path:id', 'no such task');
  return row;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function toTaskView(row: TaskViewRow): TaskView {
  return {
    id: row.id,
    kind: row.kind,
    incidentId: row.incident_id,
    title: row.title,
    status: row.status,
    priority: row.priority,
    assignRole: row.assign_role,
    assignee: row.assignee_id ? { id: row.assignee_id, name: row.assignee_name ?? row.assignee_id, role: row.assignee_role } : null,
    openedAt: iso(row.opened_at)!,
    ackDeadline: iso(row.ack_deadline)!,
    resolveDeadline: iso(row.resolve_deadline)!,
    assignedAt: iso(row.assigned_at),
    acknowledgedAt: iso(row.acknowledged_at),
    resolvedAt: iso(row.resolved_at),
    disposition: row.disposition,
    resolution: row.resolution,
    checklist: row.checklist,
  };
}
