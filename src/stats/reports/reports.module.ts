import { Module } from '@nestjs/common';
import { AssignmentModule } from '../../assignment/assignment.module';
import { AuditModule } from '../../audit/audit.module';
import { NotificationsModule } from '../../notifications/notifications.module';
import { ReportsService } from './reports.service';

/** Building, keeping and publishing reports: the worker's report activities adapt it. */
@Module({
  imports: [AssignmentModule, AuditModule, NotificationsModule],
  providers: [ReportsService],
  exports: [ReportsService],
})
export class ReportsCoreModule {}
