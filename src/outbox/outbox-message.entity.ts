import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { OutboxKind } from '../domain';

/** Written in the ingest transaction (or an analyst's action); delivered to the incident's workflow by the dispatcher. */
@Entity({ name: 'outbox' })
@Index('IDX_outbox_pending', ['availableAt'], { where: 'delivered_at IS NULL' })
/** The dispatcher's lease walks this: P1 first, then age. */
@Index('IDX_outbox_lanes', ['priority', 'id'], { where: 'delivered_at IS NULL' })
/** Dead letters are few: /health counts them and `warden outbox redrive` finds them through this. */
@Index('IDX_outbox_dead_lettered', ['deadLetteredAt'], { where: 'dead_lettered_at IS NOT NULL' })
export class OutboxMessage {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Index('IDX_outbox_incident_id')
  @Column({ name: 'incident_id', type: 'uuid' })
  incidentId: string;

  @Column({ type: 'text' })
  kind: OutboxKind;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  payload: Record<string, unknown>;

  /** Its lane: the incident's priority ('P1'…'P4', text order is urgency order), raised with the incident. */
  @Column({ type: 'text', default: 'P4' })
  priority: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** The next delivery attempt; pushed back with each failure. */
  @Column({ name: 'available_at', type: 'timestamptz', default: () => 'now()' })
  availableAt: Date;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  /** Attempts Temporal refused (not counting those it could not be reached for); OUTBOX_MAX_FAILURES of them dead-letter the row. */
  @Column({ type: 'integer', default: 0 })
  failures: number;

  /**
   * Refused OUTBOX_MAX_FAILURES times: out of the line (available_at 'infinity') until
   * `warden outbox redrive`; the incident's later rows go on without it.
   */
  @Column({ name: 'dead_lettered_at', type: 'timestamptz', nullable: true })
  deadLetteredAt: Date | null;
}
