import { ActivityFailure, type LocalActivityOptions, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities, ScheduledStep } from '../activities';

// Named timeout profiles, shared by the workflows.

/**
 * Short, keyed Postgres steps run as local activities: no round trip through the
 * Temporal server, and a marker rather than three events in the history.
 */
export const DB_STEP: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
};
export const db = proxyLocalActivities<Activities>(DB_STEP);

/** The first release ran its audit entries as ordinary activities; runs begun under it still do. */
export const firstReleaseProfile = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * Histories recorded before notices were delivered beside the workflow (NotificationDispatcher)
 * sent them in activities that waited on the channel; replaying those takes this profile.
 */
export const notify = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
});

/**
 * Notices are recorded in Postgres and delivered by the NotificationDispatcher beside the
 * workflow, so recording one is a short local step: no activity task, no extra workflow
 * task, and a dead channel never holds the workflow up.
 */
export const notices = (): Pick<Activities, 'notifyAssignment' | 'fireStep'> => (patched('notices-beside-workflow') ? db : notify);

/** A playbook step's action (or its undo) with the file's timeout and retries; a permanent refusal is not retried. */
export const withPolicy = (timeoutSeconds: number, retry: ScheduledStep['retry']) =>
  proxyActivities<Activities>({
    startToCloseTimeout: timeoutSeconds * 1000,
    retry: {
      maximumAttempts: retry.attempts,
      initialInterval: retry.backoffSeconds * 1000,
      backoffCoefficient: 2,
      nonRetryableErrorTypes: ['PermanentActionError'],
    },
  });

/** What an activity's failure says, for the step's record. */
export const failureMessage = (err: unknown): string =>
  err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : err instanceof Error ? err.message : String(err);
