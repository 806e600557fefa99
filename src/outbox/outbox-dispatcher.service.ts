import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Pool } from 'pg';
import { ENV, type Env } from '../common/env';
import { NO_METRICS, WARDEN_METRICS, type WardenMetrics } from '../common/metrics';
import { PollLoop } from '../common/poll-loop';
import { deliveryFor, OUTBOX_KINDS, OutboxKind } from '../domain';
import { runBounded } from '../common/run-bounded';
import { incidentGroups, temporalPriority } from './lanes';
import { isDeadLetter, mayStartSignal, outboxBackoffSeconds } from './outbox';
import type { Columns } from '../database/rows';

type PendingRow = Columns<
  'outbox',
  'id' | 'incident_id' | 'kind' | 'payload' | 'attempts' | 'failures' | 'priority',
  { kind: OutboxKind; payload: Record<string, unknown> }
>;

const PRUNE_EVERY_MS = 10 * 60 * 1000;

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
  private nextPrune = 0;
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
    if (!mayStartSignal(env.OUTBOX_LEASE_SECONDS * 1000, env.OUTBOX_SIGNAL_TIMEOUT_SECONDS * 1000)) {
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
   * Leases one batch, P1 first, then by age (other replicas skip leased rows; a crashed
   * replica's lease runs out). A row waits while an older row of its incident is leased
   * elsewhere or backing off, so an incident's rows reach its workflow in id order; a
   * dead-lettered row is out of the line and holds nothing up.
   * Then signals outside any transaction: up to OUTBOX_CONCURRENCY incidents at a time, each
   * incident's rows one after the other. A signal starts only while the lease has room for
   * it to time out (mayStartSignal), so the lease never runs out mid-batch; rows not started
   * are handed back at once. Returns how many rows it leased, or 0 when Temporal is
   * unreachable so the loop waits for the next poll.
   */
  async deliverBatch(): Promise<number> {
    // Read before the lease is taken: the lease's end by this clock is never later than the database's.
    const leaseEnds = this.clock() + this.env.OUTBOX_LEASE_SECONDS * 1000;
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
    const mayStart = () => mayStartSignal(leaseEnds - this.clock(), this.env.OUTBOX_SIGNAL_TIMEOUT_SECONDS * 1000);
    const delivered: string[] = [];
    const handBack: PendingRow[] = [];
    let unreachable: string | undefined;
    const deliverIncident = async (group: PendingRow[]) => {
      for (const [i, row] of group.entries()) {
        if (!mayStart()) {
          handBack.push(...group.slice(i));
          return;
        }
        try {
          await this.deliver(row);
          delivered.push(row.id);
          this.metrics.outboxSignal('sent');
        } catch (err) {
          // The incident's workflow has finished: nothing is left to tell it.
          if (err instanceof WorkflowExecutionAlreadyStartedError) {
            delivered.push(row.id);
            continue;
          }
          this.metrics.outboxSignal(isUnreachable(err) ? 'unreachable' : 'refused');
          const message = (err as Error).message;
          if (!isUnreachable(err) && isDeadLetter(row.failures + 1, this.env.OUTBOX_MAX_FAILURES)) {
            // Out of the line: the incident's later rows go on without it.
            await this.deadLetter(row, message);
            continue;
          }
          // Temporal out of reach is logged once per batch, not once per incident in flight.
          const logged = isUnreachable(err) && !!unreachable;
          if (isUnreachable(err)) unreachable ??= message;
          // The incident's later rows wait with it, so they never overtake it.
          await this.retryLater(group.slice(i), row.id, !isUnreachable(err), message, !logged);
          return;
        }
      }
    };
    const notStarted = await runBounded(
      incidentGroups(rows),
      this.env.OUTBOX_CONCURRENCY,
      deliverIncident,
      () => this.loop.stopped || !!unreachable || !mayStart(),
    );
    if (unreachable && notStarted.length) await this.retryLater(notStarted.flat(), undefined, false, unreachable, false);
    // Stopping, or the lease too short for another signal: the rest go back in line now, not when the lease runs out.
    else handBack.push(...notStarted.flat());
    if (handBack.length) {
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
   * Backs off `rows` together, by the attempts of the one that was tried; only that one counts an
   * attempt, and a failure too when Temporal refused it (`refused`) rather than being out of reach.
   */
  private async retryLater(rows: PendingRow[], triedId: string | undefined, refused: boolean, message: string, log = true): Promise<void> {
    const attempts = rows.map((r) => r.attempts + (r.id === triedId ? 1 : 0));
    const failures = rows.map((r) => r.failures + (r.id === triedId && refused ? 1 : 0));
    const delay = outboxBackoffSeconds(Math.max(1, ...attempts), this.env.OUTBOX_MAX_BACKOFF_SECONDS);
    await this.pool.query(
      `UPDATE outbox o SET attempts = v.attempts, failures = v.failures, last_error = $4, available_at = now() + make_interval(secs => $5)
         FROM unnest($1::bigint[], $2::int[], $3::int[]) AS v(id, attempts, failures)
        WHERE o.id = v.id AND o.id IN (SELECT id FROM outbox WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE)`,
      [rows.map((r) => r.id), attempts, failures, message.slice(0, 1000), delay],
    );
    if (log) this.logger.warn(`outbox: ${rows.length} row(s) wait for a retry: ${message}`);
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
