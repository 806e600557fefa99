import type { FieldError } from '../common/problem';

/** What the source check reads of an accepted item: where its record sits in the request, and its normalized source. */
export interface SourcedItem {
  pointer: string;
  alert: { source: string };
}

/**
 * The items a key bound to sources may not send: one error per record whose normalized
 * source is not one of the key's, at the record's pointer plus `/source` (for a monitor's
 * format, the source its normalizer gave the alert). A key bound to none (null or empty)
 * may send any source. Sources compare exactly, as they are stored.
 */
export function foreignSources(items: readonly SourcedItem[], allowed: readonly string[] | null): FieldError[] {
  if (!allowed?.length) return [];
  const message = `must be ${allowed.length === 1 ? `"${allowed[0]}", this API key's source` : `one of this API key's sources: ${allowed.map((s) => `"${s}"`).join(', ')}`}`;
  // One record may yield several alerts (an Alertmanager webhook): name it once.
  const paths = new Set(items.filter((i) => !allowed.includes(i.alert.source)).map((i) => `${i.pointer}/source`));
  return [...paths].map((path) => ({ path, message }));
}
