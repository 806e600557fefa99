import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Pool } from 'pg';
import { ENV, type Env } from '../common/env';
import { NO_METRICS, WARDEN_METRICS, type WardenMetrics } from '../common/metrics';
import { PollLoop } from '../common/poll-loop';
import { deliveryFor, OUTBOX_KINDS, OutboxKind } from '../domain';
import { incidentGroups, temporalPriority } from './lanes';
import { Lease, mayStart } from '../delivery/lease';
import { backoffSeconds, isDeadLetter } from '../delivery/retry';
import { runLeased, type Delivered } from '../delivery/run-leased';
import type { Columns } from '../database/rows';

type PendingRow = Columns<
  'outbox',
  'id' | 'incident_id' | 'kind' | 'payload' | 'attempts' | 'failures' | 'priority',
  { kind: OutboxKind; payload: Record<string, unknown> }
>;

/**
 * gRPC UNAVAILABLE, DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED: Temporal itself is out of reach
 * (or shedding load), not this row. Such failures never dead-letter a row.
 */
const isUnreachable = (err: unknown) =>
  [14, 4, 8].includes((err as { code?: number }).code ?? (err as { cause?: { code?: number } }).cause?.code ?? -1);

/**
 * Delivers outbox rows to `incident-<id>` (or a playbook run's `playbook-run-<id>`) with
 * signalWithStart, each kind as its signal. Rows are leased with FOR UPDATE SKIP LOCKED, so
 * any number of replicas share the work; the workflow id and the outbox id in the signal make
 * a redelivery harmless.
 */
@Injectable()
export class OutboxDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxDispatcher.name);
  private readonly loop: PollLoop;
  /** Monotonic milliseconds, to know how much of a batch's lease is left (a test drives it to run a lease down). */
  clock = (): number => performance.now();

  /** Its own connections: intake waiting on hot correlation keys must never hold up delivery. */
  private readonly pool: Pool;

  constructor(
    private readonly client: Client,
    @Inject(ENV) private readonly env: Env,
    @Optional() @Inject(WARDEN_METRICS) private readonly metrics: WardenMetrics = NO_METRICS,
  ) {
    // A lease with no room for one signal would deliver nothing, ever.
    if (!mayStart(env.OUTBOX_LEASE_SECONDS * 1000, env.OUTBOX_SIGNAL_TIMEOUT_SECONDS * 1000)) {
      throw new Error('OUTBOX_LEASE_SECONDS must exceed OUTBOX_SIGNAL_TIMEOUT_SECONDS by at least a second');
    }
    this.pool = new Pool({ connectionString: env.DATABASE_URL, max: 2, connectionTimeoutMillis: 5000 });
    this.pool.on('error', (err) => this.logger.warn(`outbox pool: ${err.message}`));
    this.loop = new PollLoop(() => this.tick(), env.OUTBOX_POLL_INTERVAL_MS);
  }

  onApplicationBootstrap(): void {
    if (this.env.OUTBOX_DISPATCHER_ENABLED) this.loop.start();
  }

  /** Runs before any application-shutdown hook, so the pool and the Temporal connection outlive the last delivery. */
  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
    await this.pool.end();
  }

  /** Deliver soon: called after a commit that wrote outbox rows. Only latency depends on it. */
  nudge(): void {
    this.loop.nudge();
  }

  private async tick(): Promise<void> {
    try {
      while (!this.loop.stopped && (await this.deliverBatch()) === this.env.OUTBOX_BATCH_SIZE);
    } catch (err) {
      this.logger.warn(`outbox delivery paused: ${(err as Error).message}`);
    }
  }

  /**
   * Leases one batch, P1 first, then by age (other replicas skip leased rows; a crashed
   * replica's lease runs out). A row waits while an older row of its incident is leased
   * elsewhere or backing off, so an incident's rows reach its workflow in id order; a
   * dead-lettered row is out of the line and holds nothing up.
   * Then signals outside any transaction (src/delivery/runLeased): up to OUTBOX_CONCURRENCY
   * incidents at a time, each incident's rows one after the other. A signal starts only while
   * the lease has room for it to time out, so the lease never runs out mid-batch; rows not
   * started are handed back at once. Returns how many rows it leased, or 0 when Temporal is
   * unreachable so the loop waits for the next poll.
   */
  async deliverBatch(): Promise<number> {
    const lease = new Lease(this.env.OUTBOX_LEASE_SECONDS, this.clock);
    const { rows } = await this.pool.query<PendingRow>(
      `UPDATE outbox o SET available_at = now() + make_interval(secs => $2)
         FROM (SELECT c.id FROM outbox c
                WHERE c.delivered_at IS NULL AND c.available_at <= now()
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.incident_id = c.incident_id AND p.delivered_at IS NULL
                                     AND p.dead_lettered_at IS NULL AND p.id < c.id AND p.available_at > now())
                ORDER BY c.priority, c.id LIMIT $1 FOR UPDATE OF c SKIP LOCKED) AS leased
        WHERE o.id = leased.id
        RETURNING o.id, o.incident_id, o.kind, o.payload, o.attempts, o.failures, o.priority`,
      [this.env.OUTBOX_BATCH_SIZE, this.env.OUTBOX_LEASE_SECONDS],
    );
    const delivered: string[] = [];
    let unreachable: string | undefined;
    const deliver = async (row: PendingRow): Promise<Delivered> => {
      try {
        await this.deliver(row);
        delivered.push(row.id);
        this.metrics.outboxSignal('sent');
        return 'next';
      } catch (err) {
        // The incident's workflow has finished: nothing is left to tell it.
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          delivered.push(row.id);
          return 'next';
        }
        const message = (err as Error).message;
        if (isUnreachable(err)) {
          this.metrics.outboxSignal('unreachable');
          // Logged once per batch, not once per incident in flight; nothing more starts.
          if (!unreachable) this.logger.warn(`outbox: Temporal is out of reach, delivery waits: ${message}`);
          unreachable ??= message;
          await this.retryLater([row], false, message, true);
          return 'halt';
        }
        this.metrics.outboxSignal('refused');
        // Refused by Temporal itself: only Temporal out of reach never dead-letters a row.
        const deadLetter = isDeadLetter({
          permanent: false,
          failures: row.failures + 1,
          maxFailures: this.env.OUTBOX_MAX_FAILURES,
          ageSeconds: 0,
          maxAgeSeconds: Infinity,
        });
        if (deadLetter) {
          // Out of the line: the incident's later rows go on without it.
          await this.deadLetter(row, message);
          return 'next';
        }
        await this.retryLater([row], true, message, true);
        this.logger.warn(`outbox: row ${row.id} (${row.kind}, incident ${row.incident_id}) waits for a retry: ${message}`);
        // The incident's later rows wait behind it (the lease skips them while it backs off).
        return 'wait';
      }
    };
    const { handBack } = await runLeased(incidentGroups(rows), {
      concurrency: this.env.OUTBOX_CONCURRENCY,
      stopped: () => this.loop.stopped,
      mayStart: () => lease.mayStart(this.env.OUTBOX_SIGNAL_TIMEOUT_SECONDS * 1000),
      deliver,
    });
    if (unreachable && handBack.length) await this.retryLater(handBack, false, unreachable, false);
    // Stopping, or the lease too short for another signal: the rest go back in line now, not when the lease runs out.
    else if (handBack.length) {
      await this.pool.query(
        `UPDATE outbox SET available_at = now() WHERE id IN (SELECT id FROM outbox WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE)`,
        [handBack.map((r) => r.id)],
      );
    }
    if (delivered.length) {
      // Locked in id order, like every writer of outbox rows.
      await this.pool.query(
        `UPDATE outbox SET delivered_at = now(), attempts = attempts + 1
          WHERE id IN (SELECT id FROM outbox WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE)`,
        [delivered],
      );
    }
    return unreachable ? 0 : rows.length;
  }

  /**
   * Backs `rows` off by their attempts (the shared formula); each counts an attempt when it was tried
   * (`tried`) — a failure too when Temporal refused it rather than being out of reach (`refused`).
   */
  private async retryLater(rows: PendingRow[], refused: boolean, message: string, tried: boolean): Promise<void> {
    const attempts = rows.map((r) => r.attempts + (tried ? 1 : 0));
    const failures = rows.map((r) => r.failures + (tried && refused ? 1 : 0));
    const delay = backoffSeconds(Math.max(1, ...attempts), this.env.OUTBOX_MAX_BACKOFF_SECONDS);
    await this.pool.query(
      `UPDATE outbox o SET attempts = v.attempts, failures = v.failures, last_error = $4, available_at = now() + make_interval(secs => $5)
         FROM unnest($1::bigint[], $2::int[], $3::int[]) AS v(id, attempts, failures)
        WHERE o.id = v.id AND o.id IN (SELECT id FROM outbox WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE)`,
      [rows.map((r) => r.id), attempts, failures, message.slice(0, 1000), delay],
    );
  }

  /** Refused OUTBOX_MAX_FAILURES times: kept, out of the line, until `warden outbox redrive`. */
  private async deadLetter(row: PendingRow, message: string): Promise<void> {
    await this.pool.query(
      `UPDATE outbox SET attempts = attempts + 1, failures = failures + 1, last_error = $2,
              dead_lettered_at = now(), available_at = 'infinity' WHERE id = $1`,
      [row.id, message.slice(0, 1000)],
    );
    this.logger.error(
      `outbox: row ${row.id} (${row.kind}, incident ${row.incident_id}) dead-lettered after ${row.failures + 1} refusals: ${message}`,
    );
  }

  private async deliver(row: PendingRow): Promise<void> {
    const to = deliveryFor(row);
    // A kind this version does not know (written by a newer replica), or a playbook row without its run: refused like any bad row.
    if (!to)
      throw new Error(
        OUTBOX_KINDS.includes(row.kind) ? `outbox ${row.kind} row without a runId` : `unknown outbox kind ${JSON.stringify(row.kind)}`,
      );
    const payload = { ...row.payload, outboxId: Number(row.id), kind: row.kind };
    await this.client.withDeadline(Date.now() + this.env.OUTBOX_SIGNAL_TIMEOUT_SECONDS * 1000, () =>
      this.client.workflow.signalWithStart(to.workflowType, {
        workflowId: to.workflowId,
        // A finished incident or run workflow is never started again by a late or redelivered signal (a redrive may be).
        workflowIdReusePolicy: to.reuse,
        taskQueue: this.env.TEMPORAL_TASK_QUEUE,
        // Its workflow and activity tasks run ahead of less urgent incidents' (a new workflow only).
        priority: temporalPriority(row.priority),
        args: to.args,
        signal: to.signal,
        signalArgs: [payload],
      }),
    );
  }
}
