/**
 * The named fields of a view, in the order `keys` lists them (answers keep their field order).
 * The key lists callers pass are the documented Picks of a shared view (AlertView, the incident
 * views): the same list gives the type (`Pick<View, (typeof KEYS)[number]>`) and the value.
 */
export function pickFields<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (key in value) out[key] = value[key];
  return out;
}
