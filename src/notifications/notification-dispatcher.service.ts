import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { Batcher } from '../common/batcher';
import { ENV, type Env } from '../common/env';
import { NO_METRICS, WARDEN_METRICS, type WardenMetrics } from '../common/metrics';
import { PollLoop } from '../common/poll-loop';
import { runBounded } from '../common/run-bounded';
import { pgPool } from '../database/pg';
import { ALERTS_ADDED_EVERY, DEFAULT_ALERTS_ADDED_EVERY_SECONDS } from './channels';
import { deliveryFailure, NOTIFIERS, Notifier, OutgoingNotification } from './notifier';
import { NotificationsService } from './notifications.service';
import type { Columns } from '../database/rows';

type LeasedRow = Columns<
  'notifications',
  'id' | 'channel' | 'generation' | 'key' | 'kind' | 'task_id' | 'incident_id' | 'recipients' | 'payload',
  { payload: { title: string; text: string; data: Record<string, unknown> } }
>;

const BATCH = 50;
/** Tasks whose notices go out at once; one task's notices always go in the order they were recorded. */
const CONCURRENCY = 8;

/**
 * Delivers each channel's recorded notices, in the worker, beside the incident workflows:
 * a slow or dead channel delays its own rows, never another channel's nor a workflow. Notices are leased
 * with FOR UPDATE SKIP LOCKED, so any number of workers share them; a failure backs off
 * (no sooner than the channel's Retry-After), and a notice still failing NOTIFY_MAX_AGE_SECONDS
 * after it was recorded (or re-driven) is marked failed. A permanent failure (the channel
 * refused the notice itself, e.g. a 400) is marked failed at once and never retried.
 */
@Injectable()
export class NotificationDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(NotificationDispatcher.name);
  private readonly loop: PollLoop;
  /** The driver's pool: an UPDATE … RETURNING answers its rows (TypeORM's query wraps them). */
  private readonly pool: Pool;
  private readonly byName: Map<string, Notifier>;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(NOTIFIERS) notifiers: Notifier[],
    @Inject(ENV) private readonly env: Env,
    notifications: NotificationsService,
    @Optional() @Inject(WARDEN_METRICS) private readonly metrics: WardenMetrics = NO_METRICS,
    @Optional() @Inject(ALERTS_ADDED_EVERY) private readonly alertsAddedEvery: number = DEFAULT_ALERTS_ADDED_EVERY_SECONDS,
  ) {
    this.pool = pgPool(dataSource);
    this.byName = new Map(notifiers.map((n) => [n.name, n]));
    this.loop = new PollLoop(() => this.tick(), env.NOTIFY_POLL_INTERVAL_MS);
    notifications.onRecorded(() => this.loop.nudge());
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  private async tick(): Promise<void> {
    try {
      while (!this.loop.stopped && (await this.deliverBatch()) === BATCH);
    } catch (err) {
      this.logger.warn(`notice delivery paused: ${(err as Error).message}`);
    }
  }

  /**
   * Leases a batch of the configured channels' rows, delivers it channel and task by task, and
   * returns how many it leased. Rows of a channel no longer configured wait for it.
   */
  async deliverBatch(): Promise<number> {
    const { rows } = await this.pool.query<LeasedRow>(
      `UPDATE notifications SET available_at = now() + make_interval(secs => $2)
        WHERE id IN (SELECT id FROM notifications WHERE sent_at IS NULL AND failed_at IS NULL AND available_at <= now()
                        AND channel = ANY($3::text[])
                      ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id, channel, generation, key, kind, task_id, incident_id, recipients, payload`,
      [BATCH, this.env.NOTIFY_LEASE_SECONDS, [...this.byName.keys()]],
    );
    const byTask = new Map<string, LeasedRow[]>();
    for (const row of rows.sort((a, b) => Number(a.id) - Number(b.id))) {
      // One incident's thread and one task's issue take their changes in order.
      const group = `${row.channel}:${row.task_id ?? row.incident_id ?? `notice-${row.id}`}`;
      if (!byTask.has(group)) byTask.set(group, []);
      byTask.get(group)!.push(row);
    }
    await runBounded(
      [...byTask.values()],
      CONCURRENCY,
      (group) => this.deliverInOrder(group),
      () => this.loop.stopped,
    );
    return rows.length;
  }

  /**
   * One task's notices in order; after a failure the later ones wait, their lease handed back so they
   * go next time. A notice that failed for good is out of the line: the later ones go on.
   */
  private async deliverInOrder(group: LeasedRow[]): Promise<void> {
    for (const [i, row] of group.entries()) {
      if ((await this.deliver(row)) !== 'retry') continue;
      const rest = group.slice(i + 1).map((r) => r.id);
      if (rest.length) await this.pool.query(`UPDATE notifications SET available_at = now() WHERE id = ANY($1::bigint[])`, [rest]);
      return;
    }
  }

  private async deliver(row: LeasedRow): Promise<'sent' | 'retry' | 'failed'> {
    const notice: OutgoingNotification = {
      // A reopened coalesced row is a new delivery: its channel must not take it for a repeat of the first.
      key: row.generation > 0 ? `${row.key}:${row.generation}` : row.key,
      kind: row.kind,
      recipients: row.recipients,
      taskId: row.task_id,
      incidentId: row.incident_id,
      ...row.payload,
    };
    try {
      await this.byName.get(row.channel)!.send(notice);
    } catch (err) {
      const { message, permanent, retryAfterSeconds } = deliveryFailure(err);
      // The age counts from the last re-drive, so a re-driven notice gets its full time again.
      const {
        rows: [failed],
      } = await this.pool.query<{ failed: boolean }>(
        `UPDATE notifications SET attempts = attempts + 1, last_error = $2,
            available_at = now() + make_interval(secs => greatest(least($6::float8, $3::float8), least($4::float8, 2 ^ greatest(1, attempts + 1)))),
            failed_at = CASE WHEN $5 OR coalesce(redriven_at, created_at) < now() - make_interval(secs => $3) THEN now() END
          WHERE id = $1 RETURNING failed_at IS NOT NULL AS failed`,
        [row.id, message, this.env.NOTIFY_MAX_AGE_SECONDS, this.env.NOTIFY_MAX_BACKOFF_SECONDS, permanent, retryAfterSeconds],
      );
      const verdict = failed?.failed ? 'failed' : 'retry';
      this.metrics.noticeDelivery(row.channel, verdict);
      this.logger.warn(`notice ${row.key} ${verdict === 'failed' ? 'failed for good' : 'will be retried'}: ${message}`);
      return verdict;
    }
    await this.sent.submit(row);
    this.metrics.noticeDelivery(row.channel, 'sent');
    return 'sent';
  }

  /**
   * Deliveries that finish together are marked sent in one statement. A row reopened while in
   * flight (a later generation: only "alerts added" rows are reopened) is not: it goes again with
   * the later change once `alerts_added_every` has passed since this delivery, as any reopened row.
   */
  private readonly sent = new Batcher<LeasedRow, void>(async (rows) => {
    await this.pool.query(
      `UPDATE notifications n SET attempts = n.attempts + 1, last_error = NULL,
              sent_at = CASE WHEN n.generation = d.generation THEN now() END,
              available_at = CASE WHEN n.generation = d.generation THEN n.available_at ELSE now() + make_interval(secs => $3) END
         FROM unnest($1::bigint[], $2::int[]) d (id, generation) WHERE n.id = d.id`,
      [rows.map((r) => r.id), rows.map((r) => r.generation), this.alertsAddedEvery],
    );
    return rows.map(() => undefined);
  }, BATCH);
}
