import { priorityForSeverity, PRIORITIES, type Criticality, type Priority, type Severity } from '../domain';
import type { Urgency } from './rules.schema';

/** What the urgency matrix reads of an alert's enrichment. */
export interface UrgencyContext {
  /** The highest criticality among the alert's assets and identities; absent: none known. */
  criticality?: Criticality;
  /** Threat-intel hits. */
  intelHits: number;
}

/**
 * The priority of an alert whose rule fixes none (Splunk ES style): severity × the highest
 * asset criticality from the matrix; without a known asset, the priority its severity gives.
 * An intel match then raises it by `intel_raise` steps (never above P1). No urgency
 * configured: the severity alone, as before.
 */
export function urgencyPriority(urgency: Urgency | undefined, severity: Severity, context: UrgencyContext): Priority {
  const base = urgency && context.criticality ? urgency.matrix[severity][context.criticality] : priorityForSeverity[severity];
  if (!urgency || context.intelHits === 0 || urgency.intel_raise === 0) return base;
  return PRIORITIES[Math.max(0, PRIORITIES.indexOf(base) - urgency.intel_raise)];
}
