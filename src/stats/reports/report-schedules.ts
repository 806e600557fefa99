import { Logger } from '@nestjs/common';
import { Client, Connection, ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Env } from '../../common/env';
import { REPORT_KINDS, type ReportKind } from './period';

/** One schedule per kind and task queue, so separate deployments on one namespace keep theirs apart. */
export const reportScheduleId = (kind: ReportKind, taskQueue: string) => `warden-report-${kind}-${taskQueue}`;

export const reportCron = (env: Env, kind: ReportKind): string => (kind === 'daily' ? env.REPORTS_DAILY_CRON : env.REPORTS_EXECUTIVE_CRON);

/**
 * Creates the schedule of each report kind, brings an existing one to the configured cron and
 * time zone, and removes one configured `off`. Every worker replica may call it: the first
 * creates, the others find. The configuration rides in the action's memo, so a change is seen
 * without parsing the calendar Temporal made of the cron.
 */
export async function ensureReportSchedules(env: Env, logger: Logger): Promise<void> {
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  try {
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    for (const kind of REPORT_KINDS) await ensureOne(client, env, kind, logger);
  } finally {
    await connection.close();
  }
}

async function ensureOne(client: Client, env: Env, kind: ReportKind, logger: Logger): Promise<void> {
  const scheduleId = reportScheduleId(kind, env.TEMPORAL_TASK_QUEUE);
  const cron = reportCron(env, kind);
  const handle = client.schedule.getHandle(scheduleId);
  if (cron === 'off') {
    try {
      await handle.delete();
      logger.log(`report schedule ${scheduleId}: removed (off)`);
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    return;
  }
  const configured = `${cron} ${env.REPORTS_TIMEZONE}`;
  const spec = { cronExpressions: [cron], timezone: env.REPORTS_TIMEZONE };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'reportWorkflow',
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    workflowId: scheduleId,
    args: [{ kind }],
    memo: { schedule: configured },
    // A run stuck on a database that stays down gives up; the next period is another run.
    workflowExecutionTimeout: '6 hours',
  };
  // Each run reports on its own period: a run missed while Temporal was down is made up (up to a
  // week late), and runs that meet wait for each other rather than being skipped.
  const policies = { overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: '7 days' };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
    logger.log(`report schedule ${scheduleId}: ${configured}`);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    const current = await handle.describe();
    const memo = current.action.type === 'startWorkflow' ? current.action.memo : undefined;
    if (memo?.schedule !== configured) {
      await handle.update((s) => ({ ...s, spec, action, policies: { ...s.policies, ...policies } }));
      logger.log(`report schedule ${scheduleId}: now ${configured}`);
    }
  }
}
