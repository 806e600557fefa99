import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AssignmentService } from './assignment.service';

@Module({ imports: [AuditModule], providers: [AssignmentService], exports: [AssignmentService] })
export class AssignmentModule {}
