import { Body, Controller, Headers, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { AuthenticatedRequest, AuthGuard, RequireScope } from '../auth/auth.guard';
import { ProblemException } from '../common/problem';
import { parseBody, uuidParam } from '../common/validation';
import { ANALYST_DISPOSITIONS } from '../domain';
import { AcknowledgeTask } from './acknowledge-task';
import { CommentOnTask } from './comment-on-task';
import { ReassignTask } from './reassign-task';
import { ResolveTask } from './resolve-task';
import { TakeTask } from './take-task';

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

const takeSchema = z.object({ reason: z.string().max(2000).optional() }).strict();

const commentSchema = z.object({ text: z.string().trim().min(1, 'must not be empty').max(10_000) }).strict();

/**
 * An analyst's or lead's actions on a task, over REST (the CLI too): each parses its input and
 * runs its use case, which decides access on the locked task. The queue and task views are
 * read in tasks.controller.ts.
 */
@Controller('v1/tasks')
@UseGuards(AuthGuard)
@RequireScope('analyst')
export class TaskActionsController {
  constructor(
    private readonly acknowledgeTask: AcknowledgeTask,
    private readonly takeTask: TakeTask,
    private readonly resolveTask: ResolveTask,
    private readonly reassignTask: ReassignTask,
    private readonly commentOnTask: CommentOnTask,
  ) {}

  @Post(':id/ack')
  @HttpCode(200)
  acknowledge(@Param('id', uuidParam('task')) id: string, @Req() req: AuthenticatedRequest) {
    return this.acknowledgeTask.execute({ taskId: id, actor: { principal: req.principal } });
  }

  @Post(':id/take')
  @HttpCode(200)
  take(@Param('id', uuidParam('task')) id: string, @Body() body: unknown, @Req() req: AuthenticatedRequest) {
    const input = parseBody(takeSchema, body ?? {});
    return this.takeTask.execute({ taskId: id, actor: { principal: req.principal }, reason: input.reason });
  }

  @Post(':id/resolve')
  @HttpCode(200)
  resolve(@Param('id', uuidParam('task')) id: string, @Body() body: unknown, @Req() req: AuthenticatedRequest) {
    const input = parseBody(resolveSchema, body);
    return this.resolveTask.execute({
      taskId: id,
      actor: { principal: req.principal },
      disposition: input.disposition,
      resolution: input.resolution,
    });
  }

  @Post(':id/reassign')
  @HttpCode(200)
  reassign(
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
    return this.reassignTask.execute({ taskId: id, actor: { principal: req.principal }, ...input, idempotencyKey });
  }

  @Post(':id/comments')
  @HttpCode(201)
  comment(@Param('id', uuidParam('task')) id: string, @Body() body: unknown, @Req() req: AuthenticatedRequest) {
    const { text } = parseBody(commentSchema, body);
    return this.commentOnTask.execute({ taskId: id, actor: { principal: req.principal }, text });
  }
}
