import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { SlaBreach as SlaBreachKind } from './sla';

/** A missed ack or resolve deadline; at most one of each kind per task. */
@Entity({ name: 'sla_breaches' })
@Index('UQ_sla_breaches_task_kind', ['taskId', 'kind'], { unique: true })
export class SlaBreach {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ name: 'task_id', type: 'uuid' })
  taskId: string;

  @Column({ type: 'text' })
  kind: SlaBreachKind;

  @Column({ type: 'text' })
  priority: string;

  @Column({ type: 'timestamptz' })
  deadline: Date;

  @Index('IDX_sla_breaches_recorded_at')
  @CreateDateColumn({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt: Date;
}
