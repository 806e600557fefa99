import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { Batcher } from '../common/batcher';
import { ENV, type Env } from '../common/env';
import { PollLoop } from '../common/poll-loop';
import { runBounded } from '../common/run-bounded';
import { pgPool } from '../database/pg';
import { deliveryFailure, NOTIFIERS, Notifier, OutgoingNotification } from './notifier';
import { NotificationsService } from './notifications.service';

interface LeasedRow {
  id: string;
  key: string;
  kind: string;
  task_id: string | null;
  incident_id: string | null;
  recipients: string[];
  payload: { title: string; text: string; data: Record<string, unknown> };
}

const BATCH = 50;
/** Tasks whose notices go out at once; one task's notices always go in the order they were recorded. */
const CONCURRENCY = 8;

/** Delay before the next attempt: exponential from 2 s, capped. */
export const noticeBackoffSeconds = (attempts: number, maxSeconds: number): number => Math.min(maxSeconds, 2 ** Math.max(1, attempts));

/**
 * Delivers recorded notices to every channel, in the worker, beside the incident workflows:
 * a slow or dead channel delays its own notices and never a workflow. Notices are leased
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

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(NOTIFIERS) private readonly notifiers: Notifier[],
    @Inject(ENV) private readonly env: Env,
    notifications: NotificationsService,
  ) {
    this.pool = pgPool(dataSource);
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

  /** Leases a batch, delivers it task by task, and returns how many it leased. */
  async deliverBatch(): Promise<number> {
    const { rows } = await this.pool.query<LeasedRow>(
      `UPDATE notifications SET available_at = now() + make_interval(secs => $2)
        WHERE id IN (SELECT id FROM notifications WHERE sent_at IS NULL AND failed_at IS NULL AND available_at <= now()
                      ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id, key, kind, task_id, incident_id, recipients, payload`,
      [BATCH, this.env.NOTIFY_LEASE_SECONDS],
    );
    const byTask = new Map<string, LeasedRow[]>();
    for (const row of rows.sort((a, b) => Number(a.id) - Number(b.id))) {
      const group = row.task_id ?? `notice-${row.id}`;
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
      key: row.key,
      kind: row.kind,
      recipients: row.recipients,
      taskId: row.task_id,
      incidentId: row.incident_id,
      ...row.payload,
    };
    try {
      for (const notifier of this.notifiers) await notifier.send(notice);
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
      this.logger.warn(`notice ${row.key} ${verdict === 'failed' ? 'failed for good' : 'will be retried'}: ${message}`);
      return verdict;
    }
    await this.sent.submit(row.id);
    return 'sent';
  }

  /** Deliveries that finish together are marked sent in one statement. */
  private readonly sent = new Batcher<string, void>(async (ids) => {
    await this.pool.query(
      `UPDATE notifications SET attempts = attempts + 1, sent_at = now(), last_error = NULL WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    return ids.map(() => undefined);
  }, BATCH);
}
