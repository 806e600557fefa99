export const TASK_STATUSES = ['new', 'assigned', 'acknowledged', 'in_progress', 'resolved', 'closed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses that still count against an analyst's capacity and show in "my queue". */
export const OPEN_TASK_STATUSES: readonly TaskStatus[] = ['new', 'assigned', 'acknowledged', 'in_progress'];
/** Open and nobody has acknowledged it yet: the SLA escalation clock runs. */
export const UNACKNOWLEDGED_TASK_STATUSES: readonly TaskStatus[] = ['new', 'assigned'];
/** Done with: nothing more escalates. */
export const FINISHED_TASK_STATUSES: readonly TaskStatus[] = ['resolved', 'closed'];

export const isOpenTask = (status: string): boolean => (OPEN_TASK_STATUSES as readonly string[]).includes(status);
export const isUnacknowledgedTask = (status: string): boolean => (UNACKNOWLEDGED_TASK_STATUSES as readonly string[]).includes(status);
export const isFinishedTask = (status: string): boolean => (FINISHED_TASK_STATUSES as readonly string[]).includes(status);

/** `incident`: one per incident, made by its workflow; `digest`: low-priority incidents gathered per interval. */
export type TaskKind = 'incident' | 'digest';

/** What an analyst (REST, Slack, Jira) may resolve a task as. */
export const ANALYST_DISPOSITIONS = ['true_positive', 'false_positive', 'benign'] as const;
export type AnalystDisposition = (typeof ANALYST_DISPOSITIONS)[number];
/**
 * Every disposition a task may carry: an analyst's, or `cleared_by_monitor`, set only by Warden
 * when the monitors resolved every alert of an incident whose rule says `resolve_when_cleared`.
 */
export const DISPOSITIONS = [...ANALYST_DISPOSITIONS, 'cleared_by_monitor'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

export const INCIDENT_STATUSES = ['open', 'acknowledged', 'resolved', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
