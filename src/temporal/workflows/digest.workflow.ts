import { workflowInfo } from '@temporalio/workflow';
import { db, notices } from './activity-profiles';

/**
 * Started by the digest schedule once per interval: gathers the waiting `batch` incidents
 * into one task and assigns it. The run's workflow id (the schedule appends its time)
 * keys the digest, so a retried run makes the same task.
 */
export async function digestWorkflow(): Promise<{ taskId: string | null; assignee: string | null }> {
  const task = await db.gatherDigest({ digestKey: workflowInfo().workflowId });
  if (!task) return { taskId: null, assignee: null };
  const assignment = await db.assignTask({ taskId: task.id, key: `task-${task.id}:assign` });
  await notices().notifyAssignment({ taskId: task.id, assignmentId: assignment.assignmentId });
  return { taskId: task.id, assignee: assignment.analystId };
}
