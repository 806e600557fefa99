import { Module } from '@nestjs/common';
import { AnalystsApiModule } from '../assignment/analysts-api.module';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { OutboxModule } from '../outbox/outbox.module';
import { PlaybooksApiModule } from '../playbooks/playbooks-api.module';
import { TasksModule } from '../tasks/tasks.module';
import { AcknowledgeTask } from './acknowledge-task';
import { ApprovalDecisionsController } from './approval-decisions.controller';
import { AvailabilityController } from './availability.controller';
import { CommentOnTask } from './comment-on-task';
import { DecideApproval } from './decide-approval';
import { JiraWebhookController } from './jira/jira-webhook.controller';
import { PlaybookRunsController } from './playbook-runs.controller';
import { ReassignTask } from './reassign-task';
import { RedriveCompensations } from './redrive-compensations';
import { ResolveTask } from './resolve-task';
import { SetAvailability } from './set-availability';
import { SignInController } from './sign-in/sign-in.controller';
import { SlackInteractionsController } from './slack/slack-interactions.controller';
import { TakeTask } from './take-task';
import { TaskActionsController } from './task-actions.controller';

/**
 * Every action a person takes, one use case each, and the ways in that call them: REST (the CLI
 * too, and the workspace with a signed-in session), Slack's buttons and `/warden`, Jira's webhook;
 * and signing people in (sign-in/). In the api only.
 */
@Module({
  imports: [AuthModule, AuditModule, TasksModule, PlaybooksApiModule, AnalystsApiModule, OutboxModule],
  controllers: [
    TaskActionsController,
    ApprovalDecisionsController,
    AvailabilityController,
    SlackInteractionsController,
    JiraWebhookController,
    PlaybookRunsController,
    SignInController,
  ],
  providers: [AcknowledgeTask, TakeTask, ResolveTask, ReassignTask, CommentOnTask, DecideApproval, SetAvailability, RedriveCompensations],
})
export class UsecasesModule {}
