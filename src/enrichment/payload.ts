/** Reading values out of a monitor's original payload (an alert's `raw`), whatever it holds. */

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** At most this many values are taken from one path: a payload is outside text. */
const MAX_VALUES = 64;
/** Longer strings are no id, domain, URL or hash worth matching. */
export const MAX_VALUE_LENGTH = 2048;

/**
 * Every string at `a.b.c` in `root`: through nested objects, flattened keys (`"a.b": {c}`, as
 * ECS documents and Falco `output_fields` write them) or any mix, and through arrays on the way
 * (`threat.technique` may be a list of objects). Non-strings and over-long strings are left out.
 */
export function stringsAt(root: unknown, path: string): string[] {
  const out: string[] = [];
  collect(root, path.split('.'), 0, out);
  return out;
}

function collect(node: unknown, parts: string[], i: number, out: string[]): void {
  if (out.length >= MAX_VALUES) return;
  if (Array.isArray(node)) {
    for (const item of node.slice(0, MAX_VALUES)) collect(item, parts, i, out);
    return;
  }
  if (i === parts.length) {
    if (typeof node === 'string' && node.length <= MAX_VALUE_LENGTH) out.push(node);
    return;
  }
  if (!isObject(node)) return;
  // Each key made of parts[i..j), longest first, e.g. "threat.technique.id", then "threat.technique", then "threat".
  for (let j = parts.length; j > i; j--) {
    const key = parts.slice(i, j).join('.');
    if (Object.hasOwn(node, key)) collect(node[key], parts, j, out);
  }
}

/** `"T1190, T1059.001"` or `"T1190 T1059"` → each item; label values often list several. */
export const splitList = (value: string): string[] => value.split(/[\s,;|]+/).filter((v) => v.length > 0);

/** An ECS alert's document: an Elasticsearch hit keeps it in `_source`. */
export function ecsDocument(raw: unknown): unknown {
  const source = isObject(raw) ? raw._source : undefined;
  return isObject(source) ? source : raw;
}
