// Pure SLA arithmetic: deadlines, the escalation plan and the steps still due.
import { isMoreUrgent, type Priority } from '../domain';
import { ASSIGNEE_TIER, EXECUTIVE_TIER, type SlaConfig } from './sla.schema';

export interface SlaDeadlines {
  ackBy: Date;
  resolveBy: Date;
}

/** `critical`: P1 heads-up to executives on opening; `breach`: a tier's first notice past the ack deadline; `repeat`: a later notice of the same tier. */
export type EscalationKind = 'critical' | 'breach' | 'repeat';

export interface EscalationStep {
  tier: string;
  /** null: the task's assignee. */
  role: string | null;
  kind: EscalationKind;
  /** Seconds after the task opened. */
  at: number;
}

export interface ScheduledEscalation extends EscalationStep {
  notifyAt: Date;
}

export type SlaBreach = 'ack' | 'resolve';

const plus = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);
const earlier = (a: Date, b: Date) => (a.getTime() <= b.getTime() ? a : b);

export function slaDeadlines(priority: Priority, openedAt: Date, config: SlaConfig): SlaDeadlines {
  const { ack, resolve } = config.priorities[priority];
  return { ackBy: plus(openedAt, ack), resolveBy: plus(openedAt, resolve) };
}

/**
 * Who to notify, and when, while a task of this priority stays unacknowledged; ordered
 * by time, then tier order. Each tier is notified `after` past the ack deadline and at
 * most `repeat` times more, `every` apart. P1 notifies executives at once when configured.
 */
export function escalationPlan(priority: Priority, config: SlaConfig): EscalationStep[] {
  const { tiers, critical_notifies_executives } = config.escalation;
  const ack = config.priorities[priority].ack;
  const roleOf = (tier: SlaConfig['escalation']['tiers'][number]) => (tier.tier === ASSIGNEE_TIER ? null : (tier.role ?? tier.tier));

  const steps: EscalationStep[] = [];
  const executives = tiers.find((t) => t.tier === EXECUTIVE_TIER);
  if (priority === 'P1' && critical_notifies_executives && executives)
    steps.push({ tier: executives.tier, role: roleOf(executives), kind: 'critical', at: 0 });
  for (const tier of tiers) {
    if (tier.priorities && !tier.priorities.includes(priority)) continue;
    const first = ack + (tier.after ?? 0);
    steps.push({ tier: tier.tier, role: roleOf(tier), kind: 'breach', at: first });
    for (let n = 1; n <= tier.repeat; n++) steps.push({ tier: tier.tier, role: roleOf(tier), kind: 'repeat', at: first + n * tier.every! });
  }
  // Array.prototype.sort is stable: equal times keep tier order.
  return steps.sort((a, b) => a.at - b.at);
}

/**
 * The plan as wall-clock times for a task whose deadlines may have moved (see
 * `reprioritize`): notices past the deadline follow `deadlines.ackBy`; the critical
 * heads-up stays at the opening.
 */
export function escalationSchedule(priority: Priority, deadlines: SlaDeadlines, openedAt: Date, config: SlaConfig): ScheduledEscalation[] {
  const ack = config.priorities[priority].ack;
  return escalationPlan(priority, config).map((step) => ({
    ...step,
    notifyAt: step.kind === 'critical' ? plus(openedAt, step.at) : plus(deadlines.ackBy, step.at - ack),
  }));
}

/**
 * Deadlines after a priority change, both still counted from the opening. A rise brings
 * them forward (the earlier of old and new wins, so an earlier deadline is never lost);
 * a fall keeps them.
 */
export function reprioritize(
  deadlines: SlaDeadlines,
  oldPriority: Priority,
  newPriority: Priority,
  openedAt: Date,
  config: SlaConfig,
): SlaDeadlines {
  if (!isMoreUrgent(newPriority, oldPriority)) return { ...deadlines };
  const fresh = slaDeadlines(newPriority, openedAt, config);
  return { ackBy: earlier(deadlines.ackBy, fresh.ackBy), resolveBy: earlier(deadlines.resolveBy, fresh.resolveBy) };
}

/**
 * The ack deadline a reassignment gives the new assignee: a fresh window from `now`, so
 * escalation steps already overdue for the previous assignee do not all fire at once and
 * no breach is recorded against someone who just got the task. Never past the resolve deadline.
 */
export function reassignedAckDeadline(priority: Priority, deadlines: SlaDeadlines, now: Date, config: SlaConfig): Date {
  const window = config.reassignment.ack ?? config.priorities[priority].ack;
  return earlier(plus(now, window), deadlines.resolveBy);
}

/** The deadlines missed by `now`; a deadline met in time (acknowledged or resolved by it) is not a breach. */
export function slaBreaches(
  deadlines: SlaDeadlines,
  state: { acknowledgedAt?: Date | null; resolvedAt?: Date | null },
  now: Date,
): SlaBreach[] {
  const missed = (done: Date | null | undefined, deadline: Date) => (done ?? now).getTime() > deadline.getTime();
  const breaches: SlaBreach[] = [];
  if (missed(state.acknowledgedAt ?? state.resolvedAt, deadlines.ackBy)) breaches.push('ack');
  if (missed(state.resolvedAt, deadlines.resolveBy)) breaches.push('resolve');
  return breaches;
}

export interface DueStep {
  /** Stable across priority changes, so a step is sent once: `breach:senior_analyst:0`, `resolve_breach`. */
  key: string;
  kind: EscalationKind | 'resolve_breach';
  tier: string | null;
  /** null: the task's assignee (and, for `resolve_breach`, the leads too). */
  role: string | null;
  notifyAt: Date;
}

export interface TaskClock {
  priority: Priority;
  openedAt: Date;
  deadlines: SlaDeadlines;
  acknowledged: boolean;
  resolved: boolean;
}

/**
 * Every notice still to come for a task, soonest first, leaving out the keys in `sent`:
 * escalation steps while it is unacknowledged, and the resolve-deadline notice while it
 * is unresolved. A resolved task has none.
 */
export function pendingSteps(task: TaskClock, config: SlaConfig, sent: ReadonlySet<string>): DueStep[] {
  if (task.resolved) return [];
  const steps: DueStep[] = [];
  if (!task.acknowledged) {
    const seen = new Map<string, number>();
    for (const step of escalationSchedule(task.priority, task.deadlines, task.openedAt, config)) {
      const id = `${step.kind === 'repeat' ? 'breach' : step.kind}:${step.tier}`;
      const n = seen.get(id) ?? 0;
      seen.set(id, n + 1);
      steps.push({ key: `${step.kind}:${step.tier}:${n}`, kind: step.kind, tier: step.tier, role: step.role, notifyAt: step.notifyAt });
    }
  }
  steps.push({ key: 'resolve_breach', kind: 'resolve_breach', tier: null, role: null, notifyAt: task.deadlines.resolveBy });
  return steps.filter((s) => !sent.has(s.key)).sort((a, b) => a.notifyAt.getTime() - b.notifyAt.getTime());
}
