import { isOutOfOffice } from './assign';
import type { AnalystConfig, AssignmentConfig } from './assignment.schema';

/**
 * An analyst's run-time settings (`PATCH /v1/analysts/{id}`). They live in the database
 * beside the columns the roster sync writes, so a restart never overwrites them; null: the
 * value in assignment.yaml holds.
 */
export interface AnalystOverride {
  id: string;
  available: boolean | null;
  capacity: number | null;
  /** An instant with its offset; out of office until then. */
  out_of_office_until: string | null;
}

/** The start of a run-time absence: it lasts from whenever it was set until its end. */
const SINCE_EVER = '1970-01-01T00:00:00Z';

/** One analyst as assignment sees them once the run-time settings apply. */
export function applyOverride(analyst: AnalystConfig, o: Omit<AnalystOverride, 'id'>): AnalystConfig {
  return {
    ...analyst,
    available: o.available ?? analyst.available,
    capacity: o.capacity ?? analyst.capacity,
    out_of_office: o.out_of_office_until
      ? [...analyst.out_of_office, { from: SINCE_EVER, to: o.out_of_office_until }]
      : analyst.out_of_office,
  };
}

/** The roster every assignment decision uses: assignment.yaml with the run-time settings on top. */
export function withOverrides(config: AssignmentConfig, overrides: readonly AnalystOverride[]): AssignmentConfig {
  if (overrides.length === 0) return config;
  const byId = new Map(overrides.map((o) => [o.id, o]));
  return { ...config, analysts: config.analysts.map((a) => (byId.has(a.id) ? applyOverride(a, byId.get(a.id)!) : a)) };
}

/** Analysts of `role` who can be reached now; everyone in the role when nobody can (someone must hear it). */
export function reachableIn(config: AssignmentConfig, role: string, now: Date): string[] {
  const inRole = config.analysts.filter((a) => a.role === role);
  const present = inRole.filter((a) => a.available && !isOutOfOffice(a, now, config.working_hours.timezone));
  return (present.length > 0 ? present : inRole).map((a) => a.id);
}

/** How many tasks the analyst can hold now: none while unavailable or out of office. */
const slots = (a: AnalystConfig, now: Date, timeZone: string): number => (a.available && !isOutOfOffice(a, now, timeZone) ? a.capacity : 0);

/** Whether a change gives the analyst room for more tasks (back available, capacity raised, out-of-office ended), so waiting tasks should be offered it. */
export const freesCapacity = (before: AnalystConfig, after: AnalystConfig, now: Date, timeZone: string): boolean =>
  slots(after, now, timeZone) > slots(before, now, timeZone);
