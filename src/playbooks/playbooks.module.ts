import { Module } from '@nestjs/common';
import { AssignmentModule } from '../assignment/assignment.module';
import { AuditModule } from '../audit/audit.module';
import { ContainmentModule } from '../containment/containment.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { EvidenceModule } from './evidence.module';
import { PlaybookRunsService } from './runs.service';

/** Playbook runs and the services their steps use; the worker's activities adapt PlaybookRunsService. */
@Module({
  imports: [AssignmentModule, AuditModule, ContainmentModule, NotificationsModule, EvidenceModule],
  providers: [PlaybookRunsService],
  exports: [PlaybookRunsService, EvidenceModule],
})
export class PlaybooksModule {}
