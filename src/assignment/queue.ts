import { comparePriority, type Priority } from '../domain';
import { type AssignmentDecision, chooseAssignee, type RoundRobinCursor } from './assign';
import type { AssignmentConfig } from './assignment.schema';

/** A task nobody could take yet, as the capacity queue sees it. */
export interface QueuedTask {
  id: string;
  priority: Priority;
  /** Age in the queue counts from when the task opened. */
  openedAt: Date;
  role: string;
  alertTypes: readonly string[];
  /** The teams owning the incident's assets: their members first. */
  teams?: readonly string[];
}

export interface QueuePlanInput<T extends QueuedTask> {
  config: AssignmentConfig;
  tasks: readonly T[];
  /** Open tasks per analyst id before any of these is placed. */
  openTasks: Readonly<Record<string, number>>;
  cursor: RoundRobinCursor;
  now: Date;
}

export interface QueuePlacement<T extends QueuedTask> {
  task: T;
  decision: AssignmentDecision;
}

/** Queue order: the most urgent first, then the oldest; the id keeps it total. */
export function queueOrder(a: QueuedTask, b: QueuedTask): number {
  return comparePriority(a.priority, b.priority) || a.openedAt.getTime() - b.openedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Decides every queued task in queue order, each over the workload and cursor the ones
 * before it left, so the free slots go to the head of the queue. A task nobody can take
 * keeps its place (null decision) and does not block those behind it: it found every role
 * in its chain full, so anything a later task takes lies outside that chain.
 */
export function planQueue<T extends QueuedTask>({
  config,
  tasks,
  openTasks,
  cursor,
  now,
}: QueuePlanInput<T>): {
  placements: QueuePlacement<T>[];
  cursor: RoundRobinCursor;
} {
  const load: Record<string, number> = { ...openTasks };
  let current = cursor;
  const placements: QueuePlacement<T>[] = [];
  for (const task of [...tasks].sort(queueOrder)) {
    const decision = chooseAssignee({
      config,
      role: task.role,
      alertTypes: task.alertTypes,
      ...(task.teams ? { teams: task.teams } : {}),
      openTasks: load,
      cursor: current,
      now,
      priority: task.priority,
    });
    if (decision.analystId !== null) {
      load[decision.analystId] = (load[decision.analystId] ?? 0) + 1;
      current = decision.cursor;
    }
    placements.push({ task, decision });
  }
  return { placements, cursor: current };
}
