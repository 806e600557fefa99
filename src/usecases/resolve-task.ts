import { Injectable } from '@nestjs/common';
import type { AnalystDisposition } from '../domain';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher.service';
import { TasksService } from '../tasks/tasks.service';
import type { TaskView } from '../tasks/task-view';
import { actorName, type Actor } from './actor';
import { mayAct } from './task-guards';

/** Resolve a task with a disposition; `false_positive` also rolls its containment back. */
@Injectable()
export class ResolveTask {
  constructor(
    private readonly tasks: TasksService,
    private readonly outbox: OutboxDispatcher,
  ) {}

  async execute(command: { taskId: string; actor: Actor; disposition: AnalystDisposition; resolution?: string | null }): Promise<TaskView> {
    const { taskId, actor } = command;
    const task = await this.tasks.resolve(taskId, actorName(actor), command.disposition, command.resolution ?? null, {
      origin: actor.origin,
      guard: mayAct(actor.principal),
    });
    this.outbox.nudge();
    return task;
  }
}
