import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { AssignmentService } from './assignment.service';

@Module({ imports: [NotificationsModule], providers: [AssignmentService], exports: [AssignmentService] })
export class AssignmentModule {}
