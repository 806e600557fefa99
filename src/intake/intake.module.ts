import { Module } from '@nestjs/common';
import { IngestModule } from '../ingest/ingest.module';
import { IntakeService } from './intake.service';

/** Bus intake (NATS JetStream, Kafka) into the same path as HTTP batches. */
@Module({ imports: [IngestModule], providers: [IntakeService], exports: [IntakeService] })
export class IntakeModule {}
