import { proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { ReportActivities, ReportKind, ScheduledReport } from '../activities/reports';
import { DB_STEP } from './activity-profiles';

/** Reading a week of incidents can take a while on a large database: an ordinary activity, retried with backoff. */
const build = proxyActivities<ReportActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '2 minutes' },
});

/** Recording the notice is one keyed insert; the NotificationDispatcher delivers it beside the workflow. */
const notices = proxyLocalActivities<ReportActivities>(DB_STEP);

/**
 * The time the schedule meant this run for (Temporal sets it on every scheduled or triggered run).
 * A key is a name and a type, as defineSearchAttributeKey (outside the sandbox's imports) makes it.
 */
const SCHEDULED_START = { name: 'TemporalScheduledStartTime', type: 'DATETIME' } as const;

/**
 * Started by a report schedule (`warden-report-<kind>-<task queue>`): builds and stores the report
 * of the day or week ending at the scheduled time, then tells the leads. The scheduled time comes
 * from the run's start event, so a replay or a retry reports on the same period, and the period's
 * unique key makes a schedule that fires twice store one report and send one notice.
 */
export async function reportWorkflow({ kind }: { kind: ReportKind }): Promise<ScheduledReport & { published: boolean }> {
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(SCHEDULED_START) ?? info.startTime;
  const report = await build.buildScheduledReport({ kind, scheduledAt: scheduledAt.toISOString() });
  const published = await notices.publishReport({ reportId: report.reportId });
  return { ...report, published };
}
