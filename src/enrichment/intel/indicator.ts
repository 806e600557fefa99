import { isIP } from 'node:net';
import { CidrMap, formatCidr, parseCidr, parseIp } from '../ip';
import { MAX_VALUE_LENGTH } from '../payload';
import { matchPacked, packedSize, packV4, type PackedV4 } from './packed';

export const INDICATOR_KINDS = ['ip', 'cidr', 'domain', 'url', 'hash'] as const;
export type IndicatorKind = (typeof INDICATOR_KINDS)[number];
export type HashType = 'md5' | 'sha1' | 'sha256' | 'sha512';

/** Where an indicator was published: a MISP event or a STIX indicator (a plain list's entries have only their list). */
export type IndicatorRef = { type: 'misp'; event: string; eventId?: string; info?: string } | { type: 'stix'; id: string; name?: string };

export interface Indicator {
  kind: IndicatorKind;
  /** Canonical: an IP or CIDR as Node writes it, a domain lower-case without a final dot, a URL as WHATWG parses it, a hash lower-case. */
  value: string;
  hashType?: HashType;
  /** The list (config/intel.yaml `name`) it came from. */
  list: string;
  /** 0–100: the indicator's own (STIX `confidence`) or else its list's. */
  confidence: number;
  ref?: IndicatorRef;
  /** Epoch ms; an indicator does not match before `validFrom` or from `validUntil` on. */
  validFrom?: number;
  validUntil?: number;
}

/** What a value is, canonical; undefined when it is none of the kinds (or is over-long). */
export type Classified = { kind: IndicatorKind; value: string; hashType?: HashType };

const HASH_TYPES: Record<number, HashType> = { 32: 'md5', 40: 'sha1', 64: 'sha256', 128: 'sha512' };
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;
const URL_SCHEME = /^[a-z][a-z0-9+.-]{0,15}:\/\//i;

export function classify(text: string, hint?: IndicatorKind): Classified | undefined {
  const value = text.trim();
  if (value.length === 0 || value.length > MAX_VALUE_LENGTH) return undefined;
  const kinds = hint ? [hint] : (['cidr', 'hash', 'url', 'domain'] as const);
  for (const kind of kinds) {
    const found = classifyAs(value, kind);
    if (found) return found;
  }
  return undefined;
}

function classifyAs(value: string, kind: IndicatorKind): Classified | undefined {
  switch (kind) {
    case 'ip':
    case 'cidr': {
      const cidr = parseCidr(value);
      if (!cidr) return undefined;
      const full = cidr.prefix === (cidr.version === 4 ? 32 : 128);
      const text = formatCidr(cidr);
      return full ? { kind: 'ip', value: text.slice(0, text.lastIndexOf('/')) } : { kind: 'cidr', value: text };
    }
    case 'hash': {
      const hashType = /^[0-9a-f]+$/i.test(value) ? HASH_TYPES[value.length] : undefined;
      return hashType ? { kind: 'hash', value: value.toLowerCase(), hashType } : undefined;
    }
    case 'url': {
      const url = canonicalUrl(value);
      return url ? { kind: 'url', value: url } : undefined;
    }
    case 'domain': {
      const domain = canonicalDomain(value);
      return domain ? { kind: 'domain', value: domain } : undefined;
    }
  }
}

/** Lower-case, no final dot; undefined for anything that is not a DNS name (an IP is not). */
export function canonicalDomain(text: string): string | undefined {
  const d = text.trim().toLowerCase().replace(/\.$/, '');
  return d.length <= 253 && isIP(d) === 0 && DOMAIN.test(d) ? d : undefined;
}

/** The URL as WHATWG parses it (host lower-case, default port dropped), without its fragment. */
export function canonicalUrl(text: string): string | undefined {
  return parseUrl(text)?.href;
}

/** As canonicalUrl, the parsed URL (its `hostname` is the domain to match too). */
export function parseUrl(text: string): URL | undefined {
  if (!URL_SCHEME.test(text) || text.length > MAX_VALUE_LENGTH) return undefined;
  try {
    const url = new URL(text.trim());
    if (!url.hostname) return undefined;
    url.hash = '';
    return url;
  } catch {
    return undefined;
  }
}

/** An alert's observable: the value and the field it was read from (`sourceIp`, `dns.rrname`, …). */
export interface Observable {
  field: string;
  value: string;
}

/** One indicator an alert matched. Plain data. */
export interface IntelHit {
  list: string;
  kind: IndicatorKind;
  /** The indicator as listed (canonical): `223.166.0.0/15`, `htankds.info`. */
  indicator: string;
  /** The alert's value that matched and where it was. */
  matched: string;
  field: string;
  confidence: number;
  ref?: IndicatorRef;
  validUntil?: string;
}

const active = (i: Indicator, now: number) =>
  (i.validUntil === undefined || now < i.validUntil) && (i.validFrom === undefined || now >= i.validFrom);

/**
 * One list's indicators, indexed: exact maps for domains, URLs and hashes; addresses and
 * networks in one CidrMap (by prefix length). Immutable once built.
 */
export class IndicatorTable {
  private readonly networks = new CidrMap<Indicator>();
  private readonly exact = {
    domain: new Map<string, Indicator[]>(),
    url: new Map<string, Indicator[]>(),
    hash: new Map<string, Indicator[]>(),
  };
  private count = 0;

  constructor(
    indicators: Iterable<Indicator> = [],
    /** The list's plain IPv4 indicators, packed (packed.ts); the others come as `indicators`. */
    private readonly packed?: PackedV4,
  ) {
    for (const i of indicators) this.add(i);
    if (packed) this.count += packedSize(packed);
  }

  get size(): number {
    return this.count;
  }

  /**
   * Builds a table `chunk` indicators at a time, letting the event loop run between chunks, so a
   * refresh of a million indicators never holds ingest for the whole build.
   */
  static async build(indicators: readonly Indicator[], packed?: PackedV4, chunk = 2_000): Promise<IndicatorTable> {
    const table = new IndicatorTable([], packed);
    for (let at = 0; at < indicators.length; at += chunk) {
      const end = Math.min(at + chunk, indicators.length);
      for (let n = at; n < end; n++) table.add(indicators[n]);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return table;
  }

  private add(i: Indicator): void {
    this.count++;
    if (i.kind === 'ip' || i.kind === 'cidr') {
      const cidr = parseCidr(i.value);
      if (cidr) this.networks.add(cidr, i);
    } else {
      const map: Map<string, Indicator | Indicator[]> = this.exact[i.kind];
      const there = map.get(i.value);
      if (there === undefined) map.set(i.value, i);
      else if (Array.isArray(there)) there.push(i);
      else map.set(i.value, [there, i]);
    }
  }

  /** Indicators (active at `now`, epoch ms) matching an address: exact or by network. */
  matchIp(ip: string, now: number): Indicator[] {
    const parsed = parseIp(ip);
    if (!parsed) return [];
    const listed = this.networks.match(parsed).filter((i) => active(i, now));
    if (!this.packed || parsed.version !== 4) return listed;
    const packed = matchPacked(this.packed, parsed.value);
    if (packed.length === 0) return listed;
    // Both are most specific first; merged, they stay so.
    return [...packed, ...listed].sort((a, b) => prefixOf(b) - prefixOf(a));
  }

  /** Exact matches of a canonical domain, URL or hash. */
  matchExact(kind: 'domain' | 'url' | 'hash', value: string, now: number): Indicator[] {
    const there = this.exact[kind].get(value);
    if (there === undefined) return [];
    return Array.isArray(there) ? there.filter((i) => active(i, now)) : active(there, now) ? [there] : [];
  }
}

const prefixOf = (i: Indicator) => (i.kind === 'ip' ? (i.value.includes(':') ? 128 : 32) : Number(i.value.slice(i.value.indexOf('/') + 1)));

/** The observables of an alert by kind, canonical (see observables.ts). */
export interface Observables {
  ips: Observable[];
  domains: Observable[];
  urls: Observable[];
  hashes: Observable[];
}

/** Every list's table at one moment. A refresh makes a new snapshot and swaps it in whole. */
export class IntelSnapshot {
  constructor(readonly lists: ReadonlyMap<string, IndicatorTable> = new Map()) {}

  get size(): number {
    let n = 0;
    for (const t of this.lists.values()) n += t.size;
    return n;
  }

  /** Every active indicator of every list that an alert's observables match, in list order. */
  match(observables: Observables, now: number): IntelHit[] {
    const hits: IntelHit[] = [];
    for (const table of this.lists.values()) {
      for (const o of observables.ips) for (const i of table.matchIp(o.value, now)) hits.push(hitOf(i, o));
      for (const o of observables.domains) for (const i of table.matchExact('domain', o.value, now)) hits.push(hitOf(i, o));
      for (const o of observables.urls) for (const i of table.matchExact('url', o.value, now)) hits.push(hitOf(i, o));
      for (const o of observables.hashes) for (const i of table.matchExact('hash', o.value, now)) hits.push(hitOf(i, o));
    }
    return hits;
  }
}

function hitOf(i: Indicator, o: Observable): IntelHit {
  return {
    list: i.list,
    kind: i.kind,
    indicator: i.value,
    matched: o.value,
    field: o.field,
    confidence: i.confidence,
    ...(i.ref ? { ref: i.ref } : {}),
    ...(i.validUntil !== undefined ? { validUntil: new Date(i.validUntil).toISOString() } : {}),
  };
}

/**
 * Holds the current snapshot. A list is (re)built off to the side into its own table, then one
 * assignment swaps the snapshot: a lookup sees the old lists or the new ones, never half of them.
 */
export class IntelHolder {
  current = new IntelSnapshot();

  replaceList(name: string, indicators: readonly Indicator[]): void {
    const { packed, rest } = packV4(name, indicators);
    this.swapIn(name, new IndicatorTable(rest, packed));
  }

  /**
   * As replaceList, for refreshes while ingest runs: the plain IPv4 indicators come packed (by a
   * worker thread, load-off-thread.ts), the rest are indexed in chunks (IndicatorTable.build).
   */
  async replacePacked(name: string, packed: PackedV4, rest: readonly Indicator[]): Promise<void> {
    this.swapIn(name, await IndicatorTable.build(rest, packed));
  }

  private swapIn(name: string, table: IndicatorTable): void {
    const lists = new Map(this.current.lists);
    lists.set(name, table);
    this.current = new IntelSnapshot(lists);
  }

  /** Drops lists no longer configured. */
  keepOnly(names: readonly string[]): void {
    const lists = new Map([...this.current.lists].filter(([name]) => names.includes(name)));
    this.current = new IntelSnapshot(lists);
  }
}
