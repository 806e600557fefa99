import { DynamicModule, Module } from '@nestjs/common';
import { QueueSweeper } from '../assignment/queue-sweeper.service';
import { AuditModule } from '../audit/audit.module';
import { ConfigModule } from '../config/config.module';
import { Env } from '../common/env';
import { DatabaseModule } from '../database/database.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { NotificationDispatcher } from '../notifications/notification-dispatcher.service';
import { NotificationsModule } from '../notifications/notifications.module';
import { PlaybooksModule } from '../playbooks/playbooks.module';
import { RetentionService } from '../privacy/retention.service';
import { ReportsCoreModule } from '../stats/reports/reports.module';
import { TasksModule } from '../tasks/tasks.module';

/** The Nest application context inside the worker: the services activities adapt, notice delivery, the capacity queue's sweep and retention. */
@Module({})
export class WorkerModule {
  static forRoot(env: Env): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(env),
        DatabaseModule,
        AuditModule,
        IntegrationsModule,
        NotificationsModule,
        TasksModule,
        PlaybooksModule,
        ReportsCoreModule,
      ],
      providers: [NotificationDispatcher, QueueSweeper, RetentionService],
    };
  }
}
