import { Logger } from '@nestjs/common';
import { Client, Connection, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Env } from '../common/env';

/** One digest schedule per task queue, so separate deployments on one namespace keep theirs apart. */
export const digestScheduleId = (taskQueue: string) => `warden-digest-${taskQueue}`;

/**
 * Creates the Temporal schedule that starts `digestWorkflow` every `everySeconds`, or
 * brings an existing one to that interval. Every worker replica may call it: the first
 * creates it, the others find it.
 */
export async function ensureDigestSchedule(env: Env, everySeconds: number, logger: Logger): Promise<void> {
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  try {
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    const scheduleId = digestScheduleId(env.TEMPORAL_TASK_QUEUE);
    const spec = { intervals: [{ every: `${everySeconds}s` as const }] };
    const action = {
      type: 'startWorkflow' as const,
      workflowType: 'digestWorkflow',
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      workflowId: scheduleId,
      args: [],
    };
    try {
      await client.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
      logger.log(`digest schedule ${scheduleId}: every ${everySeconds} s`);
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      const handle = client.schedule.getHandle(scheduleId);
      const current = await handle.describe();
      const interval = current.spec.intervals?.[0]?.every;
      if (Number(interval) !== everySeconds * 1000) {
        await handle.update((s) => ({ ...s, spec, action }));
        logger.log(`digest schedule ${scheduleId}: now every ${everySeconds} s`);
      }
    }
  } finally {
    await connection.close();
  }
}
