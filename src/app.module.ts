import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from './audit/audit.module';
import { ConfigModule } from './config/config.module';
import { Env } from './common/env';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { AuthModule } from './auth/auth.module';
import { IngestModule } from './ingest/ingest.module';
import { EnrichmentModule } from './enrichment/enrichment.module';
import { IntegrationsModule } from './integrations/integrations.module';
import { IntegrationsApiModule } from './integrations/incident-links.controller';
import { CorrelationModule } from './correlation/correlation.module';
import { TemporalClientModule } from './temporal/temporal-client.module';
import { TasksApiModule } from './tasks/tasks-api.module';
import { AnalystsApiModule } from './assignment/analysts-api.module';
import { PlaybooksApiModule } from './playbooks/playbooks-api.module';
import { MetricsModule } from './stats/metrics/metrics.module';
import { DashboardModule } from './stats/dashboard/dashboard.module';
import { StatsModule } from './stats/stats.module';
import { ReportsModule } from './stats/reports/reports-api.module';
import { InvestigationsModule } from './stats/investigation.module';
import { UsecasesModule } from './usecases/usecases.module';
import { WorkspaceModule } from './workspace/workspace.module';

@Module({})
export class AppModule {
  static forRoot(env: Env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(env),
        DatabaseModule,
        TemporalClientModule,
        AuditModule,
        AuthModule,
        HealthModule,
        IntegrationsModule,
        IntegrationsApiModule,
        EnrichmentModule,
        IngestModule,
        CorrelationModule,
        TasksApiModule,
        AnalystsApiModule,
        PlaybooksApiModule,
        MetricsModule,
        DashboardModule,
        WorkspaceModule,
        UsecasesModule,
        StatsModule,
        ReportsModule,
        InvestigationsModule,
      ],
    };
  }
}
