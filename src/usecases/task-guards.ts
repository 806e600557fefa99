import type { EntityManager } from 'typeorm';
import { mayActOnTask, refuseUnless } from '../auth/access';
import { actorOf, type Principal } from '../auth/principal';
import { conflict, forbidden } from '../domain';
import type { TaskGuard } from '../tasks/tasks.service';
import type { TaskView } from '../tasks/task-view';
import type { TableRow } from '../database/rows';

type CallerRow = { role: TableRow<'analysts'>['role'] | null; replay: boolean };

/** The caller's roster role, and whether this very request (its assignment idempotency key) was made before by them. */
async function caller(m: EntityManager, principal: Principal, taskId: string, replayKey: string | null): Promise<CallerRow> {
  const [row] = await m.query<CallerRow[]>(
    `SELECT (SELECT a.role FROM analysts a WHERE a.id = $1 AND a.in_roster) AS role,
            EXISTS (SELECT 1 FROM task_assignments x WHERE x.task_id = $2 AND x.idempotency_key = $3 AND x.actor = $4) AS replay`,
    [principal.analystId, taskId, replayKey, actorOf(principal)],
  );
  return row;
}

/**
 * Acting on a task (acknowledge, resolve, reassign, comment), decided on the task as locked:
 * a reassignment that committed first is seen, so its former assignee is refused.
 * `replayKey`: the assignment idempotency key of a reassignment, so the caller's own retry is answered.
 */
export function mayAct(principal: Principal, replayKey?: string): TaskGuard {
  return async (task: TaskView, m: EntityManager) => {
    const { role, replay } = await caller(m, principal, task.id, replayKey ?? null);
    refuseUnless(
      mayActOnTask(
        { scopes: principal.scopes, analystId: principal.analystId, role },
        { assigneeId: task.assignee?.id ?? null, assignRole: task.assignRole },
        replay,
      ),
      `${actorOf(principal)} may not act on task ${task.id}`,
    );
  };
}

/**
 * Taking a task for oneself: only while nobody has it. Of two people pressing Take at once the
 * second finds it taken (409, naming who has it) rather than moving it from the first.
 */
export function mayTake(principal: Principal): TaskGuard {
  const act = mayAct(principal);
  return async (task: TaskView, m: EntityManager) => {
    const me = principal.analystId;
    if (me === null) throw forbidden(`${actorOf(principal)} names no analyst, so it takes no task.`, 'the key names no analyst');
    if (task.assignee?.id === me) throw conflict(`You already have task ${task.id}.`, '/assignee');
    if (task.assignee) throw conflict(`Task ${task.id} is already taken by ${task.assignee.name}.`, '/assignee');
    await act(task, m);
  };
}
