import { parse as parseCsv } from 'csv-parse/sync';
import { classify, type Indicator, type IndicatorKind, type IndicatorRef } from './indicator';

/** What a list gives each of its indicators unless the indicator says otherwise. */
export interface ListDefaults {
  list: string;
  confidence: number;
  /** An indicator with no `valid_until` of its own expires this long (ms) after it was published; unset: never. */
  maxAgeMs?: number;
}

/** Indicators parsed from one file, and what was left out (counted by reason, with a few examples). */
export interface Parsed {
  indicators: Indicator[];
  skipped: Record<string, number>;
}

const parsed = (): Parsed => ({ indicators: [], skipped: {} });
const skip = (p: Parsed, reason: string) => void (p.skipped[reason] = (p.skipped[reason] ?? 0) + 1);
type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
/** A date string or epoch seconds (MISP writes both) as epoch ms. */
function epochMs(v: unknown): number | undefined {
  if (typeof v === 'number' || (typeof v === 'string' && /^\d{9,11}$/.test(v))) return Number(v) * 1000;
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

function add(
  p: Parsed,
  defaults: ListDefaults,
  value: string,
  kind: IndicatorKind | undefined,
  extra: Partial<Indicator> & { published?: number },
): void {
  const c = classify(value, kind);
  if (!c) return skip(p, kind ? `not a valid ${kind}` : 'not an IP, CIDR, domain, URL or hash');
  // A literal, then one property at a time: an object built by spreading takes three times the memory in V8.
  const indicator: Indicator = { kind: c.kind, value: c.value, list: defaults.list, confidence: extra.confidence ?? defaults.confidence };
  if (c.hashType) indicator.hashType = c.hashType;
  if (extra.ref) indicator.ref = extra.ref;
  if (extra.validFrom !== undefined) indicator.validFrom = extra.validFrom;
  if (extra.validUntil !== undefined) indicator.validUntil = extra.validUntil;
  else if (defaults.maxAgeMs !== undefined && extra.published !== undefined) indicator.validUntil = extra.published + defaults.maxAgeMs;
  p.indicators.push(indicator);
}

// ---------------------------------------------------------------- plain text

/**
 * One value per line (IPs, CIDRs, domains, URLs or hashes, told apart by shape unless `kind` says);
 * `#` and `;` start comments, anything after the first space or tab on a line (IPsum's counts) is ignored.
 */
export function parseTextList(text: string, defaults: ListDefaults, kind?: IndicatorKind): Parsed {
  const p = parsed();
  const lines = text.split(/\r?\n/);
  lines.forEach((line) => {
    const value = line.trim().split(/[\s]/, 1)[0] ?? '';
    if (value === '' || value.startsWith('#') || value.startsWith(';') || value.startsWith('//')) return;
    add(p, defaults, value, kind, {});
  });
  return p;
}

// ---------------------------------------------------------------- CSV

export interface CsvOptions {
  /** Column of the value: a header name (with `header: true`) or a 0-based index. */
  column: string | number;
  header: boolean;
  delimiter: string;
  /** Optional column with each row's expiry (ISO 8601 or epoch seconds). */
  valid_until_column?: string | number;
}

export function parseCsvList(text: string, defaults: ListDefaults, options: CsvOptions, kind?: IndicatorKind): Parsed {
  const p = parsed();
  const rows = parseCsv(text, {
    delimiter: options.delimiter,
    comment: '#',
    skip_empty_lines: true,
    relax_column_count: true,
    relax_quotes: true,
    trim: true,
  }) as string[][];
  let start = 0;
  let col = typeof options.column === 'number' ? options.column : -1;
  let untilCol = typeof options.valid_until_column === 'number' ? options.valid_until_column : -1;
  if (options.header && rows.length > 0) {
    const names = rows[0].map((n) => n.toLowerCase());
    if (typeof options.column === 'string') col = names.indexOf(options.column.toLowerCase());
    if (typeof options.valid_until_column === 'string') untilCol = names.indexOf(options.valid_until_column.toLowerCase());
    start = 1;
  }
  if (col < 0) {
    skip(p, `no column ${JSON.stringify(options.column)} in the header`);
    return p;
  }
  for (let r = start; r < rows.length; r++) {
    const value = rows[r][col];
    if (value === undefined || value === '') {
      skip(p, 'empty value');
      continue;
    }
    const until = untilCol >= 0 ? epochMs(rows[r][untilCol]) : undefined;
    add(p, defaults, value, kind, until !== undefined ? { validUntil: until } : {});
  }
  return p;
}

// ---------------------------------------------------------------- MISP

/** MISP attribute types Warden matches, and the kind of their value (for `a|b` types, of the part named). */
const MISP_TYPES: Record<string, { kind: IndicatorKind; part?: 0 | 1 }> = {
  'ip-src': { kind: 'ip' },
  'ip-dst': { kind: 'ip' },
  'ip-src|port': { kind: 'ip', part: 0 },
  'ip-dst|port': { kind: 'ip', part: 0 },
  'domain|ip': { kind: 'domain', part: 0 },
  domain: { kind: 'domain' },
  hostname: { kind: 'domain' },
  'hostname|port': { kind: 'domain', part: 0 },
  url: { kind: 'url' },
  md5: { kind: 'hash' },
  sha1: { kind: 'hash' },
  sha256: { kind: 'hash' },
  sha512: { kind: 'hash' },
  'filename|md5': { kind: 'hash', part: 1 },
  'filename|sha1': { kind: 'hash', part: 1 },
  'filename|sha256': { kind: 'hash', part: 1 },
  'filename|sha512': { kind: 'hash', part: 1 },
  'malware-sample': { kind: 'hash', part: 1 },
};

export interface MispOptions {
  /** Only attributes flagged for detection (`to_ids`), as MISP's own exports do. */
  toIdsOnly: boolean;
}

/**
 * One MISP event (`{"Event": {...}}`, as a feed serves `<uuid>.json`): its attributes and its
 * objects' attributes. `domain|ip` gives both the domain and the IP. Deleted attributes and, by
 * default, those not flagged `to_ids` are left out.
 */
export function parseMispEvent(json: unknown, defaults: ListDefaults, options: MispOptions): Parsed {
  const p = parsed();
  const event = isObject(json) && isObject(json.Event) ? json.Event : undefined;
  if (!event) {
    skip(p, 'not a MISP event (no "Event" object)');
    return p;
  }
  const eventUuid = str(event.uuid) ?? '';
  const ref: IndicatorRef = {
    type: 'misp',
    event: eventUuid,
    ...(str(event.id) ? { eventId: str(event.id) } : {}),
    ...(str(event.info) ? { info: str(event.info)!.slice(0, 300) } : {}),
  };
  const eventPublished = epochMs(event.publish_timestamp) ?? epochMs(event.timestamp) ?? epochMs(event.date);
  const attributes: unknown[] = Array.isArray(event.Attribute) ? [...event.Attribute] : [];
  if (Array.isArray(event.Object))
    for (const o of event.Object) if (isObject(o) && Array.isArray(o.Attribute)) attributes.push(...o.Attribute);

  for (const a of attributes) {
    if (!isObject(a)) continue;
    const type = str(a.type) ?? '';
    const spec = MISP_TYPES[type];
    if (!spec) {
      skip(p, `MISP type ${type} not matched`);
      continue;
    }
    if (a.deleted === true) {
      skip(p, 'deleted');
      continue;
    }
    if (options.toIdsOnly && a.to_ids !== true && a.to_ids !== '1') {
      skip(p, 'not to_ids');
      continue;
    }
    const value = str(a.value) ?? '';
    const parts = spec.part === undefined ? [value] : value.split('|');
    const published = epochMs(a.timestamp) ?? eventPublished;
    const base = { ref, ...(published !== undefined ? { published } : {}) };
    add(p, defaults, parts[spec.part ?? 0] ?? '', spec.kind, base);
    if (type === 'domain|ip' && parts[1]) add(p, defaults, parts[1], 'ip', base);
  }
  return p;
}

/** A MISP feed's `manifest.json`: event uuid → header. The uuids are the event files to fetch. */
export function mispManifestEvents(json: unknown): string[] {
  if (!isObject(json)) throw new Error('manifest.json is not a JSON object');
  return Object.keys(json).filter((uuid) => /^[0-9a-f-]{36}$/i.test(uuid));
}

// ---------------------------------------------------------------- STIX 2.1

/** STIX object paths Warden matches, and the kind of their values. */
const STIX_PATHS: Record<string, IndicatorKind> = {
  'ipv4-addr:value': 'ip',
  'ipv6-addr:value': 'ip',
  'domain-name:value': 'domain',
  'url:value': 'url',
  "file:hashes.'sha-256'": 'hash',
  'file:hashes.sha256': 'hash',
  "file:hashes.'sha-1'": 'hash',
  'file:hashes.sha1': 'hash',
  'file:hashes.md5': 'hash',
  "file:hashes.'md5'": 'hash',
  "file:hashes.'sha-512'": 'hash',
  'file:hashes.sha512': 'hash',
};

/** Patterns longer than this are no simple pattern: skipped unread (outside text). */
const MAX_PATTERN = 20_000;
const COMPARISON = /^\s*([a-z0-9-]+:[a-z0-9_.'-]+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*/i;

/**
 * The values of a simple STIX pattern: comparisons `object:path = 'value'` joined by OR, inside
 * one or several `[...]` joined by OR. Anything else (AND, other operators, qualifiers such as
 * WITHIN, paths Warden does not match) is not simple: undefined.
 */
export function simplePatternValues(pattern: string): { kind: IndicatorKind; value: string }[] | undefined {
  if (pattern.length > MAX_PATTERN) return undefined;
  const values: { kind: IndicatorKind; value: string }[] = [];
  let rest = pattern.trim();
  let expectTerm = true;
  let depth = 0;
  while (rest.length > 0) {
    if (expectTerm) {
      if (rest[0] === '[' || rest[0] === '(') {
        depth++;
        rest = rest.slice(1).trimStart();
        continue;
      }
      const m = COMPARISON.exec(rest);
      if (!m) return undefined;
      const kind = STIX_PATHS[m[1].toLowerCase()];
      if (!kind) return undefined;
      values.push({ kind, value: m[2].replace(/\\(.)/g, '$1') });
      rest = rest.slice(m[0].length);
      expectTerm = false;
    } else if (rest[0] === ']' || rest[0] === ')') {
      depth--;
      if (depth < 0) return undefined;
      rest = rest.slice(1).trimStart();
    } else if (/^OR\s/.test(rest)) {
      rest = rest.slice(2).trimStart();
      expectTerm = true;
    } else return undefined;
  }
  return depth === 0 && !expectTerm && values.length > 0 ? values : undefined;
}

/**
 * Indicators of a STIX 2.1 bundle (`indicator` objects with `pattern_type: stix`) whose pattern is
 * simple (see simplePatternValues). Revoked indicators are left out; `valid_from`, `valid_until`
 * and `confidence` are the indicator's own.
 */
export function parseStixBundle(json: unknown, defaults: ListDefaults): Parsed {
  const p = parsed();
  const objects =
    isObject(json) && Array.isArray(json.objects) ? json.objects : isObject(json) && json.type === 'indicator' ? [json] : undefined;
  if (!objects) {
    skip(p, 'not a STIX bundle (no "objects" array)');
    return p;
  }
  for (const o of objects) {
    if (!isObject(o) || o.type !== 'indicator') continue;
    if (o.pattern_type !== undefined && o.pattern_type !== 'stix') {
      skip(p, `pattern_type ${String(o.pattern_type)}`);
      continue;
    }
    if (o.revoked === true) {
      skip(p, 'revoked');
      continue;
    }
    const values = typeof o.pattern === 'string' ? simplePatternValues(o.pattern) : undefined;
    if (!values) {
      skip(p, 'pattern not simple');
      continue;
    }
    const ref: IndicatorRef = { type: 'stix', id: str(o.id) ?? '', ...(str(o.name) ? { name: str(o.name)!.slice(0, 300) } : {}) };
    const validFrom = epochMs(o.valid_from);
    const validUntil = epochMs(o.valid_until);
    const confidence = typeof o.confidence === 'number' && o.confidence >= 0 && o.confidence <= 100 ? o.confidence : undefined;
    for (const v of values) {
      add(p, defaults, v.value, v.kind, {
        ref,
        ...(validFrom !== undefined ? { validFrom } : {}),
        ...(validUntil !== undefined ? { validUntil } : {}),
        ...(confidence !== undefined ? { confidence } : {}),
        ...(validFrom !== undefined ? { published: validFrom } : {}),
      });
    }
  }
  return p;
}
