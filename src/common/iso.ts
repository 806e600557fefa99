/** A time as answers print it: ISO 8601 in UTC with milliseconds. `Date` from the driver, or the text json_agg printed. */
export const isoTime = (at: Date | string): string => new Date(at).toISOString();

export const isoTimeOrNull = (at: Date | string | null): string | null => (at === null ? null : isoTime(at));
