import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';

// A first version of the incident workflow: it records its start, keeps the latest
// correlation state from `alertsChanged`, and closes on `resolve`. Task creation,
// assignment and SLA timers come with the workflow issue.

export interface IncidentWorkflowInput {
  incidentId: string;
}

/** Sent by the outbox dispatcher on a meaningful change only; `outboxId` orders and deduplicates. */
export interface AlertsChanged {
  outboxId: number;
  kind: string;
  severity: string;
  priority: string;
  types: string[];
  alertCount: number;
}

export interface IncidentWorkflowStatus {
  incidentId: string;
  state: 'open' | 'resolved';
  severity?: string;
  priority?: string;
  types: string[];
  alertCount: number;
  /** Distinct alertsChanged signals applied. */
  changes: number;
}

export const alertsChangedSignal = defineSignal<[AlertsChanged]>('alertsChanged');
export const resolveSignal = defineSignal<[{ by: string }]>('resolve');
export const statusQuery = defineQuery<IncidentWorkflowStatus>('status');

const { recordAudit } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<IncidentWorkflowStatus> {
  const status: IncidentWorkflowStatus = { incidentId: input.incidentId, state: 'open', types: [], alertCount: 0, changes: 0 };
  let lastOutboxId = 0;
  let resolvedBy: string | undefined;
  setHandler(statusQuery, () => status);
  setHandler(alertsChangedSignal, (change) => {
    // A redelivered or late signal carries an older outbox id: ignore it.
    if (change.outboxId <= lastOutboxId) return;
    lastOutboxId = change.outboxId;
    Object.assign(status, { severity: change.severity, priority: change.priority, types: change.types, alertCount: change.alertCount });
    status.changes++;
  });
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
