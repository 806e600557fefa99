import { Controller, Get, Param, Query, Req, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { ProblemException } from '../common/problem';
import { limitSchema, parseQuery, uuidParam } from '../common/validation';
import { OPEN_TASK_STATUSES, PRIORITIES, TASK_STATUSES, TaskStatus } from '../domain';
import { AuthenticatedRequest, AuthGuard, RequireScope } from '../auth/auth.guard';
import { TaskQueriesService } from './task-queries.service';

const listSchema = z
  .object({
    /** `me` (the key's analyst), an analyst id, or `none` for unassigned tasks. */
    assignee: z.string().min(1).optional(),
    /** `open` (new, assigned, acknowledged, in progress), `all`, or one status. */
    status: z.enum(['open', 'all', ...TASK_STATUSES]).default('open'),
    priority: z.enum(PRIORITIES).optional(),
    /** The role a task waits for (its rule's assign_role): with `assignee=none`, that role's capacity queue. */
    role: z.string().min(1).max(100, 'must be at most 100 characters').optional(),
    limit: limitSchema,
    cursor: z.string().optional(),
  })
  .strict();

/** The analyst's queue and a task's detail, open to the analyst scope. Acting on a task is a use case (usecases/). */
@Controller('v1/tasks')
@UseGuards(AuthGuard)
@RequireScope('analyst')
export class TasksController {
  constructor(private readonly queries: TaskQueriesService) {}

  @Get()
  async list(@Query() query: unknown, @Req() req: AuthenticatedRequest) {
    const q = parseQuery(listSchema, query);
    let assignee: string | null | undefined = q.assignee;
    if (q.assignee === 'me') {
      assignee = req.principal.analystId;
      if (!assignee)
        throw new ProblemException(400, 'This API key acts for no analyst, so it has no "me".', [
          { path: 'query:assignee', message: 'the key names no analyst (warden keys create --analyst)' },
        ]);
    } else if (q.assignee === 'none') assignee = null;
    const statuses: readonly TaskStatus[] = q.status === 'open' ? OPEN_TASK_STATUSES : q.status === 'all' ? TASK_STATUSES : [q.status];
    return this.queries.listTasks({ assignee, statuses, priority: q.priority, role: q.role, limit: q.limit, cursor: q.cursor });
  }

  @Get(':id')
  async get(@Param('id', uuidParam('task')) id: string) {
    return this.queries.taskDetail(id);
  }
}
