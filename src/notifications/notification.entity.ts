import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One delivery of a notice to one channel: each workflow step's notice is keyed so a retried step never
 * notifies twice, and recorded once per channel, so a dead channel delays only its own rows.
 */
@Entity({ name: 'notifications' })
@Index('UQ_notifications_channel_key', ['channel', 'key'], { unique: true })
@Index('IDX_notifications_pending', ['availableAt'], { where: 'sent_at IS NULL AND failed_at IS NULL' })
/** Failed notices are few: /health counts them and `warden notices redrive` finds them through this. */
@Index('IDX_notifications_failed', ['failedAt'], { where: 'failed_at IS NOT NULL' })
// Notices of an incident rather than a task (approval requests, rollback failures), for the incident detail.
@Index('IDX_notifications_incident_id', ['incidentId'], { where: 'task_id IS NULL' })
export class Notification {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ type: 'text' })
  key: string;

  /** `log`, `webhook`, `slack`, `jira`, or `webhook:<name>` (src/notifications/channels.ts). */
  @Column({ type: 'text', default: 'log' })
  channel: string;

  /** Bumped when a coalesced row is reopened by a later change; it is sent only for the generation delivered. */
  @Column({ type: 'integer', default: 0 })
  generation: number;

  /** The notice kinds and state events of src/notifications/channels.ts. */
  @Column({ type: 'text' })
  kind: string;

  @Index('IDX_notifications_task_id')
  @Column({ name: 'task_id', type: 'uuid', nullable: true })
  taskId: string | null;

  @Column({ name: 'incident_id', type: 'uuid', nullable: true })
  incidentId: string | null;

  /** Analyst ids. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  recipients: string[];

  @Column({ type: 'jsonb', default: () => "'{}'" })
  payload: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt: Date | null;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  /** When the dispatcher may take it next: after its lease runs out, or its backoff. */
  @Column({ name: 'available_at', type: 'timestamptz', default: () => 'now()' })
  availableAt: Date;

  /** Refused by a channel, or still failing NOTIFY_MAX_AGE_SECONDS after it was recorded (or re-driven): delivered no more. */
  @Column({ name: 'failed_at', type: 'timestamptz', nullable: true })
  failedAt: Date | null;

  /** When `warden notices redrive` last put it back; its maximum age counts from here. */
  @Column({ name: 'redriven_at', type: 'timestamptz', nullable: true })
  redrivenAt: Date | null;
}
