import { Module } from '@nestjs/common';
import { AnalystsApiModule } from '../assignment/analysts-api.module';
import { AuthModule } from '../auth/auth.module';
import { OutboxModule } from '../outbox/outbox.module';
import { PlaybooksApiModule } from '../playbooks/playbooks-api.module';
import { TasksModule } from '../tasks/tasks.module';
import { JiraWebhookController } from './jira/jira-webhook.controller';
import { SlackInteractionsController } from './slack/slack-interactions.controller';

/**
 * What Slack and Jira send back, in the api only: buttons and slash commands, Jira's webhook.
 * Each acts through the same services, and the same access checks, as the REST API.
 */
@Module({
  imports: [AuthModule, TasksModule, PlaybooksApiModule, AnalystsApiModule, OutboxModule],
  controllers: [SlackInteractionsController, JiraWebhookController],
})
export class IntegrationsApiModule {}
