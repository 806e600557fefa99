import { type AlertCounts, isCleared } from '../correlation/alert-counts';
import { isFinishedTask, isUnacknowledgedTask, type TaskStatus } from '../domain';

/** Who resolves a task the monitors cleared, in the audit log and the channels. */
export const MONITOR_ACTOR = 'monitor';

/**
 * Whether the monitors clearing an incident (a rule with `resolve_when_cleared`) resolves its task
 * as `cleared_by_monitor`: only while nobody has acknowledged it, and only if no alert fires.
 * An acknowledged task stays with its analyst, who may know more than the monitor.
 */
export type ClearingVerdict =
  { resolve: true } | { resolve: false; reason: 'task_finished' | 'acknowledged' | 'alerts_firing' | 'no_alerts' };

export function clearingVerdict(taskStatus: TaskStatus, counts: AlertCounts): ClearingVerdict {
  if (isFinishedTask(taskStatus)) return { resolve: false, reason: 'task_finished' };
  if (!isCleared(counts)) return { resolve: false, reason: counts.firing > 0 ? 'alerts_firing' : 'no_alerts' };
  if (!isUnacknowledgedTask(taskStatus)) return { resolve: false, reason: 'acknowledged' };
  return { resolve: true };
}
