import type { Severity } from './severity';

/** How urgent the work is: P1 first. */
export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Priority = (typeof PRIORITIES)[number];

/**
 * The one priority comparison: negative when `a` is more urgent than `b`, 0 when equal,
 * positive when less urgent (so `sort(comparePriority)` puts P1 first).
 */
export const comparePriority = (a: Priority, b: Priority): number => PRIORITIES.indexOf(a) - PRIORITIES.indexOf(b);

export const isMoreUrgent = (a: Priority, b: Priority): boolean => comparePriority(a, b) < 0;

/** A priority only ever rises: the more urgent of the two. */
export const raisePriority = (current: Priority, candidate: Priority): Priority => (isMoreUrgent(candidate, current) ? candidate : current);

/** The priority an alert gets when no rule sets one. */
export const priorityForSeverity: Readonly<Record<Severity, Priority>> = { critical: 'P1', high: 'P2', medium: 'P3', low: 'P4' };
