import { Global, Module } from '@nestjs/common';
import { WARDEN_METRICS } from '../../common/metrics';
import { ApiMetrics } from './api-metrics';
import { MetricsCollectors } from './collectors';
import { IngestRequestMetrics } from './ingest-requests';
import { MetricsController } from './metrics.controller';

/** The api's Prometheus metrics: `GET /metrics`, and the `WardenMetrics` every api service counts into. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    { provide: ApiMetrics, useFactory: () => new ApiMetrics() },
    { provide: WARDEN_METRICS, useExisting: ApiMetrics },
    MetricsCollectors,
    IngestRequestMetrics,
  ],
  exports: [WARDEN_METRICS],
})
export class MetricsModule {}
