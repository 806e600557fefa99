import { Module } from '@nestjs/common';
import { OutboxModule } from '../temporal/outbox.module';
import { IngestController } from './ingest.controller';
import { IngestService } from './ingest.service';

@Module({ imports: [OutboxModule], controllers: [IngestController], providers: [IngestService] })
export class IngestModule {}
