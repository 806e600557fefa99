import { Module } from '@nestjs/common';
import { AssignmentModule } from '../assignment/assignment.module';
import { AuditModule } from '../audit/audit.module';
import { IncidentsModule } from '../correlation/incidents.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { DigestService } from './digest.service';
import { EscalationService } from './escalation.service';
import { TaskQueriesService } from './task-queries.service';
import { TasksService } from './tasks.service';

/** Task state and the services the worker's activities adapt. */
@Module({
  imports: [AuditModule, AssignmentModule, IncidentsModule, NotificationsModule],
  providers: [TasksService, EscalationService, DigestService, TaskQueriesService],
  exports: [TasksService, EscalationService, DigestService, TaskQueriesService, AssignmentModule],
})
export class TasksModule {}
