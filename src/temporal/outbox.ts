/** Delay before the next delivery attempt: exponential from 1 s, capped. */
export function outboxBackoffSeconds(attempts: number, maxSeconds: number): number {
  return Math.min(maxSeconds, 2 ** Math.max(0, attempts - 1));
}

/** What the ingest transaction (alerts) and the analyst API (task actions) tell a workflow. */
export type OutboxKind = 'incident_opened' | 'alerts_changed' | 'acknowledged' | 'resolved' | 'reassigned';

const SIGNALS: Record<OutboxKind, string> = {
  incident_opened: 'alertsChanged',
  alerts_changed: 'alertsChanged',
  acknowledged: 'acknowledge',
  resolved: 'resolve',
  reassigned: 'reassign',
};

/** The incident workflow's signal for an outbox row. */
export const signalFor = (kind: OutboxKind): string => SIGNALS[kind];
