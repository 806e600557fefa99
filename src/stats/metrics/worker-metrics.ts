import { DynamicModule, Global, Module } from '@nestjs/common';
import type { ActivityInterceptorsFactory, WorkerInterceptors } from '@temporalio/worker';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { Env } from '../../common/env';
import { NO_METRICS, WARDEN_METRICS, type NoticeOutcome, type WardenMetrics } from '../../common/metrics';
import { problem } from '../../common/problem';
import { metricsAuthorized } from './counting';

/**
 * The worker's metrics: activities executed and failed, by type (an activity interceptor),
 * notice deliveries by channel (the NotificationDispatcher runs here), and the process's own.
 * Served on WORKER_METRICS_ADDRESS by a bare HTTP server: the worker has no web framework, and
 * Temporal's own runtime exporter could not carry the notice counters or the process metrics.
 */
export class WorkerMetrics implements WardenMetrics {
  readonly registry = new Registry();
  private readonly registers = [this.registry];

  private readonly activities = new Counter({
    name: 'warden_activity_executions_total',
    help: 'Activity executions started by this worker (each retry counts), by activity type.',
    labelNames: ['activity_type'] as const,
    registers: this.registers,
  });
  private readonly activityFailures = new Counter({
    name: 'warden_activity_failures_total',
    help: 'Activity executions that failed (Temporal retries them per their policy), by activity type.',
    labelNames: ['activity_type'] as const,
    registers: this.registers,
  });
  private readonly noticesDelivered = new Counter({
    name: 'warden_notices_delivered_total',
    help: 'Notices delivered, by channel.',
    labelNames: ['channel'] as const,
    registers: this.registers,
  });
  private readonly noticeFailures = new Counter({
    name: 'warden_notice_failures_total',
    help: 'Notice deliveries that failed, by channel and outcome (retry: tried again later; failed: failed for good).',
    labelNames: ['channel', 'outcome'] as const,
    registers: this.registers,
  });

  private readonly prunedRows = new Counter({
    name: 'warden_pruned_rows_total',
    help: 'Rows the retention passes deleted, by kind: delivered notifications, delivered outbox rows, integration links of resolved incidents, sessions that are over.',
    labelNames: ['kind'] as const,
    registers: this.registers,
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Series that exist from the start, so rate() sees their first increase.
    for (const kind of ['notifications', 'outbox', 'integration_links', 'sessions']) this.prunedRows.inc({ kind }, 0);
  }

  /** Counts each activity execution, and its failure. */
  readonly activityInterceptor: ActivityInterceptorsFactory = (ctx) => ({
    inbound: {
      execute: async (input, next) => {
        const labels = { activity_type: ctx.info.activityType };
        this.activities.inc(labels);
        try {
          return await next(input);
        } catch (err) {
          this.activityFailures.inc(labels);
          throw err;
        }
      },
    },
  });

  noticeDelivery(channel: string, outcome: NoticeOutcome): void {
    if (outcome === 'sent') this.noticesDelivered.inc({ channel });
    else this.noticeFailures.inc({ channel, outcome });
  }

  /** The api's: intel tables live there. */
  intelLoaded(): void {}

  /** The api's: bus intake runs there. */
  intakeMessages(): void {}

  pruned(kind: string, rows: number): void {
    this.prunedRows.inc({ kind }, rows);
  }

  /** The api's: ingest never runs in the worker. */
  alertsIngested(): void {}
  correlated(): void {}
  outboxSignal(): void {}
}

/** `host:port` (IPv6 in brackets) as WORKER_METRICS_ADDRESS spells it. */
export function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(at + 1)) };
}

/** Provides the worker's `WardenMetrics` to every module of its Nest context. */
@Global()
@Module({})
class WorkerMetricsModule {
  static forRoot(metrics: WardenMetrics): DynamicModule {
    return { module: WorkerMetricsModule, providers: [{ provide: WARDEN_METRICS, useValue: metrics }], exports: [WARDEN_METRICS] };
  }
}

export interface RunningWorkerMetrics {
  /** Add to the worker's Nest context: provides WARDEN_METRICS. */
  module: DynamicModule;
  /** For Worker.create. */
  interceptors: WorkerInterceptors;
  /** Where the metrics are served; undefined when WORKER_METRICS_ADDRESS is unset. */
  url?: string;
  close(): Promise<void>;
}

const answer = (res: ServerResponse, status: number, detail: string, headers: Record<string, string> = {}) =>
  res
    .writeHead(status, { 'content-type': 'application/problem+json; charset=utf-8', ...headers })
    .end(JSON.stringify({ ...problem(status, detail), instance: '/metrics' }));

/**
 * Serves `GET /metrics` on WORKER_METRICS_ADDRESS (METRICS_TOKEN applies as on the api); with
 * no address, the worker counts nothing and serves nothing.
 */
export async function startWorkerMetrics(env: Env): Promise<RunningWorkerMetrics> {
  if (!env.WORKER_METRICS_ADDRESS) {
    return { module: WorkerMetricsModule.forRoot(NO_METRICS), interceptors: {}, close: async () => {} };
  }
  const metrics = new WorkerMetrics();
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') return answer(res, 404, 'Only GET /metrics is served here.');
    if (!metricsAuthorized(req.headers.authorization, env.METRICS_TOKEN)) {
      return answer(res, 401, 'Send the metrics token as "Authorization: Bearer <token>".', {
        'www-authenticate': 'Bearer realm="metrics"',
      });
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' }).end(text),
      () => answer(res, 500, 'The metrics could not be collected.'),
    );
  });
  const { host, port } = splitAddress(env.WORKER_METRICS_ADDRESS);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    module: WorkerMetricsModule.forRoot(metrics),
    interceptors: { activity: [metrics.activityInterceptor] },
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
