import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LEAD_ROLE } from '../assignment/assignment.schema';
import { AssignmentService } from '../assignment/assignment.service';
import { AuditService } from '../audit/audit.service';
import { isFinishedTask, isUnacknowledgedTask } from '../domain';
import { NotificationsService } from '../notifications/notifications.service';
import { DueStep, pendingSteps, TaskClock } from './sla';
import { SLA_CONFIG, type SlaConfig } from './sla.schema';
import type { TaskRow } from './task-view';

export interface NextStep {
  status: string;
  /** The next notice and how long until it is due; null when none is left (acknowledged and resolved, or closed). */
  step: { key: string; dueInMs: number } | null;
}

/**
 * The SLA side of a task for its workflow. Deadlines live in Postgres and the clock is
 * the database's, so the workflow only waits; each step re-reads the task before it
 * notifies, so an acknowledgement that has not reached the workflow yet still counts.
 */
@Injectable()
export class EscalationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SLA_CONFIG) private readonly sla: SlaConfig,
    private readonly assignment: AssignmentService,
    private readonly notifications: NotificationsService,
    private readonly audit: AuditService,
  ) {}

  async next(taskId: string, sent: string[]): Promise<NextStep> {
    const { row, now, steps } = await this.pending(taskId, sent);
    const step = steps[0];
    return { status: row.status, step: step ? { key: step.key, dueInMs: Math.max(0, step.notifyAt.getTime() - now.getTime()) } : null };
  }

  /** Sends the step if it is still due (not acknowledged, not resolved meanwhile); true when it was due. */
  async fire(taskId: string, key: string): Promise<boolean> {
    const { row, now, steps } = await this.pending(taskId, []);
    const step = steps.find((s) => s.key === key);
    if (!step || step.notifyAt.getTime() > now.getTime() + 1000) return false;

    const breach = step.kind === 'breach' ? 'ack' : step.kind === 'resolve_breach' ? 'resolve' : null;
    if (breach) {
      const deadline = breach === 'ack' ? row.ack_deadline : row.resolve_deadline;
      const inserted = await this.dataSource.query<{ id: string }[]>(
        `INSERT INTO sla_breaches (task_id, kind, priority, deadline) VALUES ($1, $2, $3, $4) ON CONFLICT (task_id, kind) DO NOTHING RETURNING id`,
        [taskId, breach, row.priority, deadline],
      );
      if (inserted.length) {
        await this.audit.record({
          actor: 'workflow',
          action: 'sla.breached',
          subjectType: 'task',
          subjectId: taskId,
          after: { kind: breach, priority: row.priority, deadline },
          idempotencyKey: `task-${taskId}:breach:${breach}`,
        });
      }
    }
    const recipients = await this.recipients(step, row);
    await this.notifications.record({
      key: `task-${taskId}:${step.key}`,
      kind: step.kind === 'critical' ? 'critical' : step.kind === 'resolve_breach' ? 'sla_breach' : 'escalation',
      recipients,
      taskId,
      incidentId: row.incident_id,
      title: describe(step, row),
      text: `${row.title} (${row.priority}, ${row.status}${row.assignee_id ? `, assigned to ${row.assignee_id}` : ', unassigned'})`,
      data: {
        step: step.key,
        tier: step.tier,
        priority: row.priority,
        ackDeadline: row.ack_deadline,
        resolveDeadline: row.resolve_deadline,
      },
    });
    await this.audit.record({
      actor: 'workflow',
      action: 'task.escalated',
      subjectType: 'task',
      subjectId: taskId,
      after: { step: step.key, tier: step.tier, recipients },
      idempotencyKey: `task-${taskId}:escalated:${step.key}`,
    });
    return true;
  }

  private async pending(taskId: string, sent: string[]) {
    const [row] = await this.dataSource.query<(TaskRow & { now: Date })[]>(`SELECT t.*, now() AS now FROM tasks t WHERE t.id = $1`, [
      taskId,
    ]);
    if (!row) throw new Error(`task ${taskId} does not exist`);
    const clock: TaskClock = {
      priority: row.priority,
      openedAt: row.opened_at,
      deadlines: { ackBy: row.ack_deadline, resolveBy: row.resolve_deadline },
      acknowledged: row.acknowledged_at !== null || !isUnacknowledgedTask(row.status),
      resolved: isFinishedTask(row.status),
    };
    return { row, now: new Date(row.now), steps: pendingSteps(clock, this.sla, new Set(sent)) };
  }

  private async recipients(step: DueStep, row: TaskRow): Promise<string[]> {
    const assignee = row.assignee_id ? [row.assignee_id] : [];
    if (step.kind === 'resolve_breach') return [...new Set([...assignee, ...(await this.assignment.reachable(LEAD_ROLE))])];
    if (step.role === null) return assignee.length ? assignee : this.assignment.reachable(LEAD_ROLE);
    return this.assignment.reachable(step.role);
  }
}

function describe(step: DueStep, row: TaskRow): string {
  switch (step.kind) {
    case 'critical':
      return `Critical incident opened: ${row.title}`;
    case 'resolve_breach':
      return `${row.priority} task missed its resolve deadline: ${row.title}`;
    default:
      return `${row.priority} task not acknowledged in time (${step.tier}): ${row.title}`;
  }
}
