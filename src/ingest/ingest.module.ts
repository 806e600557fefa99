import { Module } from '@nestjs/common';
import { CorrelationModule } from '../correlation/correlation.module';
import { IngestController } from './ingest.controller';
import { IngestService } from './ingest.service';

@Module({ imports: [CorrelationModule], controllers: [IngestController], providers: [IngestService], exports: [IngestService] })
export class IngestModule {}
