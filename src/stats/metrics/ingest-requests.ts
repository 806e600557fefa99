import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { FORMATS } from '../../ingest/normalizers';
import { ApiMetrics } from './api-metrics';
import { ingestRouteFormat } from './counting';

/**
 * Counts and times every answer of the ingest routes, from a Fastify hook rather than inside the
 * controller: answers given before it runs (401 from the key check, 413 and 415 from the body
 * parsers) count too, and the latency covers the whole request.
 */
@Injectable()
export class IngestRequestMetrics implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: ApiMetrics,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('onResponse', async (request, reply) => {
      const format = ingestRouteFormat(request.routeOptions.url, (request.params as { format?: unknown } | undefined)?.format, FORMATS);
      if (format) this.metrics.ingestRequest(format, reply.statusCode, reply.elapsedTime / 1000);
    });
  }
}
