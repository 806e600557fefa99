import { Injectable } from '@nestjs/common';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher.service';
import { TasksService } from '../tasks/tasks.service';
import type { TaskView } from '../tasks/task-view';
import { actorName, type Actor } from './actor';
import { mayAct } from './task-guards';

/** Acknowledge a task: its assignee, an analyst of its role while unassigned, or a lead. */
@Injectable()
export class AcknowledgeTask {
  constructor(
    private readonly tasks: TasksService,
    private readonly outbox: OutboxDispatcher,
  ) {}

  async execute(command: { taskId: string; actor: Actor }): Promise<TaskView> {
    const { taskId, actor } = command;
    const task = await this.tasks.acknowledge(taskId, actorName(actor), { origin: actor.origin, guard: mayAct(actor.principal) });
    this.outbox.nudge(); // the workflow's signal is committed: deliver it now, not at the next poll
    return task;
  }
}
