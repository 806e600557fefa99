import { Module } from '@nestjs/common';
import { ReportsController } from './reports.controller';
import { ReportsCoreModule } from './reports.module';

/** `/v1/reports` for team leads (api only; the worker imports ReportsCoreModule alone). */
@Module({ imports: [ReportsCoreModule], controllers: [ReportsController] })
export class ReportsModule {}
