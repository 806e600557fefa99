import { Module } from '@nestjs/common';
import { CorrelationModule } from '../correlation/correlation.module';
import { OutboxModule } from '../temporal/outbox.module';
import { IngestController } from './ingest.controller';
import { IngestService } from './ingest.service';

@Module({ imports: [CorrelationModule, OutboxModule], controllers: [IngestController], providers: [IngestService] })
export class IngestModule {}
