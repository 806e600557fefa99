import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

// Named timeout profiles, shared by the workflows.

/**
 * Short, keyed Postgres steps run as local activities: no round trip through the
 * Temporal server, and a marker rather than three events in the history.
 */
export const db = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** Notifications may wait on a webhook (NOTIFY_WEBHOOK_TIMEOUT_SECONDS). */
export const notify = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
});
