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
  collect(root, keysOf(path), 0, out);
  return out;
}

/** For each position in a path, the keys that may start there, longest first: "a.b.c", "a.b", "a". */
const pathKeys = new Map<string, { keys: string[]; next: number[] }[]>();
function keysOf(path: string): { keys: string[]; next: number[] }[] {
  let cached = pathKeys.get(path);
  if (!cached) {
    const parts = path.split('.');
    cached = parts.map((_, i) => {
      const ends = Array.from({ length: parts.length - i }, (_, k) => parts.length - k);
      return { keys: ends.map((j) => parts.slice(i, j).join('.')), next: ends };
    });
    if (pathKeys.size < 1000) pathKeys.set(path, cached);
  }
  return cached;
}

function collect(node: unknown, steps: { keys: string[]; next: number[] }[], i: number, out: string[]): void {
  if (out.length >= MAX_VALUES) return;
  if (Array.isArray(node)) {
    for (const item of node.slice(0, MAX_VALUES)) collect(item, steps, i, out);
    return;
  }
  if (i === steps.length) {
    if (typeof node === 'string' && node.length <= MAX_VALUE_LENGTH) out.push(node);
    return;
  }
  if (!isObject(node)) return;
  const { keys, next } = steps[i];
  for (let k = 0; k < keys.length; k++) if (Object.hasOwn(node, keys[k])) collect(node[keys[k]], steps, next[k], out);
}

/** `"T1190, T1059.001"` or `"T1190 T1059"` → each item; label values often list several. */
export const splitList = (value: string): string[] => value.split(/[\s,;|]+/).filter((v) => v.length > 0);

/** An ECS alert's document: an Elasticsearch hit keeps it in `_source`. */
export function ecsDocument(raw: unknown): unknown {
  const source = isObject(raw) ? raw._source : undefined;
  return isObject(source) ? source : raw;
}
