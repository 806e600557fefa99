import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { ProblemException } from '../common/problem';
import { limitSchema, parseBody, parseQuery, uuidParam } from '../common/validation';
import { ANALYST_DISPOSITIONS, OPEN_TASK_STATUSES, PRIORITIES, TASK_STATUSES, TaskStatus } from '../domain';
import { AccessService } from '../auth/access.service';
import { actorOf } from '../auth/principal';
import { AuthenticatedRequest, AuthGuard, RequireScope } from '../auth/auth.guard';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher.service';
import { TaskQueriesService } from './task-queries.service';
import { TasksService } from './tasks.service';

const listSchema = z
  .object({
    /** `me` (the key's analyst), an analyst id, or `none` for unassigned tasks. */
    assignee: z.string().min(1).optional(),
    /** `open` (new, assigned, acknowledged, in progress), `all`, or one status. */
    status: z.enum(['open', 'all', ...TASK_STATUSES]).default('open'),
    priority: z.enum(PRIORITIES).optional(),
    limit: limitSchema,
    cursor: z.string().optional(),
  })
  .strict();

const resolveSchema = z
  .object({
    /** `cleared_by_monitor` is Warden's alone: it says the monitors resolved every alert. */
    disposition: z.enum(ANALYST_DISPOSITIONS),
    resolution: z.string().max(10_000).optional(),
  })
  .strict();

const reassignSchema = z
  .object({
    /** An analyst id; omitted: the assignment rules choose someone other than the current assignee. */
    to: z.string().min(1).optional(),
    reason: z.string().max(2000).optional(),
  })
  .strict();

const commentSchema = z.object({ text: z.string().trim().min(1, 'must not be empty').max(10_000) }).strict();

/** The assignment idempotency key `TasksService.reassign` gives a request with this Idempotency-Key. */
const reassignKey = (taskId: string, idempotencyKey: string | undefined) =>
  idempotencyKey === undefined ? undefined : `reassign:${taskId}:${idempotencyKey}`;

/**
 * The analyst's queue and actions. Reading is open to the analyst scope; acting on a task
 * (ack, resolve, reassign, comment) is for its assignee, an analyst of its role while it is
 * unassigned, or a lead (`mayActOnTask`). Each action is stored, then told to the incident's workflow.
 */
@Controller('v1/tasks')
@UseGuards(AuthGuard)
@RequireScope('analyst')
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly queries: TaskQueriesService,
    private readonly outbox: OutboxDispatcher,
    private readonly access: AccessService,
  ) {}

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
    return this.queries.listTasks({ assignee, statuses, priority: q.priority, limit: q.limit, cursor: q.cursor });
  }

  @Get(':id')
  async get(@Param('id', uuidParam('task')) id: string) {
    return this.queries.taskDetail(id);
  }

  @Post(':id/ack')
  @HttpCode(200)
  async acknowledge(@Param('id', uuidParam('task')) id: string, @Req() req: AuthenticatedRequest) {
    await this.access.assertMayActOnTask(req.principal, id);
    return this.told(await this.tasks.acknowledge(id, actorOf(req.principal)));
  }

  @Post(':id/resolve')
  @HttpCode(200)
  async resolve(@Param('id', uuidParam('task')) id: string, @Body() body: unknown, @Req() req: AuthenticatedRequest) {
    const input = parseBody(resolveSchema, body);
    await this.access.assertMayActOnTask(req.principal, id);
    return this.told(await this.tasks.resolve(id, actorOf(req.principal), input.disposition, input.resolution ?? null));
  }

  @Post(':id/reassign')
  @HttpCode(200)
  async reassign(
    @Param('id', uuidParam('task')) id: string,
    @Body() body: unknown,
    @Req() req: AuthenticatedRequest,
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    const input = parseBody(reassignSchema, body ?? {});
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 200)) {
      throw new ProblemException(400, 'The Idempotency-Key header must be 1 to 200 characters.', [
        { path: 'header:idempotency-key', message: 'must be 1 to 200 characters' },
      ]);
    }
    await this.access.assertMayActOnTask(req.principal, id, reassignKey(id, idempotencyKey));
    // A key reused with a different body is refused with 422 naming the header (AssignmentService).
    return this.told(await this.tasks.reassign(id, actorOf(req.principal), { ...input, idempotencyKey }));
  }

  @Post(':id/comments')
  @HttpCode(201)
  async comment(@Param('id', uuidParam('task')) id: string, @Body() body: unknown, @Req() req: AuthenticatedRequest) {
    const { text } = parseBody(commentSchema, body);
    await this.access.assertMayActOnTask(req.principal, id);
    return this.tasks.comment(id, actorOf(req.principal), text);
  }

  /** The outbox row is committed; deliver it now rather than at the next poll. */
  private told<T>(value: T): T {
    this.outbox.nudge();
    return value;
  }
}
