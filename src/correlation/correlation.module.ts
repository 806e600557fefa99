import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { OutboxModule } from '../outbox/outbox.module';
import { CorrelationService } from './correlation.service';
import { DeltaFolder } from './delta-folder.service';
import { IncidentsModule } from './incidents.module';
import { SilencesController } from './silences.controller';
import { SilencesService } from './silences.service';

/** The api side of alerts and incidents: the ingest transaction and silences. */
@Module({
  imports: [OutboxModule, IncidentsModule, NotificationsModule],
  controllers: [SilencesController],
  providers: [CorrelationService, DeltaFolder, SilencesService],
  exports: [CorrelationService],
})
export class CorrelationModule {}
