import { Injectable } from '@nestjs/common';
import { TasksService, type TaskComment } from '../tasks/tasks.service';
import { actorName, type Actor } from './actor';
import { mayAct } from './task-guards';

/** Comment on a task: whoever may act on it. The channels that follow the task hear it, except the one it came from. */
@Injectable()
export class CommentOnTask {
  constructor(private readonly tasks: TasksService) {}

  execute(command: { taskId: string; actor: Actor; text: string }): Promise<TaskComment> {
    const { taskId, actor, text } = command;
    return this.tasks.comment(taskId, actorName(actor), text, { origin: actor.origin, guard: mayAct(actor.principal) });
  }
}
