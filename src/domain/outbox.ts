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
  'playbook_redrive',
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

/**
 * A playbook run workflow's signals. `start` only starts it; `incidentClosed` carries the
 * disposition. `redrive` goes to a run's redrive workflow: undo again what failed to undo.
 */
export const PLAYBOOK_SIGNALS = {
  start: 'start',
  incidentClosed: 'incidentClosed',
  approval: 'approval',
  redrive: 'redrive',
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
  playbook_redrive: PLAYBOOK_SIGNALS.redrive,
};

/** One workflow per incident; the id deduplicates starts and redeliveries. */
export const incidentWorkflowId = (incidentId: string): string => `incident-${incidentId}`;

/** One workflow per playbook run. */
export const playbookRunWorkflowId = (runId: string): string => `playbook-run-${runId}`;

/** A run's redrives share one workflow id: a request while one runs joins it, a later one starts it again. */
export const playbookRedriveWorkflowId = (runId: string): string => `playbook-redrive-${runId}`;

/** Where an outbox row goes: the workflow (started if it is not running yet), its input, and the signal. */
export interface OutboxDelivery {
  workflowType: 'incidentWorkflow' | 'playbookRunWorkflow' | 'playbookRedriveWorkflow';
  workflowId: string;
  args: [Record<string, string>];
  signal: IncidentSignal | PlaybookSignal;
  /**
   * Whether a workflow that has finished may be started again under its id: never for an incident
   * or a run (a late signal must not start it twice); for a redrive, each request after the last
   * one ended starts another.
   */
  reuse: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE';
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
      reuse: 'REJECT_DUPLICATE',
    };
  const runId = row.payload.runId;
  if (typeof runId !== 'string') return undefined;
  if (row.kind === 'playbook_redrive')
    return {
      workflowType: 'playbookRedriveWorkflow',
      workflowId: playbookRedriveWorkflowId(runId),
      args: [{ runId }],
      signal,
      reuse: 'ALLOW_DUPLICATE',
    };
  return {
    workflowType: 'playbookRunWorkflow',
    workflowId: playbookRunWorkflowId(runId),
    args: [{ runId }],
    signal,
    reuse: 'REJECT_DUPLICATE',
  };
}
