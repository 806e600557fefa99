import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Disposition, TaskKind, TaskStatus } from '../domain';
import type { ChecklistStep } from './checklists';

/** The unit of work an analyst acknowledges and resolves. */
@Entity({ name: 'tasks' })
@Index('UQ_tasks_incident_id', ['incidentId'], { unique: true, where: "kind = 'incident'" })
@Index('UQ_tasks_digest_key', ['digestKey'], { unique: true, where: 'digest_key IS NOT NULL' })
@Index('IDX_tasks_queue', ['assigneeId', 'status', 'priority', 'ackDeadline'])
@Index('IDX_tasks_resolved_at', ['resolvedAt'], { where: 'resolved_at IS NOT NULL' })
export class Task {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text', default: 'incident' })
  kind: TaskKind;

  /** The incident this task works; null for digests, whose incidents point at the task. */
  @Column({ name: 'incident_id', type: 'uuid', nullable: true })
  incidentId: string | null;

  /** The digest interval this task gathers (its scheduled time): one digest per interval. */
  @Column({ name: 'digest_key', type: 'text', nullable: true })
  digestKey: string | null;

  @Column({ type: 'text' })
  title: string;

  @Column({ type: 'text' })
  priority: string;

  @Column({ type: 'text', default: 'new' })
  status: TaskStatus;

  /** The role the rule asked for; the assignee may hold a higher one (fallback, on call). */
  @Column({ name: 'assign_role', type: 'text' })
  assignRole: string;

  @Column({ name: 'assignee_id', type: 'text', nullable: true })
  assigneeId: string | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  checklist: ChecklistStep[];

  @Index('IDX_tasks_opened_at')
  @Column({ name: 'opened_at', type: 'timestamptz' })
  openedAt: Date;

  @Column({ name: 'ack_deadline', type: 'timestamptz' })
  ackDeadline: Date;

  @Column({ name: 'resolve_deadline', type: 'timestamptz' })
  resolveDeadline: Date;

  @Column({ name: 'assigned_at', type: 'timestamptz', nullable: true })
  assignedAt: Date | null;

  @Column({ name: 'acknowledged_at', type: 'timestamptz', nullable: true })
  acknowledgedAt: Date | null;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt: Date | null;

  @Column({ type: 'text', nullable: true })
  disposition: Disposition | null;

  /** The analyst's own words on resolving. */
  @Column({ type: 'text', nullable: true })
  resolution: string | null;

  /** Written by the workflow when the task closes: times, breaches, escalations, assignments. */
  @Column({ name: 'closing_summary', type: 'jsonb', nullable: true })
  closingSummary: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
