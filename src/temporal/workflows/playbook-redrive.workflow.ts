import { defineSignal, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import { PLAYBOOK_SIGNALS } from '../../domain';
import type { Activities } from '../activities';
import { failureMessage, withPolicy } from './activity-profiles';

// `warden playbooks redrive --run ID`: undoes again, newest first and with each step's own
// timeout and retries, the containment of a run whose undo failed for good. One workflow per
// run at a time (playbook-redrive-<runId>): a request while it runs only asks for another pass
// once this one ends; a request after it ended starts it again.

export interface PlaybookRedriveInput {
  runId: string;
}

export const redriveSignal = defineSignal<[unknown]>(PLAYBOOK_SIGNALS.redrive);

const records = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export async function playbookRedriveWorkflow({ runId }: PlaybookRedriveInput): Promise<{ runId: string; status: string | null }> {
  let asked = 0;
  setHandler(redriveSignal, () => void asked++);
  let passes = 0;
  let status: string | null;
  // The signal that started the workflow asks for the first pass.
  do {
    passes = Math.max(asked, passes + 1);
    for (const step of await records.failedCompensations({ runId })) {
      try {
        await withPolicy(step.timeoutSeconds, step.compensateRetry ?? step.retry).compensateStep({ runId, stepId: step.id });
      } catch (err) {
        await records.compensationFailed({ runId, stepId: step.id, error: failureMessage(err) });
      }
    }
    status = await records.settleCompensation({ runId });
  } while (asked > passes);
  return { runId, status };
}
