import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One state change. The table is append-only: a trigger refuses UPDATE and DELETE. */
@Entity({ name: 'audit_log' })
export class AuditEvent {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @CreateDateColumn({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  @Column({ type: 'text' })
  actor: string;

  @Column({ type: 'text' })
  action: string;

  @Column({ name: 'subject_type', type: 'text' })
  subjectType: string;

  @Index('IDX_audit_log_subject_id')
  @Column({ name: 'subject_id', type: 'text' })
  subjectId: string;

  @Column({ type: 'jsonb', nullable: true })
  before: object | null;

  @Column({ type: 'jsonb', nullable: true })
  after: object | null;

  /** Lets a retried activity write its event once. */
  @Index('IDX_audit_log_idempotency_key', { unique: true, where: 'idempotency_key IS NOT NULL' })
  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey: string | null;
}
