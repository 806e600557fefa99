import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { pgPool } from '../database/pg';
import { OutgoingNotification } from './notifier';

/**
 * Records each notice once per key; the NotificationDispatcher in the worker delivers it
 * to the channels, beside the workflow that asked, so no channel ever holds a workflow up.
 * Delivery is at least once under the key, which a channel with delivery ids turns into
 * exactly once.
 */
@Injectable()
export class NotificationsService {
  private readonly listeners: (() => void)[] = [];

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Returns false when this key was recorded before. */
  async record(n: OutgoingNotification): Promise<boolean> {
    const inserted = await this.dataSource.query<{ id: string }[]>(
      `INSERT INTO notifications (key, kind, task_id, incident_id, recipients, payload) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (key) DO NOTHING RETURNING id`,
      [n.key, n.kind, n.taskId, n.incidentId, n.recipients, { title: n.title, text: n.text, data: n.data }],
    );
    if (inserted.length > 0) for (const listener of this.listeners) listener();
    return inserted.length > 0;
  }

  /**
   * Puts failed notices back in line (all of them, or an incident's): the dispatcher tries each
   * again at once, with its full maximum age again, and delivers it once. Returns their keys.
   */
  async redrive(scope: { incidentId?: string }): Promise<string[]> {
    const { rows } = await pgPool(this.dataSource).query<{ key: string }>(
      `UPDATE notifications SET failed_at = NULL, redriven_at = now(), available_at = now()
        WHERE failed_at IS NOT NULL
          AND ($1::uuid IS NULL OR incident_id = $1)
        RETURNING key`,
      [scope.incidentId ?? null],
    );
    return rows.map((r) => r.key).sort();
  }

  /** Called after a new notice is recorded in this process: the dispatcher delivers at once instead of at its next poll. */
  onRecorded(listener: () => void): void {
    this.listeners.push(listener);
  }
}
