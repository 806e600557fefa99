import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { Batcher } from '../common/batcher';
import { ENV, type Env } from '../common/env';
import { NO_METRICS, WARDEN_METRICS, type WardenMetrics } from '../common/metrics';
import { PollLoop } from '../common/poll-loop';
import { pgPool } from '../database/pg';
import { LeaseEnding, withinLease } from '../delivery/channel-gate';
import { Lease, mayStart } from '../delivery/lease';
import { backoffSeconds, isDeadLetter } from '../delivery/retry';
import { runLeased, type Delivered } from '../delivery/run-leased';
import { ALERTS_ADDED_EVERY, DEFAULT_ALERTS_ADDED_EVERY_SECONDS, URGENT_NOTICE_KINDS } from './channels';
import { deliveryFailure, NOTIFIERS, Notifier, OutgoingNotification } from './notifier';
import { NotificationsService } from './notifications.service';
import type { Columns } from '../database/rows';

type LeasedRow = Columns<
  'notifications',
  'id' | 'channel' | 'generation' | 'key' | 'kind' | 'task_id' | 'incident_id' | 'recipients' | 'payload' | 'attempts',
  { payload: { title: string; text: string; data: Record<string, unknown> } }
> & { age_seconds: number };

const BATCH = 50;
/** Tasks whose notices go out at once; one task's notices always go in the order they were recorded. */
const CONCURRENCY = 8;

/**
 * Delivers each channel's recorded notices, in the worker, beside the incident workflows: a slow
 * or dead channel delays its own rows, never another channel's nor a workflow. The lease, backoff and
 * dead-letter rules are the outbox's (src/delivery/): rows are leased with FOR UPDATE SKIP LOCKED,
 * so any number of workers share them, and a delivery's every outside call starts only while the
 * lease has room for it, so no other worker takes a row while it may still be on the wire; what did
 * not start is handed back at once. A task's (or an incident's) rows go in order: a row waits while
 * an older one of its group is leased elsewhere or backing off. Urgent notices (critical, escalation,
 * SLA breach, approvals) are leased first, "alerts added" updates last. A 429 pauses the channel for
 * its Retry-After, here and, through the rows' availability, on every other worker. A notice still
 * failing NOTIFY_MAX_AGE_SECONDS after it was recorded (or re-driven), or refused by the channel
 * itself (a 400), is marked failed and kept for `warden notices redrive`.
 */
@Injectable()
export class NotificationDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(NotificationDispatcher.name);
  private readonly loop: PollLoop;
  /** The driver's pool: an UPDATE … RETURNING answers its rows (TypeORM's query wraps them). */
  private readonly pool: Pool;
  private readonly byName: Map<string, Notifier>;
  /** Monotonic milliseconds, to know how much of a batch's lease is left (a test drives it to run a lease down). */
  clock = (): number => performance.now();

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(NOTIFIERS) notifiers: Notifier[],
    @Inject(ENV) private readonly env: Env,
    notifications: NotificationsService,
    @Optional() @Inject(WARDEN_METRICS) private readonly metrics: WardenMetrics = NO_METRICS,
    @Optional() @Inject(ALERTS_ADDED_EVERY) private readonly alertsAddedEvery: number = DEFAULT_ALERTS_ADDED_EVERY_SECONDS,
  ) {
    for (const n of notifiers) {
      // A lease with no room for one call would deliver nothing, ever.
      if (n.gate && !mayStart(env.NOTIFY_LEASE_SECONDS * 1000, n.gate.callTimeoutMs)) {
        throw new Error(`NOTIFY_LEASE_SECONDS must exceed the ${n.name} timeout by at least a second`);
      }
    }
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
   * Leases a batch of the configured channels' rows (a channel paused by a 429 waits), delivers it
   * group by group, hands back what it did not start, and returns how many it leased.
   */
  async deliverBatch(): Promise<number> {
    const lease = new Lease(this.env.NOTIFY_LEASE_SECONDS, this.clock);
    const open = [...this.byName.values()].filter((n) => !n.gate?.pausedForMs()).map((n) => n.name);
    const { rows } = await this.pool.query<LeasedRow>(LEASE_SQL, [BATCH, this.env.NOTIFY_LEASE_SECONDS, open, URGENT_NOTICE_KINDS]);
    const groups = new Map<string, LeasedRow[]>();
    for (const row of rows.sort((a, b) => Number(a.id) - Number(b.id))) {
      // One incident's thread and one task's issue take their changes in order.
      const group = `${row.channel}:${row.task_id ?? row.incident_id ?? `notice-${row.id}`}`;
      if (!groups.has(group)) groups.set(group, []);
      groups.get(group)!.push(row);
    }
    const { handBack } = await runLeased([...groups.values()], {
      concurrency: CONCURRENCY,
      stopped: () => this.loop.stopped,
      mayStart: (row) => {
        const gate = this.byName.get(row.channel)!.gate;
        return !gate || (gate.pausedForMs() === 0 && lease.mayStart(gate.callTimeoutMs));
      },
      deliver: (row) => this.deliver(row, lease),
    });
    if (handBack.length) {
      // Back in line now, or when its channel's pause ends.
      const waits = handBack.map((r) => (this.byName.get(r.channel)!.gate?.pausedForMs() ?? 0) / 1000);
      await this.pool.query(
        `UPDATE notifications n SET available_at = now() + make_interval(secs => v.wait)
           FROM unnest($1::bigint[], $2::float8[]) v (id, wait) WHERE n.id = v.id`,
        [handBack.map((r) => r.id), waits],
      );
    }
    return rows.length;
  }

  private async deliver(row: LeasedRow, lease: Lease): Promise<Delivered> {
    const notice: OutgoingNotification = {
      // A reopened coalesced row is a new delivery: its channel must not take it for a repeat of the first.
      key: row.generation > 0 ? `${row.key}:${row.generation}` : row.key,
      kind: row.kind,
      recipients: row.recipients,
      taskId: row.task_id,
      incidentId: row.incident_id,
      ...row.payload,
    };
    const notifier = this.byName.get(row.channel)!;
    try {
      await withinLease(lease, () => notifier.send(notice));
    } catch (err) {
      // Cut short before a call the lease had no room for: it goes again at once, nothing counted.
      if (err instanceof LeaseEnding) return 'again';
      const { message, permanent, retryAfterSeconds } = deliveryFailure(err);
      const attempts = row.attempts + 1;
      const failed = isDeadLetter({
        permanent,
        failures: attempts,
        maxFailures: Infinity,
        ageSeconds: row.age_seconds,
        maxAgeSeconds: this.env.NOTIFY_MAX_AGE_SECONDS,
      });
      const delay = backoffSeconds(
        attempts,
        this.env.NOTIFY_MAX_BACKOFF_SECONDS,
        Math.min(retryAfterSeconds, this.env.NOTIFY_MAX_AGE_SECONDS),
      );
      await this.pool.query(
        `UPDATE notifications SET attempts = attempts + 1, last_error = $2, available_at = now() + make_interval(secs => $3),
                failed_at = CASE WHEN $4 THEN now() END
          WHERE id = $1`,
        [row.id, message, delay, failed],
      );
      if (retryAfterSeconds > 0) await this.pauseChannel(notifier, retryAfterSeconds);
      const verdict = failed ? 'failed' : 'retry';
      this.metrics.noticeDelivery(row.channel, verdict);
      this.logger.warn(`notice ${row.key} ${failed ? 'failed for good' : 'will be retried'}: ${message}`);
      // Failed for good, it is out of the line: the later ones go on. Backing off, they wait behind it.
      return failed ? 'next' : 'wait';
    }
    await this.sent.submit(row);
    this.metrics.noticeDelivery(row.channel, 'sent');
    return 'next';
  }

  /** The channel asked to wait: no call of it here before then, and no other worker leases its rows before then. */
  private async pauseChannel(notifier: Notifier, seconds: number): Promise<void> {
    notifier.gate?.pause(seconds);
    await this.pool.query(
      `UPDATE notifications SET available_at = greatest(available_at, now() + make_interval(secs => $2))
        WHERE channel = $1 AND sent_at IS NULL AND failed_at IS NULL`,
      [notifier.name, seconds],
    );
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

/**
 * A batch to lease: due rows of the open channels with no older row of their group (one task's, or
 * one incident's without a task) in flight elsewhere or backing off (an "alerts added" row waiting
 * out its interval holds nothing up), groups with an urgent row first, then by id. Whole groups come
 * in id order, so a cut at the limit takes only a group's later rows. The due conditions are repeated
 * in the locking SELECT, so a row another worker leased meanwhile is re-checked and skipped.
 */
const LEASE_SQL = `
WITH due AS (
  SELECT c.id, c.channel, coalesce(c.task_id::text, c.incident_id::text, c.id::text) AS grp,
         CASE WHEN c.kind = ANY($4::text[]) THEN 0 WHEN c.kind = 'incident.alerts_added' THEN 2 ELSE 1 END AS lane
    FROM notifications c
   WHERE c.sent_at IS NULL AND c.failed_at IS NULL AND c.available_at <= now() AND c.channel = ANY($3::text[])
     AND NOT EXISTS (SELECT 1 FROM notifications p
                      WHERE p.channel = c.channel AND p.id < c.id AND p.sent_at IS NULL AND p.failed_at IS NULL
                        AND p.available_at > now() AND (p.kind <> 'incident.alerts_added' OR p.last_error IS NOT NULL)
                        AND CASE WHEN c.task_id IS NOT NULL THEN p.task_id = c.task_id
                                 ELSE p.task_id IS NULL AND p.incident_id = c.incident_id END)
), picked AS (
  SELECT id FROM due ORDER BY min(lane) OVER (PARTITION BY channel, grp), id LIMIT $1
)
UPDATE notifications n SET available_at = now() + make_interval(secs => $2)
 WHERE n.id IN (SELECT id FROM notifications WHERE id IN (SELECT id FROM picked)
                   AND sent_at IS NULL AND failed_at IS NULL AND available_at <= now() FOR UPDATE SKIP LOCKED)
RETURNING n.id, n.channel, n.generation, n.key, n.kind, n.task_id, n.incident_id, n.recipients, n.payload, n.attempts,
          extract(epoch FROM now() - coalesce(n.redriven_at, n.created_at))::float8 AS age_seconds`;
