import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { Pool } from 'pg';
import { WAITING } from '../../assignment/assignment-sql';
import { ENV, type Env } from '../../common/env';
import { PRIORITIES } from '../../domain';
import { CHANNEL_SUBSCRIPTIONS, type ChannelSubscription } from '../../notifications/channels';
import { ApiMetrics } from './api-metrics';
import { BoundedRead, type ReadOutcome } from './bounded-read';
import { withZeros } from './counting';

/** The gauges read from PostgreSQL, in one row. */
interface GaugeRow {
  outbox_pending: Record<string, number>;
  outbox_lag_seconds: number | null;
  outbox_dead_letters: number;
  notices_pending: Record<string, number>;
  notices_failed: Record<string, number>;
  queue_depth: Record<string, number>;
}

/**
 * One statement, every part on a partial index: undelivered outbox rows (IDX_outbox_pending,
 * IDX_outbox_dead_lettered), undelivered and failed notices (IDX_notifications_pending,
 * IDX_notifications_failed), and the capacity queue (WAITING: new tasks nobody is assigned to,
 * on IDX_tasks_queue). Each counts what waits, never history.
 */
export const GAUGES_SQL = `SELECT
  (SELECT coalesce(json_object_agg(priority, n), '{}') FROM (
     SELECT priority, count(*)::int AS n FROM outbox WHERE delivered_at IS NULL AND dead_lettered_at IS NULL GROUP BY priority) o
  ) AS outbox_pending,
  (SELECT extract(epoch FROM now() - min(created_at))::float8 FROM outbox WHERE delivered_at IS NULL AND dead_lettered_at IS NULL)
    AS outbox_lag_seconds,
  (SELECT count(*)::int FROM outbox WHERE dead_lettered_at IS NOT NULL) AS outbox_dead_letters,
  (SELECT coalesce(json_object_agg(channel, n), '{}') FROM (
     SELECT channel, count(*)::int AS n FROM notifications WHERE sent_at IS NULL AND failed_at IS NULL GROUP BY channel) p
  ) AS notices_pending,
  (SELECT coalesce(json_object_agg(channel, n), '{}') FROM (
     SELECT channel, count(*)::int AS n FROM notifications WHERE failed_at IS NOT NULL GROUP BY channel) f
  ) AS notices_failed,
  (SELECT coalesce(json_object_agg(priority, n), '{}') FROM (
     SELECT t.priority, count(*)::int AS n FROM tasks t
      WHERE ${WAITING} GROUP BY t.priority) q
  ) AS queue_depth`;

/** The workflow types counted by `warden_workflows_running`. */
export const COUNTED_WORKFLOWS = ['incidentWorkflow', 'playbookRunWorkflow'] as const;

/** A Temporal visibility query: running workflows of one type on one task queue. */
export const runningWorkflowsQuery = (workflowType: string, taskQueue: string): string =>
  `WorkflowType = ${JSON.stringify(workflowType)} AND TaskQueue = ${JSON.stringify(taskQueue)} AND ExecutionStatus = "Running"`;

/**
 * Reads the scrape-time gauges. The database read has a connection of its own with a
 * statement timeout (a busy ingest pool never holds a scrape up, and a scrape never holds
 * ingest up); the Temporal count has a deadline. Either one that fails or is late leaves
 * its gauges at their last values and marks its collector down; a scrape never fails for it.
 */
@Injectable()
export class MetricsCollectors implements OnModuleDestroy {
  private readonly logger = new Logger('Metrics');
  private readonly pool: Pool;
  private readonly timeoutMs: number;
  private readonly channels: Set<string>;
  private readonly database: BoundedRead;
  private readonly temporal: BoundedRead;

  constructor(
    private readonly metrics: ApiMetrics,
    private readonly client: Client,
    @Inject(ENV) private readonly env: Env,
    @Optional() @Inject(CHANNEL_SUBSCRIPTIONS) subscriptions: ChannelSubscription[] = [],
  ) {
    this.timeoutMs = env.METRICS_TIMEOUT_SECONDS * 1000;
    this.pool = new Pool({
      connectionString: env.DATABASE_URL,
      max: 1,
      statement_timeout: this.timeoutMs,
      connectionTimeoutMillis: this.timeoutMs,
      idleTimeoutMillis: 60_000,
    });
    this.pool.on('error', (err) => this.logger.warn(`metrics pool: ${err.message}`));
    // Configured channels read 0 when nothing waits for them; others appear once they have rows.
    this.channels = new Set(subscriptions.map((s) => s.name));
    this.database = new BoundedRead(
      () => this.readDatabase(),
      (err) => this.failed('database', err),
    );
    this.temporal = new BoundedRead(
      () => this.readTemporal(),
      (err) => this.failed('temporal', err),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }

  /** Brings the gauges up to date, waiting at most METRICS_TIMEOUT_SECONDS. */
  async collect(): Promise<void> {
    const [database, temporal] = await Promise.all([this.database.run(this.timeoutMs), this.temporal.run(this.timeoutMs)]);
    this.mark('database', database);
    this.mark('temporal', temporal);
  }

  private mark(collector: string, outcome: ReadOutcome): void {
    if (outcome === 'pending') this.metrics.collectorFailures.inc({ collector });
    this.metrics.collectorUp.set({ collector }, outcome === 'fresh' ? 1 : 0);
  }

  private failed(collector: string, err: Error): void {
    this.metrics.collectorFailures.inc({ collector });
    this.logger.warn(`${collector} read for /metrics failed: ${err.message}`);
  }

  private async readDatabase(): Promise<void> {
    const {
      rows: [row],
    } = await this.pool.query<GaugeRow>(GAUGES_SQL);
    const m = this.metrics;
    for (const [priority, n] of withZeros(PRIORITIES, row.outbox_pending)) m.outboxPending.set({ priority }, n);
    m.outboxLag.set(row.outbox_lag_seconds ?? 0);
    m.outboxDeadLetters.set(row.outbox_dead_letters);
    for (const channel of [...Object.keys(row.notices_pending), ...Object.keys(row.notices_failed)]) this.channels.add(channel);
    for (const [channel, n] of withZeros(this.channels, row.notices_pending)) m.noticesPending.set({ channel }, n);
    for (const [channel, n] of withZeros(this.channels, row.notices_failed)) m.noticesFailed.set({ channel }, n);
    for (const [priority, n] of withZeros(PRIORITIES, row.queue_depth)) m.queueDepth.set({ priority }, n);
  }

  private async readTemporal(): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    const counts = await Promise.all(
      COUNTED_WORKFLOWS.map((type) =>
        this.client.withDeadline(deadline, () => this.client.workflow.count(runningWorkflowsQuery(type, this.env.TEMPORAL_TASK_QUEUE))),
      ),
    );
    COUNTED_WORKFLOWS.forEach((workflow_type, i) => this.metrics.workflowsRunning.set({ workflow_type }, counts[i].count));
  }
}
