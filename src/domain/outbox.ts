/** What the ingest transaction (alerts) and the analyst API (task actions) tell an incident's workflow. */
export const OUTBOX_KINDS = ['incident_opened', 'alerts_changed', 'acknowledged', 'resolved', 'reassigned'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

/** The incident workflow's signals, by name: the outbox sends them and the workflow defines them. */
export const INCIDENT_SIGNALS = {
  alertsChanged: 'alertsChanged',
  acknowledge: 'acknowledge',
  resolve: 'resolve',
  reassign: 'reassign',
} as const;
export type IncidentSignal = (typeof INCIDENT_SIGNALS)[keyof typeof INCIDENT_SIGNALS];

const SIGNAL_OF: Readonly<Record<OutboxKind, IncidentSignal>> = {
  incident_opened: INCIDENT_SIGNALS.alertsChanged,
  alerts_changed: INCIDENT_SIGNALS.alertsChanged,
  acknowledged: INCIDENT_SIGNALS.acknowledge,
  resolved: INCIDENT_SIGNALS.resolve,
  reassigned: INCIDENT_SIGNALS.reassign,
};

/** The incident workflow's signal for an outbox row. */
export const signalFor = (kind: OutboxKind): IncidentSignal => SIGNAL_OF[kind];

/** One workflow per incident; the id deduplicates starts and redeliveries. */
export const incidentWorkflowId = (incidentId: string): string => `incident-${incidentId}`;
