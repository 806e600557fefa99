import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { OutboxModule } from '../outbox/outbox.module';
import { IncidentsController } from './incidents.controller';
import { TasksController } from './tasks.controller';
import { TasksModule } from './tasks.module';

/** The analyst-facing REST, in the api only (the worker loads TasksModule without it). */
@Module({
  imports: [TasksModule, AuthModule, OutboxModule],
  controllers: [TasksController, IncidentsController],
})
export class TasksApiModule {}
