import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Pool } from 'pg';
import { ENV, type Env } from '../common/env';
import { incidentWorkflowId, OutboxKind, signalFor } from '../domain';
import { outboxBackoffSeconds } from './outbox';

interface PendingRow {
  id: string;
  incident_id: string;
  kind: OutboxKind;
  payload: Record<string, unknown>;
  attempts: number;
}

const PRUNE_EVERY_MS = 10 * 60 * 1000;

/** gRPC UNAVAILABLE or DEADLINE_EXCEEDED: Temporal itself is out of reach, not this row. */
const isUnreachable = (err: unknown) =>
  [14, 4].includes((err as { code?: number }).code ?? (err as { cause?: { code?: number } }).cause?.code ?? -1);

/**
 * Delivers outbox rows to `incident-<id>` with signalWithStart, each kind as its signal. Rows are leased with
 * FOR UPDATE SKIP LOCKED, so any number of replicas share the work; the workflow id
 * and the outbox id in the signal make a redelivery harmless.
 */
@Injectable()
export class OutboxDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxDispatcher.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private again = false;
  private nextPrune = 0;

  /** Its own connections: intake waiting on hot correlation keys must never hold up delivery. */
  private readonly pool: Pool;

  constructor(
    private readonly client: Client,
    @Inject(ENV) private readonly env: Env,
  ) {
    this.pool = new Pool({ connectionString: env.DATABASE_URL, max: 2, connectionTimeoutMillis: 5000 });
    this.pool.on('error', (err) => this.logger.warn(`outbox pool: ${err.message}`));
  }

  onApplicationBootstrap(): void {
    if (this.env.OUTBOX_DISPATCHER_ENABLED) this.schedule(0);
  }

  /** Runs before any application-shutdown hook, so the pool and the Temporal connection outlive the last delivery. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.pool.end();
  }

  /** Deliver soon: called after a commit that wrote outbox rows. Only latency depends on it. */
  nudge(): void {
    if (!this.env.OUTBOX_DISPATCHER_ENABLED || this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        const more = this.again;
        this.again = false;
        this.schedule(more ? 0 : this.env.OUTBOX_POLL_INTERVAL_MS);
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    try {
      while (!this.stopped && (await this.deliverBatch()) === this.env.OUTBOX_BATCH_SIZE);
      if (Date.now() >= this.nextPrune) await this.prune();
    } catch (err) {
      this.logger.warn(`outbox delivery paused: ${(err as Error).message}`);
    }
  }

  /** Delivered rows are kept for OUTBOX_RETENTION_HOURS (to trace what a workflow was told), then deleted. */
  async prune(): Promise<number> {
    this.nextPrune = Date.now() + PRUNE_EVERY_MS;
    // No RETURNING: only the count is read.
    const { rowCount } = await this.pool.query<Record<string, never>>(
      `DELETE FROM outbox WHERE delivered_at < now() - make_interval(hours => $1)`,
      [this.env.OUTBOX_RETENTION_HOURS],
    );
    return rowCount ?? 0;
  }

  /**
   * Leases one batch (other replicas skip leased rows; a crashed replica's lease runs out),
   * then signals outside any transaction. Returns how many rows it leased, or 0 when
   * Temporal is unreachable so the loop waits for the next poll.
   */
  async deliverBatch(): Promise<number> {
    const { rows } = await this.pool.query<PendingRow>(
      `UPDATE outbox SET available_at = now() + make_interval(secs => $2)
        WHERE id IN (SELECT id FROM outbox WHERE delivered_at IS NULL AND available_at <= now()
                      ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id, incident_id, kind, payload, attempts`,
      [this.env.OUTBOX_BATCH_SIZE, this.env.OUTBOX_LEASE_SECONDS],
    );
    rows.sort((a, b) => Number(a.id) - Number(b.id));
    const delivered: string[] = [];
    let unreachable = false;
    for (const [i, row] of rows.entries()) {
      if (this.stopped) break; // the lease returns the rest
      try {
        await this.deliver(row);
        delivered.push(row.id);
      } catch (err) {
        // The incident's workflow has finished: nothing is left to tell it.
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          delivered.push(row.id);
          continue;
        }
        unreachable = isUnreachable(err);
        await this.retryLater(unreachable ? rows.slice(i) : [row], row.id, (err as Error).message);
        if (unreachable) break;
      }
    }
    if (delivered.length) {
      await this.pool.query(`UPDATE outbox SET delivered_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])`, [delivered]);
    }
    return unreachable ? 0 : rows.length;
  }

  /** Backs off `rows`; only the one that was tried counts an attempt. */
  private async retryLater(rows: PendingRow[], triedId: string, message: string): Promise<void> {
    const attempts = rows.map((r) => r.attempts + (r.id === triedId ? 1 : 0));
    await this.pool.query(
      `UPDATE outbox o SET attempts = v.attempts, last_error = $4, available_at = now() + make_interval(secs => v.delay)
         FROM unnest($1::bigint[], $2::int[], $3::float8[]) AS v(id, attempts, delay) WHERE o.id = v.id`,
      [
        rows.map((r) => r.id),
        attempts,
        attempts.map((n) => outboxBackoffSeconds(Math.max(n, 1), this.env.OUTBOX_MAX_BACKOFF_SECONDS)),
        message.slice(0, 1000),
      ],
    );
    this.logger.warn(`outbox: ${rows.length} row(s) wait for a retry: ${message}`);
  }

  private async deliver(row: PendingRow): Promise<void> {
    const payload = { ...row.payload, outboxId: Number(row.id), kind: row.kind };
    await this.client.withDeadline(Date.now() + this.env.OUTBOX_SIGNAL_TIMEOUT_SECONDS * 1000, () =>
      this.client.workflow.signalWithStart('incidentWorkflow', {
        workflowId: incidentWorkflowId(row.incident_id),
        // A finished incident workflow is never started again by a late or redelivered signal.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        taskQueue: this.env.TEMPORAL_TASK_QUEUE,
        args: [{ incidentId: row.incident_id }],
        signal: signalFor(row.kind),
        signalArgs: [payload],
      }),
    );
  }
}
