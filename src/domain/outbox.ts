/**
 * What the ingest transaction (alerts), the analyst API (task actions), the start of an
 * incident (its playbook runs) and approvers tell a workflow: an incident's, or a playbook run's.
 */
export const OUTBOX_KINDS = [
  'incident_opened',
  'alerts_changed',
  'alerts_cleared',
  'acknowledged',
  'resolved',
  'reassigned',
  'playbook_started',
  'playbook_closed',
  'approval_decided',
] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

/** The incident workflow's signals, by name: the outbox sends them and the workflow defines them. */
export const INCIDENT_SIGNALS = {
  alertsChanged: 'alertsChanged',
  /** The monitors resolved every alert of an incident whose rule says `resolve_when_cleared`. */
  alertsCleared: 'alertsCleared',
  acknowledge: 'acknowledge',
  resolve: 'resolve',
  reassign: 'reassign',
} as const;
export type IncidentSignal = (typeof INCIDENT_SIGNALS)[keyof typeof INCIDENT_SIGNALS];

/** A playbook run workflow's signals. `start` only starts it; `incidentClosed` carries the disposition. */
export const PLAYBOOK_SIGNALS = {
  start: 'start',
  incidentClosed: 'incidentClosed',
  approval: 'approval',
} as const;
export type PlaybookSignal = (typeof PLAYBOOK_SIGNALS)[keyof typeof PLAYBOOK_SIGNALS];

const SIGNAL_OF: Readonly<Record<OutboxKind, IncidentSignal | PlaybookSignal>> = {
  incident_opened: INCIDENT_SIGNALS.alertsChanged,
  alerts_changed: INCIDENT_SIGNALS.alertsChanged,
  alerts_cleared: INCIDENT_SIGNALS.alertsCleared,
  acknowledged: INCIDENT_SIGNALS.acknowledge,
  resolved: INCIDENT_SIGNALS.resolve,
  reassigned: INCIDENT_SIGNALS.reassign,
  playbook_started: PLAYBOOK_SIGNALS.start,
  playbook_closed: PLAYBOOK_SIGNALS.incidentClosed,
  approval_decided: PLAYBOOK_SIGNALS.approval,
};

/** One workflow per incident; the id deduplicates starts and redeliveries. */
export const incidentWorkflowId = (incidentId: string): string => `incident-${incidentId}`;

/** One workflow per playbook run. */
export const playbookRunWorkflowId = (runId: string): string => `playbook-run-${runId}`;

/** Where an outbox row goes: the workflow (started if it is not running yet), its input, and the signal. */
export interface OutboxDelivery {
  workflowType: 'incidentWorkflow' | 'playbookRunWorkflow';
  workflowId: string;
  args: [Record<string, string>];
  signal: IncidentSignal | PlaybookSignal;
}

/** Undefined for a kind this version does not know (written by a newer replica), or a playbook row without its run. */
export function deliveryFor(row: { kind: OutboxKind; incident_id: string; payload: Record<string, unknown> }): OutboxDelivery | undefined {
  const signal = SIGNAL_OF[row.kind];
  if (!signal) return undefined;
  if (!row.kind.startsWith('playbook_') && row.kind !== 'approval_decided')
    return {
      workflowType: 'incidentWorkflow',
      workflowId: incidentWorkflowId(row.incident_id),
      args: [{ incidentId: row.incident_id }],
      signal,
    };
  const runId = row.payload.runId;
  if (typeof runId !== 'string') return undefined;
  return { workflowType: 'playbookRunWorkflow', workflowId: playbookRunWorkflowId(runId), args: [{ runId }], signal };
}
