import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { AssignmentVia } from './assign';

/** Every assignment of a task, in order; the newest is the current one. Reassignment adds a row. */
@Entity({ name: 'task_assignments' })
export class TaskAssignment {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Index('IDX_task_assignments_task_id')
  @Column({ name: 'task_id', type: 'uuid' })
  taskId: string;

  /** null: nobody was free; the task waits for a lead to reassign it. */
  @Column({ name: 'analyst_id', type: 'text', nullable: true })
  analystId: string | null;

  @Column({ type: 'text', nullable: true })
  role: string | null;

  @Column({ type: 'text', nullable: true })
  via: AssignmentVia | null;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'text' })
  actor: string;

  /** Lets a retried activity or request assign once. */
  @Index('UQ_task_assignments_idempotency_key', { unique: true })
  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey: string;

  /** What identifies the request behind a reassignment (its body), so a key reused with another body is refused. */
  @Column({ name: 'request_hash', type: 'text', nullable: true })
  requestHash: string | null;

  @CreateDateColumn({ name: 'assigned_at', type: 'timestamptz' })
  assignedAt: Date;
}
