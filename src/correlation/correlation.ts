import { formatStormKind, higherSeverity, raisePriority, type Priority, type SecurityAlert, type Severity } from '../domain';
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
 * The kind of alert a storm counts and folds: the rule and the values of its `kind_by`
 * fields (type and monitor by default). The `storm=` prefix cannot collide with a field
 * key, so a storm never takes over an ordinary incident.
 */
export function stormKind(decision: RuleDecision, alert: SecurityAlert): string {
  const by = decision.storm?.kindBy ?? [];
  return formatStormKind({
    rule: decision.rule,
    ...(by.includes('type') ? { type: alert.type } : {}),
    ...(by.includes('source') ? { source: alert.source } : {}),
  });
}

/** A storm incident's key: its kind and the values of its `key_by` fields. */
export function stormKey(decision: RuleDecision, alert: SecurityAlert): string {
  const fields = decision.storm?.keyBy ?? [];
  return [stormKind(decision, alert), ...fields.map((f) => `${f}=${encodeURIComponent(alert[f] ?? '')}`)].join('|');
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
 * The highest milestone an incident's count passed going from `before` to `after`, if any.
 * Counts are folded from append-only deltas (delta-fold.ts), so one fold may pass several
 * at once; the workflow hears once, with the count it reached.
 */
export function milestoneCrossed(before: number, after: number): number | null {
  const passed = COUNT_MILESTONES.filter((m) => before < m && m <= after);
  return passed.length > 0 ? passed[passed.length - 1] : null;
}

/**
 * Joins the open incident if it saw an alert within the correlation window; else opens
 * a new one (closing the stale one for correlation). Only a meaningful change notifies
 * the workflow: a new type, or a severity or priority rise (count milestones are told by
 * the fold that counts them, `milestoneCrossed`).
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
