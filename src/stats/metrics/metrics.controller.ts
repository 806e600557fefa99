import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ENV, type Env } from '../../common/env';
import { ProblemException } from '../../common/problem';
import { ApiMetrics } from './api-metrics';
import { MetricsCollectors } from './collectors';
import { metricsAuthorized } from './counting';

/**
 * Prometheus' scrape target: Prometheus scrapes with METRICS_TOKEN, not an API key. Without a token it
 * is open, except in production (NODE_ENV=production), where it stays closed until METRICS_TOKEN is set
 * (the worker's WORKER_METRICS_ADDRESS listens on its own address).
 */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: ApiMetrics,
    private readonly collectors: MetricsCollectors,
    @Inject(ENV) private readonly env: Env,
  ) {}

  @Get()
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const production = this.env.NODE_ENV === 'production';
    if (!metricsAuthorized(authorization, this.env.METRICS_TOKEN, production)) {
      if (!this.env.METRICS_TOKEN)
        throw new ProblemException(403, 'In production the api serves /metrics only with METRICS_TOKEN set.', [
          { path: 'header:authorization', message: 'METRICS_TOKEN is not set' },
        ]);
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw new ProblemException(401, 'Send the metrics token as "Authorization: Bearer <token>".', [
        { path: 'header:authorization', message: 'missing, or not the METRICS_TOKEN' },
      ]);
    }
    await this.collectors.collect();
    reply.header('content-type', this.metrics.registry.contentType).header('cache-control', 'no-store');
    return this.metrics.registry.metrics();
  }
}
