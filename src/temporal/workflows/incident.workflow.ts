import { condition, continueAsNew, defineQuery, defineSignal, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { INCIDENT_SIGNALS, isFinishedTask, isMoreUrgent, isUnacknowledgedTask, type Priority } from '../../domain';
import type { StartedIncident } from '../activities';
import { db, firstReleaseProfile, notices } from './activity-profiles';

// One workflow per incident: open its task, assign it, notify, then wait under the SLA,
// escalating step by step, until the task is resolved; then close it with a summary.
// Deadlines, counters and the clock live in Postgres; the workflow only waits and asks.

export interface IncidentWorkflowInput {
  incidentId: string;
  /** Set by continueAsNew: where the previous run stopped. */
  resume?: ResumeState;
}

interface ResumeState {
  taskId: string;
  lastOutboxId: number;
  status: IncidentWorkflowStatus;
}

/** Sent by the outbox dispatcher on a meaningful change only; `outboxId` orders and deduplicates. */
export interface AlertsChanged {
  outboxId: number;
  kind: string;
  severity: string;
  priority: Priority;
  types: string[];
  alertCount: number;
}

/** The monitors resolved every alert of the incident (its rule says `resolve_when_cleared`). */
export interface AlertsCleared {
  outboxId: number;
}

/** An analyst's action, already stored; the signal only wakes the workflow early. */
export interface TaskAction {
  outboxId?: number;
  by: string;
}

export interface Reassigned extends TaskAction {
  assignmentId: number;
  analystId: string;
}

export interface IncidentWorkflowStatus {
  incidentId: string;
  state: 'open' | 'acknowledged' | 'resolved' | 'closed';
  taskId?: string;
  assignee?: string | null;
  severity?: string;
  priority?: Priority;
  types: string[];
  alertCount: number;
  /** Distinct alertsChanged signals applied. */
  changes: number;
  /** SLA notices sent, by step key: what nextStep leaves out. */
  escalations: string[];
  summary?: Record<string, unknown>;
}

export const alertsChangedSignal = defineSignal<[AlertsChanged]>(INCIDENT_SIGNALS.alertsChanged);
export const alertsClearedSignal = defineSignal<[AlertsCleared]>(INCIDENT_SIGNALS.alertsCleared);
export const acknowledgeSignal = defineSignal<[TaskAction]>(INCIDENT_SIGNALS.acknowledge);
export const resolveSignal = defineSignal<[TaskAction]>(INCIDENT_SIGNALS.resolve);
export const reassignSignal = defineSignal<[Reassigned]>(INCIDENT_SIGNALS.reassign);
export const statusQuery = defineQuery<IncidentWorkflowStatus>('status');

/** Far below Temporal's limits; an incident that lives long enough to reach it continues as new. */
const HISTORY_LIMIT = 5000;

export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<IncidentWorkflowStatus> {
  const { incidentId, resume } = input;
  const status: IncidentWorkflowStatus = resume?.status ?? {
    incidentId,
    state: 'open',
    types: [],
    alertCount: 0,
    changes: 0,
    escalations: [],
  };
  let lastOutboxId = resume?.lastOutboxId ?? 0;
  let resolvedBy: string | undefined;
  let newPriority: Priority | undefined;
  /** The monitors cleared the incident since the loop last looked. */
  let cleared = false;
  const assignments: number[] = [];
  // Every signal bumps this, so a wait wakes up to look again.
  let wake = 0;

  setHandler(statusQuery, () => status);
  setHandler(alertsChangedSignal, (change) => {
    // A redelivered or late signal carries an older outbox id: ignore it.
    if (change.outboxId <= lastOutboxId) return;
    lastOutboxId = change.outboxId;
    if (status.priority && isMoreUrgent(change.priority, status.priority)) newPriority = change.priority;
    Object.assign(status, { severity: change.severity, priority: change.priority, types: change.types, alertCount: change.alertCount });
    status.changes++;
    wake++;
  });
  setHandler(alertsClearedSignal, () => {
    cleared = true;
    wake++;
  });
  setHandler(acknowledgeSignal, () => {
    if (status.state === 'open') status.state = 'acknowledged';
    wake++;
  });
  setHandler(resolveSignal, ({ by }) => {
    resolvedBy ??= by;
    wake++;
  });
  setHandler(reassignSignal, ({ assignmentId, analystId }) => {
    if (!assignments.includes(assignmentId)) assignments.push(assignmentId);
    status.assignee = analystId;
    if (status.state === 'acknowledged') status.state = 'open';
    wake++;
  });

  // Runs that began under the first release (no task, two audit entries) finish as they began.
  if (!patched('task-lifecycle')) return firstRelease(status, () => resolvedBy);

  let taskId: string;
  /** The first SLA step, read by the start step; stale once a signal has arrived. */
  let prefetched: StartedIncident['next'] | undefined;
  if (resume) {
    taskId = resume.taskId;
  } else if (patched('start-in-one-step')) {
    const before = wake;
    const started = await db.startIncident({ incidentId });
    taskId = started.taskId;
    status.taskId = taskId;
    status.priority ??= started.priority;
    status.assignee = started.assignment.analystId;
    if (wake === before) prefetched = started.next;
  } else {
    const task = await db.openTask({ incidentId });
    taskId = task.id;
    status.taskId = taskId;
    status.priority ??= task.priority;
    const assignment = await db.assignTask({ taskId, key: `task-${taskId}:assign` });
    status.assignee = assignment.analystId;
    await notices().notifyAssignment({ taskId, assignmentId: assignment.assignmentId });
  }

  for (;;) {
    // Taken first, so a signal that lands while an activity runs still wakes the wait below.
    const seen = wake;
    if (newPriority) {
      const priority = newPriority;
      newPriority = undefined;
      await db.reprioritizeTask({ taskId, priority });
    }
    while (assignments.length > 0) await notices().notifyAssignment({ taskId, assignmentId: String(assignments.shift()) });
    // Decided in PostgreSQL under the task's lock; a resolve there ends the loop through nextStep below.
    if (cleared && patched('resolve-when-cleared')) {
      cleared = false;
      await db.clearByMonitor({ taskId });
    }
    if (resolvedBy) break;
    const info = workflowInfo();
    // A clearing that arrived meanwhile is told once: look at it before continuing as new.
    if ((info.continueAsNewSuggested || info.historyLength > HISTORY_LIMIT) && !cleared) {
      await continueAsNew<typeof incidentWorkflow>({ incidentId, resume: { taskId, lastOutboxId, status } });
    }

    const next = prefetched ?? (await db.nextStep({ taskId, sent: status.escalations }));
    prefetched = undefined;
    if (isFinishedTask(next.status)) break;
    if (!isUnacknowledgedTask(next.status)) status.state = 'acknowledged';
    if (!next.step) {
      await condition(() => wake !== seen);
      continue;
    }
    const woken = next.step.dueInMs > 0 && (await condition(() => wake !== seen, next.step.dueInMs));
    if (!woken && (await notices().fireStep({ taskId, key: next.step.key }))) status.escalations.push(next.step.key);
  }

  status.state = 'resolved';
  status.summary = await db.closeTask({ taskId });
  status.state = 'closed';
  return status;
}

/** The first release's incident workflow, kept for runs that began under it (`test/histories/incident-v0-placeholder.json`). */
async function firstRelease(status: IncidentWorkflowStatus, resolvedBy: () => string | undefined): Promise<IncidentWorkflowStatus> {
  const audit = (actor: string, action: string) =>
    firstReleaseProfile.recordAudit({
      actor,
      action,
      subjectType: 'incident',
      subjectId: status.incidentId,
      idempotencyKey: `incident-${status.incidentId}:${action.replace('incident.', '')}`,
    });
  await audit('workflow', 'incident.workflow_started');
  await condition(() => resolvedBy() !== undefined);
  status.state = 'resolved';
  await audit(resolvedBy()!, 'incident.workflow_closed');
  return status;
}
