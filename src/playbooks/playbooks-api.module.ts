import { Module } from '@nestjs/common';
import { AssignmentModule } from '../assignment/assignment.module';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { ApprovalsController } from './approvals.controller';
import { ApprovalsService } from './approvals.service';
import { EvidenceApiModule } from './evidence.controller';
import { PlaybooksController } from './playbooks.controller';
import { RedriveService } from './redrive.service';

/** The approvals, dry-run, redrive and evidence REST, in the api only. */
@Module({
  imports: [AuthModule, AuditModule, AssignmentModule, NotificationsModule, EvidenceApiModule],
  controllers: [ApprovalsController, PlaybooksController],
  providers: [ApprovalsService, RedriveService],
  exports: [ApprovalsService, RedriveService],
})
export class PlaybooksApiModule {}
