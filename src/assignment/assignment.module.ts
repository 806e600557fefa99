import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { AssignmentService } from './assignment.service';

@Module({ imports: [AuditModule, NotificationsModule], providers: [AssignmentService], exports: [AssignmentService] })
export class AssignmentModule {}
