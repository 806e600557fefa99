import { Injectable } from '@nestjs/common';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher.service';
import { reassignIdempotencyKey, TasksService } from '../tasks/tasks.service';
import type { TaskView } from '../tasks/task-view';
import { actorName, type Actor } from './actor';
import { mayAct } from './task-guards';

/**
 * Reassign a task, to someone named or by the assignment rules to anyone but its assignee.
 * A retry with the same Idempotency-Key is answered with the first result, even when the task
 * has moved on since; the same key with another body is refused (422, naming the header).
 */
@Injectable()
export class ReassignTask {
  constructor(
    private readonly tasks: TasksService,
    private readonly outbox: OutboxDispatcher,
  ) {}

  async execute(command: { taskId: string; actor: Actor; to?: string; reason?: string; idempotencyKey?: string }): Promise<TaskView> {
    const { taskId, actor, to, reason, idempotencyKey } = command;
    const replayKey = idempotencyKey === undefined ? undefined : reassignIdempotencyKey(taskId, idempotencyKey);
    const task = await this.tasks.reassign(
      taskId,
      actorName(actor),
      { to, reason, idempotencyKey },
      { guard: mayAct(actor.principal, replayKey) },
    );
    this.outbox.nudge();
    return task;
  }
}
