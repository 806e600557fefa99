import type { Priority } from '../domain';
import type { AnalystConfig, AssignmentConfig, OnCallConfig, Weekday, WorkingHours } from './assignment.schema';
import { clockMinutes, isDateOnly } from './assignment.schema';

/** The last analyst assigned per role; round robin starts after them. */
export type RoundRobinCursor = Readonly<Record<string, string>>;

export interface AssignmentInput {
  config: AssignmentConfig;
  /** The rule's `assign_role`. */
  role: string;
  /** The incident's alert types; expertise in any of them counts. */
  alertTypes: readonly string[];
  /** The teams owning the incident's assets (config/assets.yaml `team`); their members come first within a role. */
  teams?: readonly string[];
  /** Open tasks per analyst id; a missing id has none. */
  openTasks: Readonly<Record<string, number>>;
  cursor: RoundRobinCursor;
  now: Date;
  /** Never chosen, e.g. the current assignee on reassignment. */
  exclude?: readonly string[];
  /** The task's priority; one listed under `overflow` goes above capacity rather than wait. */
  priority?: Priority;
}

/**
 * How a task got its analyst. `role`: someone in the rule's role; `fallback`: someone
 * higher up the chain; `on_call`: out of hours, the on-call analyst; `overflow`: nobody
 * was free and the priority never waits, so the best candidate took it above capacity;
 * `manual`: a person chose the analyst on reassignment.
 */
export type AssignmentVia = 'role' | 'fallback' | 'on_call' | 'overflow' | 'manual';

export type AssignmentDecision =
  | { analystId: string; role: string; via: Exclude<AssignmentVia, 'manual'>; reason: string; cursor: RoundRobinCursor }
  | { analystId: null; role: null; reason: string };

interface LocalTime {
  day: Weekday;
  /** `YYYY-MM-DD` */
  date: string;
  minutes: number;
}

// Formatters are costly to build and depend only on the zone.
const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAY: Record<string, Weekday> = { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' };

export function localTime(now: Date, timeZone: string): LocalTime {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, format);
  }
  const part = Object.fromEntries(format.formatToParts(now).map((p) => [p.type, p.value]));
  return {
    day: WEEKDAY[part.weekday],
    date: `${part.year}-${part.month}-${part.day}`,
    minutes: Number(part.hour) * 60 + Number(part.minute),
  };
}

export function isWorkingHours(now: Date, hours: WorkingHours): boolean {
  const local = localTime(now, hours.timezone);
  return hours.days.includes(local.day) && local.minutes >= clockMinutes(hours.start) && local.minutes < clockMinutes(hours.end);
}

/** Date-only bounds are whole local days, both inclusive; date-time bounds are [from, to). */
export function isOutOfOffice(analyst: AnalystConfig, now: Date, defaultTimeZone: string): boolean {
  if (analyst.out_of_office.length === 0) return false;
  const today = localTime(now, analyst.timezone ?? defaultTimeZone).date;
  const t = now.getTime();
  return analyst.out_of_office.some(
    ({ from, to }) => (isDateOnly(from) ? today >= from : t >= Date.parse(from)) && (isDateOnly(to) ? today <= to : t < Date.parse(to)),
  );
}

/** Who is on call at `now`, one entry per active rotation, in rotation order. */
export function onCallAt(onCall: OnCallConfig, now: Date): { rotation: string; analystId: string }[] {
  const t = now.getTime();
  const result: { rotation: string; analystId: string }[] = [];
  for (const rotation of onCall.rotations) {
    const override = [...onCall.overrides]
      .reverse()
      .find((o) => o.rotation === rotation.name && t >= Date.parse(o.from) && t < Date.parse(o.to));
    const elapsed = t - Date.parse(rotation.start);
    if (override) result.push({ rotation: rotation.name, analystId: override.analyst });
    else if (elapsed >= 0) {
      const shift = Math.floor(elapsed / (rotation.shift * 1000));
      result.push({ rotation: rotation.name, analystId: rotation.analysts[shift % rotation.analysts.length] });
    }
  }
  return result;
}

type Skip = 'excluded' | 'unavailable' | 'out of office' | 'at capacity' | 'takes no tasks';

/** Whether a task of this priority goes above capacity rather than wait in the queue. */
export const overflows = (config: AssignmentConfig, priority: Priority | undefined): boolean =>
  priority !== undefined && config.overflow.priorities.includes(priority);

/**
 * Picks the analyst for a new task:
 * 1. out of working hours, the on-call analysts in the rule's role or above, lowest role first;
 * 2. otherwise (or when none of them is free) the rule's role, then up the chain;
 * within a role: members of a team owning the incident's assets first, then expertise in the
 * alert types, then the fewest open tasks, then
 * round robin after the cursor among equals. Unavailable, out-of-office, excluded and
 * full analysts are skipped.
 * 3. When nobody is free and the priority is one that overflows, the same order again with
 * capacity ignored and the on-call analysts first at any hour (never an unavailable,
 * out-of-office, excluded or capacity-0 analyst).
 */
export function chooseAssignee(input: AssignmentInput): AssignmentDecision {
  const normal = decide(input, false);
  if (normal.analystId !== null || !overflows(input.config, input.priority) || !input.config.roles.includes(input.role)) return normal;
  const over = decide(input, true);
  if (over.analystId === null) return normal;
  return { ...over, via: 'overflow', reason: `overflow: ${input.priority} never waits for capacity (${normal.reason}); ${over.reason}` };
}

function decide(input: AssignmentInput, ignoreCapacity: boolean): AssignmentDecision {
  const { config, role, now } = input;
  const start = config.roles.indexOf(role);
  if (start < 0) return { analystId: null, role: null, reason: `unknown role "${role}"; roles are ${config.roles.join(', ')}` };
  const chain = config.roles.slice(start);

  const skipped = new Map<string, Skip>();
  const eligible = (a: AnalystConfig): boolean => {
    const skip = skipReason(a, input, ignoreCapacity);
    if (skip) skipped.set(a.id, skip);
    return skip === null;
  };
  const roster = (r: string) => config.analysts.filter((a) => a.role === r);

  const offHours = !isWorkingHours(now, config.working_hours);
  // Above capacity the on-call analyst comes first at any hour: on call is who answers for what cannot wait.
  if (offHours || ignoreCapacity) {
    const onCall = onCallAt(config.on_call, now);
    for (const r of chain) {
      const candidates = roster(r).filter((a) => onCall.some((o) => o.analystId === a.id) && eligible(a));
      const pick = pickInRole(candidates, roster(r), input);
      if (pick) {
        const rotation = onCall.find((o) => o.analystId === pick.analyst.id)!.rotation;
        return assigned(pick, r, 'on_call', `${offHours ? 'out of working hours; ' : ''}on call in ${rotation}; ${pick.why}`, input);
      }
    }
  }

  const note = offHours ? 'out of working hours and nobody on call is free; ' : '';
  for (const [i, r] of chain.entries()) {
    const pick = pickInRole(roster(r).filter(eligible), roster(r), input);
    if (!pick) continue;
    if (i === 0) return assigned(pick, r, 'role', `${note}${pick.why}`, input);
    return assigned(pick, r, 'fallback', `${note}nobody free in ${chain.slice(0, i).join(', ')}; ${pick.why}`, input);
  }
  return { analystId: null, role: null, reason: `nobody free from ${role} up to ${chain[chain.length - 1]}: ${summarize(skipped)}` };
}

function skipReason(a: AnalystConfig, { config, openTasks, now, exclude }: AssignmentInput, ignoreCapacity: boolean): Skip | null {
  if (exclude?.includes(a.id)) return 'excluded';
  if (!a.available) return 'unavailable';
  if (isOutOfOffice(a, now, config.working_hours.timezone)) return 'out of office';
  if (a.capacity === 0) return 'takes no tasks';
  if (!ignoreCapacity && (openTasks[a.id] ?? 0) >= a.capacity) return 'at capacity';
  return null;
}

interface Pick {
  analyst: AnalystConfig;
  why: string;
}

/** The asset-owning teams the analyst is in (its own `team`, or listed under the team's `members`). */
function owningTeams(a: AnalystConfig, { config, teams = [] }: AssignmentInput): string[] {
  return teams.filter((t) => a.team === t || config.teams.some((team) => team.name === t && team.members.includes(a.id)));
}

function pickInRole(candidates: AnalystConfig[], roster: AnalystConfig[], input: AssignmentInput): Pick | null {
  const { alertTypes, openTasks, cursor } = input;
  if (candidates.length === 0) return null;
  const expert = (a: AnalystConfig) => a.expertise.some((e) => alertTypes.includes(e));
  const load = (a: AnalystConfig) => openTasks[a.id] ?? 0;
  const rank = (a: AnalystConfig) => [owningTeams(a, input).length > 0 ? 0 : 1, expert(a) ? 0 : 1, load(a)] as const;
  const before = (x: readonly number[], y: readonly number[]) => {
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i];
    return false;
  };

  const best = candidates.reduce((b, a) => (before(rank(a), rank(b)) ? a : b));
  const equals = candidates.filter((a) => !before(rank(a), rank(best)) && !before(rank(best), rank(a)));

  // Round robin in roster order, starting just after the last analyst assigned in this role.
  const last = roster.findIndex((a) => a.id === cursor[best.role]);
  const position = (a: AnalystConfig) => (roster.indexOf(a) - last - 1 + roster.length) % roster.length;
  const chosen = equals.reduce((c, a) => (position(a) < position(c) ? a : c));

  const matched = chosen.expertise.filter((e) => alertTypes.includes(e));
  const owns = owningTeams(chosen, input);
  const parts = [
    `${chosen.role} ${chosen.id}`,
    ...(owns.length > 0 ? [`team ${owns.join(', ')} owns the assets`] : []),
    matched.length > 0 ? `expertise in ${matched.join(', ')}` : 'no matching expertise',
    `${load(chosen)} of ${chosen.capacity} open tasks`,
  ];
  if (equals.length > 1) parts.push(`round robin among ${equals.length}`);
  return { analyst: chosen, why: parts.join('; ') };
}

function assigned(
  pick: Pick,
  role: string,
  via: Exclude<AssignmentVia, 'manual' | 'overflow'>,
  reason: string,
  input: AssignmentInput,
): AssignmentDecision {
  return { analystId: pick.analyst.id, role, via, reason, cursor: { ...input.cursor, [role]: pick.analyst.id } };
}

function summarize(skipped: Map<string, Skip>): string {
  if (skipped.size === 0) return 'no analysts hold these roles';
  const counts = new Map<Skip, number>();
  for (const why of skipped.values()) counts.set(why, (counts.get(why) ?? 0) + 1);
  return [...counts].map(([why, n]) => `${n} ${why}`).join(', ');
}
