import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { pgPool } from '../database/pg';
import {
  ALERTS_ADDED_EVERY,
  alertsAddedKey,
  CHANNEL_SUBSCRIPTIONS,
  channelsFor,
  DEFAULT_ALERTS_ADDED_EVERY_SECONDS,
  subscriptions,
  type ChangeOrigin,
  type ChannelSubscription,
} from './channels';
import { OutgoingNotification } from './notifier';

/**
 * Records each notice once per key and channel; the NotificationDispatcher in the worker
 * delivers each channel's row beside the workflow that asked, so no channel ever holds a
 * workflow, or another channel, up. Delivery is at least once under the key, which a channel
 * with delivery ids or stored message ids turns into exactly once.
 */
@Injectable()
export class NotificationsService {
  private readonly listeners: (() => void)[] = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    /** The channels configured; absent (the CLI's redrive), only the log. */
    @Optional() @Inject(CHANNEL_SUBSCRIPTIONS) private readonly channels: ChannelSubscription[] = [],
    @Optional() @Inject(ALERTS_ADDED_EVERY) private readonly alertsAddedEvery: number = DEFAULT_ALERTS_ADDED_EVERY_SECONDS,
  ) {}

  /**
   * Returns false when this key was recorded before (or no channel takes the kind). `origin`: the
   * channel the change came from, which it is not sent back to. `m`: record inside that transaction.
   */
  async record(n: OutgoingNotification, options: { origin?: ChangeOrigin; m?: EntityManager } = {}): Promise<boolean> {
    const channels = channelsFor(n.kind, options.origin, this.configured());
    if (channels.length === 0) return false;
    const inserted = await (options.m ?? this.dataSource.manager).query<{ id: string }[]>(
      `INSERT INTO notifications (channel, key, kind, task_id, incident_id, recipients, payload)
       SELECT channel, $1, $2, $3, $4, $5, $6 FROM unnest($7::text[]) channel
       ON CONFLICT (channel, key) DO NOTHING RETURNING id`,
      [
        n.key,
        n.kind,
        n.taskId,
        n.incidentId,
        n.recipients,
        { title: n.title, text: n.text, data: { ...n.data, ...(options.origin ? { origin: options.origin } : {}) } },
        channels,
      ],
    );
    if (inserted.length > 0 && !options.m) this.told();
    return inserted.length > 0;
  }

  /**
   * Alerts joined these incidents: one pending "alerts added" row per incident and channel.
   * A row already waiting absorbs the change; one delivered (or in flight) is reopened with a
   * new generation, due no sooner than `alerts_added_every` after its last delivery, so a busy
   * incident updates each channel at most once per interval, rendered as it is then. Milestones
   * (a priority rise, a new type, assignment, escalation, resolution) are notices of their own
   * and go at once.
   */
  async alertsAdded(incidentIds: readonly string[], m?: { query(sql: string, params?: unknown[]): Promise<unknown> }): Promise<void> {
    const channels = channelsFor('incident.alerts_added', undefined, this.configured());
    if (channels.length === 0 || incidentIds.length === 0) return;
    const ids = [...new Set(incidentIds)].sort();
    await (m ?? this.dataSource.manager).query(
      `INSERT INTO notifications (channel, key, kind, incident_id, payload)
       SELECT c, i.key, 'incident.alerts_added', i.id, '{"title":"Alerts added","text":"","data":{}}'
         FROM unnest($1::text[]) c, unnest($2::uuid[], $3::text[]) i (id, key)
       ON CONFLICT (channel, key) DO UPDATE
         SET generation = notifications.generation + 1, sent_at = NULL, failed_at = NULL, last_error = NULL, attempts = 0,
             available_at = CASE WHEN notifications.sent_at IS NULL AND notifications.failed_at IS NULL THEN notifications.available_at
                                 ELSE greatest(now(), coalesce(notifications.sent_at, now()) + make_interval(secs => $4)) END`,
      [channels, ids, ids.map(alertsAddedKey), this.alertsAddedEvery],
    );
    if (!m) this.told();
  }

  /**
   * Puts failed notices back in line (all of them, or an incident's): the dispatcher tries each
   * again at once, with its full maximum age again, and delivers it once. Returns their keys.
   */
  async redrive(scope: { incidentId?: string }): Promise<string[]> {
    const { rows } = await pgPool(this.dataSource).query<{ key: string; channel: string }>(
      `UPDATE notifications SET failed_at = NULL, redriven_at = now(), available_at = now()
        WHERE failed_at IS NOT NULL
          AND ($1::uuid IS NULL OR incident_id = $1)
        RETURNING key, channel`,
      [scope.incidentId ?? null],
    );
    return rows.map((r) => (r.channel === 'log' ? r.key : `${r.key} (${r.channel})`)).sort();
  }

  /** Called after a new notice is recorded in this process: the dispatcher delivers at once instead of at its next poll. */
  onRecorded(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** For a caller that recorded inside its own transaction: after the commit. */
  told(): void {
    for (const listener of this.listeners) listener();
  }

  private configured(): readonly ChannelSubscription[] {
    return this.channels.length > 0 ? this.channels : subscriptions({ webhook: false, slack: false, jira: false, webhooks: [] });
  }
}
