import { Injectable } from '@nestjs/common';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher.service';
import { TasksService } from '../tasks/tasks.service';
import type { TaskView } from '../tasks/task-view';
import { actorName, type Actor } from './actor';
import { mayTake } from './task-guards';

/** Take an unassigned task for oneself (an analyst of its role, or a lead); a task someone has is refused with 409. */
@Injectable()
export class TakeTask {
  constructor(
    private readonly tasks: TasksService,
    private readonly outbox: OutboxDispatcher,
  ) {}

  async execute(command: { taskId: string; actor: Actor; reason?: string }): Promise<TaskView> {
    const { taskId, actor } = command;
    // No origin: the assignment notice is how every channel, the one it came from included, learns who has it.
    const task = await this.tasks.reassign(
      taskId,
      actorName(actor),
      { to: actor.principal.analystId ?? undefined, reason: command.reason ?? 'taken' },
      { guard: mayTake(actor.principal) },
    );
    this.outbox.nudge();
    return task;
  }
}
