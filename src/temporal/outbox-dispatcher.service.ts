import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client, Connection } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { ENV } from '../config/config.module';
import type { Env } from '../config/env';
import { outboxBackoffSeconds } from './outbox';
import { TEMPORAL_CONNECTION } from './temporal-client.module';
import { incidentWorkflowId } from './workflow-ids';
import type { AlertsChanged } from './workflows/incident.workflow';

interface PendingRow {
  id: string;
  incident_id: string;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
}

const SIGNAL_TIMEOUT_MS = 5000;

/**
 * Delivers outbox rows to `incident-<id>` with signalWithStart. Rows are claimed with
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

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly client: Client,
    @Inject(TEMPORAL_CONNECTION) private readonly connection: Connection,
    @Inject(ENV) private readonly env: Env,
  ) {}

  onApplicationBootstrap(): void {
    if (this.env.OUTBOX_DISPATCHER_ENABLED) this.schedule(0);
  }

  /** Runs before any application-shutdown hook, so the pool and the Temporal connection outlive the last delivery. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
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
    } catch (err) {
      this.logger.warn(`outbox delivery paused: ${(err as Error).message}`);
    }
  }

  /** Claims and delivers one batch; returns how many rows it claimed. */
  async deliverBatch(): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      const rows: PendingRow[] = await m.query(
        `SELECT id, incident_id, kind, payload, attempts FROM outbox
          WHERE delivered_at IS NULL AND available_at <= now()
          ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.env.OUTBOX_BATCH_SIZE],
      );
      const delivered: string[] = [];
      for (const [i, row] of rows.entries()) {
        try {
          await this.deliver(row);
          delivered.push(row.id);
        } catch (err) {
          // Temporal unreachable or failing: push this row and the rest of the batch back.
          const message = (err as Error).message.slice(0, 1000);
          for (const r of rows.slice(i)) {
            const delay = outboxBackoffSeconds(r.attempts + 1, this.env.OUTBOX_MAX_BACKOFF_SECONDS);
            await m.query(
              `UPDATE outbox SET attempts = attempts + 1, last_error = $2, available_at = now() + make_interval(secs => $3) WHERE id = $1`,
              [r.id, message, delay],
            );
          }
          this.logger.warn(`outbox: ${rows.length - i} row(s) not delivered, retrying with backoff: ${message}`);
          break;
        }
      }
      if (delivered.length) {
        await m.query(`UPDATE outbox SET delivered_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])`, [delivered]);
      }
      return rows.length;
    });
  }

  private async deliver(row: PendingRow): Promise<void> {
    const signal: AlertsChanged = { outboxId: Number(row.id), kind: row.kind, ...(row.payload as Omit<AlertsChanged, 'outboxId' | 'kind'>) };
    await this.connection.withDeadline(Date.now() + SIGNAL_TIMEOUT_MS, () =>
      this.client.workflow.signalWithStart('incidentWorkflow', {
        workflowId: incidentWorkflowId(row.incident_id),
        taskQueue: this.env.TEMPORAL_TASK_QUEUE,
        args: [{ incidentId: row.incident_id }],
        signal: 'alertsChanged',
        signalArgs: [signal],
      }),
    );
  }
}
