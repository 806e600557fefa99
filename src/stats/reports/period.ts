/**
 * Report periods in the reports' time zone. Pure: no Nest, no database. Days and weeks are
 * local, so a period across a daylight-saving change is 23 or 25 hours long, as a reader expects.
 */

export const REPORT_KINDS = ['daily', 'executive'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** How many local days one report of each kind covers. */
export const PERIOD_DAYS: Readonly<Record<ReportKind, number>> = { daily: 1, executive: 7 };

/** The longest period a report may cover on request. */
export const MAX_PERIOD_DAYS = 92;

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export interface Period {
  from: Date;
  to: Date;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether the runtime knows this IANA time zone. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface Wall {
  /** The local wall-clock time written as if it were UTC (ms since the epoch). */
  naive: number;
  /** 0 = Monday … 6 = Sunday. */
  weekday: number;
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function wall(instant: number, timeZone: string): Wall {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(instant))
      .map((p) => [p.type, p.value]),
  );
  const naive = Date.UTC(
    +parts.year,
    +parts.month - 1,
    +parts.day,
    +parts.hour,
    +parts.minute,
    +parts.second,
    ((instant % 1000) + 1000) % 1000,
  );
  return { naive, weekday: WEEKDAYS.indexOf(parts.weekday) };
}

/** The instant a local wall-clock time names (the later one in a repeated hour, shifted forward in a skipped one). */
function instantOf(naive: number, timeZone: string): number {
  const offset = (t: number) => wall(t, timeZone).naive - t;
  let t = naive - offset(naive);
  const second = offset(t);
  if (naive - second !== t) t = naive - second;
  return t;
}

/** The same local time `days` days later (earlier when negative). */
export function addLocalDays(instant: Date, days: number, timeZone: string): Date {
  return new Date(instantOf(wall(instant.getTime(), timeZone).naive + days * DAY_MS, timeZone));
}

/** Local midnight at the start of the instant's day. */
export function startOfLocalDay(instant: Date, timeZone: string): Date {
  const { naive } = wall(instant.getTime(), timeZone);
  return new Date(instantOf(naive - (naive % DAY_MS), timeZone));
}

/** Local midnight at the start of the instant's week (Monday). */
export function startOfLocalWeek(instant: Date, timeZone: string): Date {
  const { naive, weekday } = wall(instant.getTime(), timeZone);
  return new Date(instantOf(naive - (naive % DAY_MS) - weekday * DAY_MS, timeZone));
}

/** The local date of an instant, `YYYY-MM-DD`. */
export function localDay(instant: Date, timeZone: string): string {
  return new Date(wall(instant.getTime(), timeZone).naive).toISOString().slice(0, 10);
}

/** Every local date the period touches, in order. */
export function localDays(period: Period, timeZone: string): string[] {
  const first = Date.parse(localDay(period.from, timeZone));
  const last = Date.parse(localDay(new Date(period.to.getTime() - 1), timeZone));
  const days: string[] = [];
  for (let d = first; d <= last; d += DAY_MS) days.push(new Date(d).toISOString().slice(0, 10));
  return days;
}

/**
 * The period a scheduled run reports on: the day or week ending at its scheduled time (to the
 * minute, so a schedule fired twice in one minute stores one report).
 */
export function scheduledPeriod(kind: ReportKind, scheduledAt: Date, timeZone: string): Period {
  const to = new Date(Math.floor(scheduledAt.getTime() / MINUTE_MS) * MINUTE_MS);
  return { from: addLocalDays(to, -PERIOD_DAYS[kind], timeZone), to };
}

/** The last complete local day (daily) or Monday-to-Monday week (executive) before `now`. */
export function lastCompletePeriod(kind: ReportKind, now: Date, timeZone: string): Period {
  const to = kind === 'daily' ? startOfLocalDay(now, timeZone) : startOfLocalWeek(now, timeZone);
  return { from: addLocalDays(to, -PERIOD_DAYS[kind], timeZone), to };
}

/**
 * The period a request asks for. Both ends: as given; one end: the kind's length from it;
 * neither: the last complete one. A period must have ended (a report of a period still
 * running would be stored, incomplete, under that period for good). `field` names the bad one.
 */
export function requestedPeriod(
  kind: ReportKind,
  q: { from?: string; to?: string },
  now: Date,
  timeZone: string,
): Period | { field: string; message: string } {
  if (!q.from && !q.to) return lastCompletePeriod(kind, now, timeZone);
  const from = q.from ? new Date(q.from) : addLocalDays(new Date(q.to!), -PERIOD_DAYS[kind], timeZone);
  const to = q.to ? new Date(q.to) : addLocalDays(from, PERIOD_DAYS[kind], timeZone);
  if (from.getTime() >= to.getTime()) return { field: '/from', message: 'must be before to' };
  if (to.getTime() > now.getTime())
    return { field: q.to ? '/to' : '/from', message: 'the period must have ended: to may not be in the future' };
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * DAY_MS)
    return { field: '/from', message: `a report may cover at most ${MAX_PERIOD_DAYS} days` };
  return { from, to };
}
