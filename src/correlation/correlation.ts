import { higherSeverity, raisePriority, type Priority, type SecurityAlert, type Severity } from '../domain';
import type { RuleDecision } from './rules';

/**
 * The incident an alert joins: `immediate` alerts open one incident per fingerprint
 * (only repeats join it); the others group by the rule's correlation fields. An alert
 * without any of those fields cannot be grouped and keys on its fingerprint.
 */
export function correlationKey(decision: RuleDecision, alert: SecurityAlert, alertFingerprint: string): string {
  if (decision.action !== 'immediate') {
    // Values are URI-encoded so free text containing `|` or `=` cannot forge another key.
    const parts = decision.correlateBy.filter((f) => alert[f]).map((f) => `${f}=${encodeURIComponent(alert[f]!)}`);
    if (parts.length === decision.correlateBy.length && parts.length > 0) return parts.join('|');
  }
  return `fingerprint=${alertFingerprint}`;
}

/**
 * A storm incident's key: the rule and the values of its `key_by` fields. The `storm=`
 * prefix cannot collide with a field key, so a storm never takes over an ordinary incident.
 */
export function stormKey(decision: RuleDecision, alert: SecurityAlert): string {
  const fields = decision.storm?.keyBy ?? [];
  return [`storm=${encodeURIComponent(decision.rule)}`, ...fields.map((f) => `${f}=${encodeURIComponent(alert[f] ?? '')}`)].join('|');
}

/** What a storm incident counts an alert under: the values its own incident would have been keyed by. */
export function stormSource(decision: RuleDecision, alert: SecurityAlert): string {
  const fields = decision.correlateBy.filter((f) => alert[f]);
  if (fields.length === 1) return alert[fields[0]]!;
  if (fields.length > 1) return fields.map((f) => `${f}=${alert[f]}`).join(' ');
  return alert.sourceIp ?? alert.user ?? alert.host ?? '(none)';
}

/** What correlation needs to know about the open incident for a key. */
export interface OpenIncident {
  id: string;
  severity: Severity;
  priority: Priority;
  types: string[];
  alertCount: number;
  lastSeenAt: Date;
}

export interface IncidentChanges {
  severityRose: boolean;
  priorityRose: boolean;
  newType: boolean;
  /** The alert count crossed one of the notification thresholds. */
  countMilestone: boolean;
}

export type CorrelationPlan =
  | { kind: 'create'; closeStale?: string }
  | {
      kind: 'join';
      incidentId: string;
      severity: Severity;
      priority: Priority;
      types: string[];
      changes: IncidentChanges;
      notify: boolean;
    };

/** Alert counts at which the workflow hears about an incident again, even with nothing else new. */
export const COUNT_MILESTONES = [10, 100, 1000, 10_000, 100_000, 1_000_000];

/**
 * Joins the open incident if it saw an alert within the correlation window; else opens
 * a new one (closing the stale one for correlation). Only a meaningful change notifies
 * the workflow: a new type, a severity or priority rise, or a count milestone.
 */
export function planCorrelation(open: OpenIncident | null, alert: SecurityAlert, decision: RuleDecision, now: Date): CorrelationPlan {
  if (!open) return { kind: 'create' };
  const windowStart = now.getTime() - decision.correlationWindowSeconds * 1000;
  if (open.lastSeenAt.getTime() < windowStart) return { kind: 'create', closeStale: open.id };

  const severity = higherSeverity(open.severity, alert.severity);
  const priority = raisePriority(open.priority, decision.priority);
  const newType = !open.types.includes(alert.type);
  const changes: IncidentChanges = {
    severityRose: severity !== open.severity,
    priorityRose: priority !== open.priority,
    newType,
    countMilestone: COUNT_MILESTONES.includes(open.alertCount + 1),
  };
  return {
    kind: 'join',
    incidentId: open.id,
    severity,
    priority,
    types: newType ? [...open.types, alert.type] : open.types,
    changes,
    notify: Object.values(changes).some(Boolean),
  };
}

/** Whether the first alert of a fingerprint is recent enough for this one to be its repeat. */
export function isWithinDedupWindow(firstLastSeenAt: Date, decision: RuleDecision, now: Date): boolean {
  return firstLastSeenAt.getTime() >= now.getTime() - decision.dedupWindowSeconds * 1000;
}
