import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AnalystsController } from './analysts.controller';
import { AnalystsService } from './analysts.service';
import { AssignmentModule } from './assignment.module';

/** The analysts API, in the api only (the worker loads AssignmentModule without it). */
@Module({
  imports: [AssignmentModule, AuditModule],
  controllers: [AnalystsController],
  providers: [AnalystsService],
  exports: [AnalystsService],
})
export class AnalystsApiModule {}
