import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ProblemException } from '../common/problem';
import { type Access, mayActOnTask } from './access';
import { actorOf, type Principal } from './principal';

interface TaskAccessRow {
  assignee_id: string | null;
  assign_role: string;
  role: string | null;
  replay: boolean;
}

/** 403 problem+json naming the key, for a caller the access decisions refused. */
export function assertAllowed(access: Access, detail: string): void {
  if (!access.allowed)
    throw new ProblemException(403, `${detail}: ${access.reason}.`, [{ path: 'header:authorization', message: access.reason }]);
}

/** Reads what the access decisions need; the decisions themselves are in `access.ts`. */
@Injectable()
export class AccessService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * 403 unless the caller may act on the task, 404 when there is no such task. `replayKey`:
   * the assignment idempotency key this request would use, so a retry of the caller's own
   * reassignment is answered rather than refused.
   */
  async assertMayActOnTask(principal: Principal, taskId: string, replayKey?: string): Promise<void> {
    const [row] = await this.dataSource.query<TaskAccessRow[]>(
      `SELECT t.assignee_id, t.assign_role,
              (SELECT a.role FROM analysts a WHERE a.id = $2 AND a.in_roster) AS role,
              EXISTS (SELECT 1 FROM task_assignments x WHERE x.task_id = t.id AND x.idempotency_key = $3 AND x.actor = $4) AS replay
         FROM tasks t WHERE t.id = $1`,
      [taskId, principal.analystId, replayKey ?? null, actorOf(principal)],
    );
    if (!row) throw new ProblemException(404, `No task ${taskId}.`, [{ path: 'path:id', message: 'no such task' }]);
    const access = mayActOnTask(
      { scopes: principal.scopes, analystId: principal.analystId, role: row.role },
      { assigneeId: row.assignee_id, assignRole: row.assign_role },
      row.replay,
    );
    assertAllowed(access, `This API key may not act on task ${taskId}`);
  }
}
