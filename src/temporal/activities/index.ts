import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AssignmentService } from '../../assignment/assignment.service';
import type { AuditRecord, AuditService } from '../../audit/audit.service';
import { Refusal, type Priority } from '../../domain';
import { PermanentActionError } from '../../containment/adapter';
import type { RunStatus, StepStatus } from '../../playbooks/playbook';
import type { PlaybookRunsService } from '../../playbooks/runs.service';
import type { DigestService } from '../../tasks/digest.service';
import type { ClearingVerdict } from '../../tasks/clearing';
import type { EscalationService, NextStep } from '../../tasks/escalation.service';
import type { TaskView } from '../../tasks/task-view';
import type { TasksService } from '../../tasks/tasks.service';

export interface ActivityDeps {
  audit: AuditService;
  tasks: TasksService;
  assignment: AssignmentService;
  escalation: EscalationService;
  digests: DigestService;
  playbooks: PlaybookRunsService;
}

export type { ActionOutcome, ApprovalStatus, BegunRun, PreparedStep, RequestedApproval, ScheduledStep } from '../../playbooks/runs.service';

/**
 * A refusal retrying cannot fix ends the activity at once (the one mapping of a domain refusal to
 * Temporal: type `Refusal:<kind>`); anything else is retried by the activity's policy.
 */
async function final<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof PermanentActionError) throw ApplicationFailure.nonRetryable(err.message, 'PermanentActionError');
    if (err instanceof Refusal) throw ApplicationFailure.nonRetryable(err.detail, `Refusal:${err.kind}`);
    throw err;
  }
}

export interface AssignmentResult {
  assignmentId: string;
  analystId: string | null;
  reason: string;
}

/** What an incident's workflow needs from its first step. */
export interface StartedIncident {
  taskId: string;
  priority: Priority;
  assignment: AssignmentResult;
  /** The first SLA step, read after the assignment. */
  next: NextStep;
}

/**
 * Activities are thin adapters over Nest services. Each is idempotent: keyed by task and
 * step in Postgres, so a retry after a crash repeats nothing.
 */
export function createActivities(deps: ActivityDeps) {
  // Retrying cannot make a missing incident appear.
  const openTask = ({ incidentId }: { incidentId: string }): Promise<TaskView> => final(() => deps.tasks.openIncidentTask(incidentId));

  async function assignTask({ taskId, key }: { taskId: string; key: string }): Promise<AssignmentResult> {
    const a = await deps.assignment.assign({ taskId, idempotencyKey: key, actor: 'workflow' });
    return { assignmentId: a.id, analystId: a.analystId, reason: a.reason };
  }

  return {
    /** The first release's only step (keyed, so a retry records nothing twice). */
    async recordAudit(event: AuditRecord): Promise<void> {
      await deps.audit.record(event);
    },

    openTask,
    assignTask,

    /**
     * openTask, assignTask, the assignment notice and the first nextStep as one step: a new
     * incident costs its workflow one activation instead of four. Each part is keyed, so a
     * retry repeats nothing.
     */
    async startIncident({ incidentId }: { incidentId: string }): Promise<StartedIncident> {
      const task = await openTask({ incidentId });
      const assignment = await assignTask({ taskId: task.id, key: `task-${task.id}:assign` });
      await deps.assignment.notify(task.id, assignment.assignmentId);
      // The incident's playbooks start beside it, through the outbox: they never hold up its SLA loop.
      await deps.playbooks.schedule(incidentId);
      return { taskId: task.id, priority: task.priority, assignment, next: await deps.escalation.next(task.id, []) };
    },

    async notifyAssignment({ taskId, assignmentId }: { taskId: string; assignmentId: string }): Promise<void> {
      await deps.assignment.notify(taskId, assignmentId);
    },

    async nextStep({ taskId, sent }: { taskId: string; sent: string[] }): Promise<NextStep> {
      return deps.escalation.next(taskId, sent);
    },

    async fireStep({ taskId, key }: { taskId: string; key: string }): Promise<boolean> {
      return deps.escalation.fire(taskId, key);
    },

    async reprioritizeTask({ taskId, priority }: { taskId: string; priority: Priority }): Promise<TaskView> {
      return deps.tasks.reprioritize(taskId, priority);
    },

    /** The monitors cleared the incident: resolves its task `cleared_by_monitor` unless acknowledged or firing again. */
    async clearByMonitor({ taskId }: { taskId: string }): Promise<ClearingVerdict> {
      return deps.tasks.clearByMonitor(taskId);
    },

    async closeTask({ taskId }: { taskId: string }): Promise<Record<string, unknown>> {
      return deps.tasks.close(taskId);
    },

    // Playbook runs (playbookRunWorkflow): keyed by run and step, see PlaybookRunsService.
    beginRun: ({ runId }: { runId: string }) => final(() => deps.playbooks.begin(runId)),
    prepareStep: ({ runId, stepId }: { runId: string; stepId: string }) => final(() => deps.playbooks.prepare(runId, stepId)),
    requestApproval: ({ runId, stepId }: { runId: string; stepId: string }) => final(() => deps.playbooks.requestApproval(runId, stepId)),
    settleApproval: ({ approvalId, outcome }: { approvalId: string; outcome: 'timed_out' | 'cancelled' }) =>
      deps.playbooks.settleApproval(approvalId, outcome),
    performStep: ({ runId, stepId }: { runId: string; stepId: string }) =>
      final(() => deps.playbooks.perform(runId, stepId, Context.current().info.attempt)),
    compensateStep: ({ runId, stepId }: { runId: string; stepId: string }) =>
      final(() => deps.playbooks.compensate(runId, stepId, Context.current().info.attempt)),
    compensationFailed: ({ runId, stepId, error }: { runId: string; stepId: string; error: string }) =>
      deps.playbooks.compensationFailed(runId, stepId, error),
    markStep: ({ runId, stepId, status, reason }: { runId: string; stepId: string; status: StepStatus; reason?: string }) =>
      deps.playbooks.mark(runId, stepId, status, reason),
    markRun: ({ runId, status, reason, finished }: { runId: string; status: RunStatus; reason?: string; finished: boolean }) =>
      deps.playbooks.finish(runId, status, reason, finished),
    // A run's redrive (playbookRedriveWorkflow).
    failedCompensations: ({ runId }: { runId: string }) => deps.playbooks.failedCompensations(runId),
    settleCompensation: ({ runId }: { runId: string }) => deps.playbooks.settleCompensation(runId),

    async gatherDigest({ digestKey }: { digestKey: string }): Promise<TaskView | null> {
      return deps.digests.gather(digestKey);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
