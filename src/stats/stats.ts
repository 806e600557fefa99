import { PRIORITIES, type Priority, SEVERITIES, type Severity } from '../domain';
import type { StatsView } from './stats-view';
import type { JsonColumns } from '../database/rows';

/** The longest range one stats request covers (the hourly series has a point per hour). */
export const MAX_RANGE_DAYS = 92;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The range asked for: `to` defaults to now, `from` to a day before `to`. A string names the bad field. */
export function statsRange(q: { from?: string; to?: string }, now: Date): { from: Date; to: Date } | { field: string; message: string } {
  const to = q.to ? new Date(q.to) : now;
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - DAY_MS);
  if (from.getTime() >= to.getTime()) return { field: 'query:from', message: 'must be before to' };
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS)
    return { field: 'query:from', message: `the range may cover at most ${MAX_RANGE_DAYS} days` };
  return { from, to };
}

/** Every hour the alert rollups cover for the range: from `from` rounded down to the hour, up to `to`. */
export function hoursOf(from: Date, to: Date): Date[] {
  const hours: Date[] = [];
  for (let t = Math.floor(from.getTime() / HOUR_MS) * HOUR_MS; t < to.getTime(); t += HOUR_MS) hours.push(new Date(t));
  return hours;
}

/** A count per name, with every expected name present (zero when absent). */
export function countsOf<K extends string>(names: readonly K[], rows: readonly { key: string; n: number }[]): Record<K, number> {
  const counts = Object.fromEntries(names.map((k) => [k, 0])) as Record<K, number>;
  for (const { key, n } of rows) counts[key as K] = (counts[key as K] ?? 0) + n;
  return counts;
}

export type AlertRollupRow = JsonColumns<'alert_rollups', 'bucket' | 'severity' | 'status' | 'storm'> & {
  /** sum(alerts)::float8 */ alerts: number;
};

/** The alert counts and hourly series from the rollup rows of the range. */
export function alertStats(
  rows: readonly AlertRollupRow[],
  hours: readonly Date[],
  incidentsOpened: number,
): Pick<StatsView, 'alerts'> & { alertsByHour: StatsView['series']['alertsByHour'] } {
  const sum = (keep: (r: AlertRollupRow) => boolean) => rows.filter(keep).reduce((n, r) => n + r.alerts, 0);
  const received = sum(() => true);
  const byHour = new Map(hours.map((h) => [h.getTime(), { at: h.toISOString(), ...countsOf(SEVERITIES, []) }]));
  for (const r of rows) {
    const point = byHour.get(new Date(r.bucket).getTime());
    if (point && (SEVERITIES as readonly string[]).includes(r.severity)) point[r.severity as Severity] += r.alerts;
  }
  return {
    alerts: {
      received,
      correlated: sum((r) => r.status === 'new'),
      duplicates: sum((r) => r.status === 'duplicate'),
      suppressed: sum((r) => r.status === 'suppressed'),
      foldedIntoStorms: sum((r) => r.storm),
      bySeverity: countsOf(
        SEVERITIES,
        rows.map((r) => ({ key: r.severity, n: r.alerts })),
      ),
      compressionRatio: incidentsOpened > 0 ? Math.round((received / incidentsOpened) * 100) / 100 : null,
    },
    alertsByHour: [...byHour.values()],
  };
}

export const priorityCounts = (rows: readonly { key: string; n: number }[]): Record<Priority, number> => countsOf(PRIORITIES, rows);

/** A count per name seen, for open-ended names (incident types, channels, run outcomes). */
export const tally = (rows: readonly { key: string; n: number }[]): Record<string, number> => countsOf<string>([], rows);

/** The incidents of one tactic or matrix cell: `tactic` alone, `technique` under any tactic, or both. */
export interface AttackFilter {
  from: Date;
  to: Date;
  tactic?: string;
  technique?: string;
  limit: number;
  /** Where the previous page stopped: its last incident's created_at as PostgreSQL printed it, and id. */
  after?: { createdAt: string; id: string };
}

/**
 * The page's statement ($-parameters, `limit + 1` rows, so the caller knows whether another page
 * follows): incidents of the range by their created_at index, newest first, each kept when it has the
 * cell (incident_attack's index). A tactic alone is its own cell (technique null).
 */
export function attackIncidentsQuery(f: AttackFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [f.from, f.to];
  const param = (value: unknown) => `$${params.push(value)}`;
  const cell = [
    ...(f.tactic ? [`a.tactic = ${param(f.tactic)}`] : []),
    f.technique ? `a.technique = ${param(f.technique)}` : 'a.technique IS NULL',
  ];
  const after = f.after ? ` AND (i.created_at, i.id) < (${param(f.after.createdAt)}::timestamptz, ${param(f.after.id)}::uuid)` : '';
  const sql = `SELECT i.id, i.title, i.severity, i.priority, i.status, i.types, i.created_at, i.created_at::text AS created_at_exact
  FROM incidents i
 WHERE i.created_at >= $1 AND i.created_at < $2${after}
   AND EXISTS (SELECT 1 FROM incident_attack a WHERE a.incident_id = i.id AND ${cell.join(' AND ')})
 ORDER BY i.created_at DESC, i.id DESC LIMIT ${param(f.limit + 1)}`;
  return { sql, params };
}
