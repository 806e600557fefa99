import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NOTIFIERS, Notifier, OutgoingNotification } from './notifier';

/**
 * Sends each notification once per key. The row is written first and marked sent after
 * every channel took it; a crash in between sends again with the same key (at least once),
 * which a channel with delivery ids turns into exactly once.
 */
@Injectable()
export class NotificationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(NOTIFIERS) private readonly notifiers: Notifier[],
  ) {}

  /** Returns false when this key was already sent. */
  async send(n: OutgoingNotification): Promise<boolean> {
    // The no-op update makes RETURNING answer for an existing row too: one round trip either way.
    const [row] = await this.dataSource.query<{ sent_at: Date | null }[]>(
      `INSERT INTO notifications (key, kind, task_id, incident_id, recipients, payload) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING sent_at`,
      [n.key, n.kind, n.taskId, n.incidentId, n.recipients, { title: n.title, text: n.text, data: n.data }],
    );
    if (row.sent_at) return false;
    try {
      for (const notifier of this.notifiers) await notifier.send(n);
    } catch (err) {
      await this.dataSource.query(`UPDATE notifications SET attempts = attempts + 1, last_error = $2 WHERE key = $1`, [
        n.key,
        String((err as Error).message).slice(0, 1000),
      ]);
      throw err;
    }
    await this.dataSource.query(`UPDATE notifications SET attempts = attempts + 1, sent_at = now(), last_error = NULL WHERE key = $1`, [
      n.key,
    ]);
    return true;
  }
}
