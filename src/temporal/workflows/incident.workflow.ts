import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';

// Placeholder until the incident workflow issue lands: it proves the path
// api -> Temporal -> worker -> activity -> Postgres, and the signal/query wiring.

export interface IncidentWorkflowInput {
  incidentId: string;
}

export interface IncidentWorkflowStatus {
  incidentId: string;
  state: 'open' | 'resolved';
}

export const resolveSignal = defineSignal<[{ by: string }]>('resolve');
export const statusQuery = defineQuery<IncidentWorkflowStatus>('status');

const { recordAudit } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<IncidentWorkflowStatus> {
  const status: IncidentWorkflowStatus = { incidentId: input.incidentId, state: 'open' };
  let resolvedBy: string | undefined;
  setHandler(statusQuery, () => status);
  setHandler(resolveSignal, ({ by }) => {
    resolvedBy ??= by;
  });

  await recordAudit({
    actor: 'workflow',
    action: 'incident.workflow_started',
    subjectType: 'incident',
    subjectId: input.incidentId,
    idempotencyKey: `incident-${input.incidentId}:workflow_started`,
  });
  await condition(() => resolvedBy !== undefined);
  status.state = 'resolved';
  await recordAudit({
    actor: resolvedBy!,
    action: 'incident.workflow_closed',
    subjectType: 'incident',
    subjectId: input.incidentId,
    idempotencyKey: `incident-${input.incidentId}:workflow_closed`,
  });
  return status;
}
