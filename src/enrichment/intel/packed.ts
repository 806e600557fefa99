import { formatCidr, networkKey4, parseCidr } from '../ip';

/** What packing reads of an indicator (indicator.ts's Indicator, which imports this file). */
interface Listed {
  kind: string;
  value: string;
  confidence: number;
  ref?: unknown;
  validFrom?: number;
  validUntil?: number;
}

/** A packed indicator as a match gives it back: an Indicator of its list. */
export interface PackedMatch {
  kind: 'ip' | 'cidr';
  value: string;
  list: string;
  confidence: number;
}

/**
 * A list's plain IPv4 indicators (no event, no validity, the list's one confidence) as sorted
 * network numbers, one typed array per prefix length: a million addresses take 4 MB instead of
 * a million objects, and the arrays move between threads without a copy.
 */
export interface PackedV4 {
  list: string;
  confidence: number;
  /** Prefix length → sorted, distinct network numbers (`networkKey4`). */
  networks: Map<number, Uint32Array>;
}

/** Splits indicators into the plain IPv4 ones, packed, and the rest, kept as they are. */
export function packV4<T extends Listed>(list: string, indicators: readonly T[]): { packed: PackedV4; rest: T[] } {
  // The list's confidence is its plain indicators' most common one: one pass counts, the next packs.
  const counts = new Map<number, number>();
  for (const i of indicators) if (isPlain(i)) counts.set(i.confidence, (counts.get(i.confidence) ?? 0) + 1);
  const confidence = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
  const byPrefix = new Map<number, number[]>();
  const rest: T[] = [];
  for (const i of indicators) {
    const cidr = isPlain(i) && i.confidence === confidence ? parseCidr(i.value) : undefined;
    if (cidr?.version !== 4) {
      rest.push(i);
      continue;
    }
    let keys = byPrefix.get(cidr.prefix);
    if (!keys) byPrefix.set(cidr.prefix, (keys = []));
    keys.push(networkKey4(cidr.value, cidr.prefix));
  }
  const networks = new Map<number, Uint32Array>();
  for (const [prefix, keys] of [...byPrefix].sort((a, b) => b[0] - a[0])) networks.set(prefix, distinctSorted(Uint32Array.from(keys)));
  return { packed: { list, confidence, networks }, rest };
}

const isPlain = (i: Listed) =>
  (i.kind === 'ip' || i.kind === 'cidr') && !i.ref && i.validFrom === undefined && i.validUntil === undefined && !i.value.includes(':');

function distinctSorted(keys: Uint32Array): Uint32Array {
  keys.sort();
  let n = 0;
  for (let at = 0; at < keys.length; at++) if (at === 0 || keys[at] !== keys[n - 1]) keys[n++] = keys[at];
  return keys.subarray(0, n);
}

/** How many networks are packed. */
export const packedSize = (p: PackedV4): number => [...p.networks.values()].reduce((n, keys) => n + keys.length, 0);

/** The packed indicators whose network holds the IPv4 address (a number), the most specific first. */
export function matchPacked(p: PackedV4, ip: number): PackedMatch[] {
  const found: PackedMatch[] = [];
  for (const [prefix, keys] of p.networks) {
    const key = networkKey4(ip, prefix);
    if (!has(keys, key)) continue;
    const cidr = formatCidr({ version: 4, value: prefix === 0 ? 0 : (key << (32 - prefix)) >>> 0, prefix });
    found.push({
      kind: prefix === 32 ? 'ip' : 'cidr',
      value: prefix === 32 ? cidr.slice(0, cidr.indexOf('/')) : cidr,
      list: p.list,
      confidence: p.confidence,
    });
  }
  return found;
}

function has(keys: Uint32Array, key: number): boolean {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] === key) return true;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
