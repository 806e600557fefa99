import { isIP } from 'node:net';
import { z } from 'zod';
import { compilePattern, patternError, type Pattern } from '../../common/pattern';
import type { FieldError } from '../../common/problem';
import { SEVERITIES } from '../../domain';
import { clipField, clipText, FIELD_LIMITS, MAX_TAGS, type ClippedField } from '../clip';
import { securityAlertSchema, type SecurityAlertInput } from '../security-alert';
import type { NormalizedItem } from './types';

export type JsonObject = Record<string, unknown>;
type Segment = string | number;

export const isObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The alert `type` schema, reused so config tables can only name valid types. */
export const alertTypeSchema = securityAlertSchema.shape.type;

/** A config pattern compiled once, case-insensitive, on the linear-time engine (common/pattern.ts). */
export const compiledPattern = (source: string): Pattern => compilePattern(source, { ignoreCase: true });

/** A regular expression in a config table, checked at load time so matching never throws. */
export const patternSchema = z
  .string()
  .min(1, 'must not be empty')
  .superRefine((source, ctx) => {
    const problem = patternError(source);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A record whose bad keys report the key schema's own message, not zod's generic "Invalid key in record". */
export const table = <K extends z.ZodType<string>, V extends z.ZodType>(key: K, value: V) =>
  z.record(key, value, { error: (issue) => (issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined) });

/** RFC 6901 pointer; the root is `/`, as `validateAlert` reports it. */
export function pointer(segments: readonly Segment[]): string {
  if (segments.length === 0) return '/';
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/**
 * Finds `a.b.c` in nested objects, in flattened keys (`"a.b": {c}`) or any mix, the
 * longest key first: ECS documents and Falco `output_fields` use dotted keys.
 */
export function lookup(root: unknown, dotted: string): { value: unknown; segments: string[] } {
  const keys = candidateKeys(dotted);
  const segments: string[] = [];
  let node = root;
  let i = 0;
  while (i < keys.length) {
    const here = node;
    const taken = isObject(here) ? longestKey(here, keys[i]) : 0;
    if (taken === 0) return { value: undefined, segments: [...segments, ...dotted.split('.').slice(i)] };
    const key = keys[i][taken - 1];
    segments.push(key);
    node = (here as JsonObject)[key];
    i += taken;
  }
  return { value: node, segments };
}

/** Per path, from each part: the keys it could start, `a`, `a.b`, `a.b.c` (the paths are the normalizers' own, a few dozen). */
const CANDIDATES = new Map<string, string[][]>();
function candidateKeys(dotted: string): string[][] {
  let keys = CANDIDATES.get(dotted);
  if (!keys) {
    const parts = dotted.split('.');
    keys = parts.map((_, from) => parts.slice(from).map((_, n) => parts.slice(from, from + n + 1).join('.')));
    if (CANDIDATES.size < 10_000) CANDIDATES.set(dotted, keys);
  }
  return keys;
}

/** How many parts the longest candidate key `obj` has takes (0: none). */
function longestKey(obj: JsonObject, candidates: readonly string[]): number {
  for (let n = candidates.length; n > 0; n--) if (Object.hasOwn(obj, candidates[n - 1])) return n;
  return 0;
}

/** Lower-case snake_case, splitting camelCase (`SSHBruteForce` → `ssh_brute_force`); fits the alert type rule. */
export function snakeCase(text: string, max = 64): string | undefined {
  // Only the head can survive `max`; clipping first keeps the regexes below linear in practice.
  const snake = text
    .slice(0, max * 4)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+/, '')
    .slice(0, max)
    .replace(/_+$/, '');
  return snake || undefined;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Parses the ISO 8601 variants monitors write and returns a full UTC ISO string:
 * Suricata `2019-01-02T03:50:11.315110` (no zone: UTC) or `...-0600`, Wazuh `...+0000`,
 * Falco nanoseconds `...958734847Z`. Rejects impossible dates instead of rolling them over.
 */
export function toIsoTimestamp(text: string): string | undefined {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '00', frac = '', zone = 'Z'] = m;
  const daysInMonth = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  if (+mo < 1 || +mo > 12 || +d < 1 || +d > daysInMonth || +h > 23 || +mi > 59 || +s > 59) return undefined;
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : offsetOf(zone);
  if (!offset) return undefined;
  const ms = (frac + '000').slice(0, 3);
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${offset}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function offsetOf(zone: string): string | undefined {
  const digits = zone.slice(1).replace(':', '');
  const hh = digits.slice(0, 2);
  const mm = digits.slice(2) || '00';
  if (+hh > 23 || +mm > 59) return undefined;
  return `${zone[0]}${hh}:${mm}`;
}

// Placeholders monitors write for "no address" (Wazuh `any`, Falco `<NA>`, Windows `-`).
const NO_ADDRESS = new Set(['-', 'any', 'unknown', 'none', 'n/a', '<na>']);

/**
 * Reads fields of one record and collects errors with pointers into the original
 * record (`base` prefixes them, e.g. `/alerts/2`). Absent, null and blank values are
 * "not given"; a value of the wrong kind is an error, never a throw.
 */
export class FieldReader {
  readonly errors: FieldError[] = [];
  /** Values replaced with a configured default: the alert is still made, and the answer names the field. */
  readonly warnings: FieldError[] = [];

  constructor(
    private readonly record: unknown,
    private readonly base: readonly Segment[] = [],
  ) {}

  pointer(path: string): string {
    return pointer([...this.base, ...(path ? lookup(this.record, path).segments : [])]);
  }

  fail(path: string, message: string): undefined {
    this.errors.push({ path: this.pointer(path), message });
    return undefined;
  }

  warn(path: string, message: string): void {
    this.warnings.push({ path: this.pointer(path), message });
  }

  /**
   * `value`, read from `path` (or built from it), fitted to what the alert's `field` holds; a
   * clipped one warns at `path` with its original length. The whole value stays in `raw`.
   */
  fit(field: ClippedField, path: string, value: string | undefined): string | undefined {
    return this.fitAt(field, this.pointer(path), value);
  }

  /** `fit` at a pointer already made (an element of a list), into `max` when the field shares its room. */
  fitAt(field: ClippedField, at: string, value: string, max?: number): string;
  fitAt(field: ClippedField, at: string, value: string | undefined, max?: number): string | undefined;
  fitAt(field: ClippedField, at: string, value: string | undefined, max?: number): string | undefined {
    if (value === undefined) return undefined;
    const clipped = clipField(field, value, max);
    if (clipped.message !== undefined) this.warnings.push({ path: at, message: clipped.message });
    return clipped.value;
  }

  /** The string at `path`, fitted to `field` (a warning at `path` when clipped). */
  text(field: ClippedField, path: string): string | undefined {
    return this.fit(field, path, this.string(path));
  }

  /** The first of `paths` that holds a value, else the first (for its error or warning path). */
  first(paths: readonly string[]): string {
    return paths.find((p) => this.has(p)) ?? paths[0];
  }

  has(path: string): boolean {
    return this.value(path) !== undefined;
  }

  value(path: string): unknown {
    const { value } = lookup(this.record, path);
    return value === null || (typeof value === 'string' && value.trim() === '') ? undefined : value;
  }

  object(path: string, required = false): JsonObject | undefined {
    const value = this.value(path);
    if (value === undefined) return required ? this.fail(path, 'is required') : undefined;
    return isObject(value) ? value : this.fail(path, 'must be an object');
  }

  string(path: string, required = false): string | undefined {
    const value = this.value(path);
    if (value === undefined) return required ? this.fail(path, 'is required') : undefined;
    return typeof value === 'string' ? value : this.fail(path, 'must be a string');
  }

  /** Identifiers that monitors write as either strings or numbers (rule ids, signature ids). */
  id(path: string, required = false): string | undefined {
    const value = this.value(path);
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (value === undefined || typeof value === 'string') return this.string(path, required);
    return this.fail(path, 'must be a string or a number');
  }

  integer(path: string, required = false): number | undefined {
    const value = this.value(path);
    if (value === undefined) return required ? this.fail(path, 'is required') : undefined;
    return Number.isInteger(value) ? (value as number) : this.fail(path, 'must be an integer');
  }

  number(path: string): number | undefined {
    const value = this.value(path);
    if (value === undefined) return undefined;
    const n = typeof value === 'string' ? Number(value) : value;
    return typeof n === 'number' && Number.isFinite(n) ? n : this.fail(path, 'must be a number');
  }

  ip(path: string): string | undefined {
    const value = this.string(path)?.trim();
    if (value === undefined || NO_ADDRESS.has(value.toLowerCase())) return undefined;
    // A zone id (fe80::1%eth0) is valid for Node but not for PostgreSQL's inet.
    return isIP(value) !== 0 && !value.includes('%') ? value : this.fail(path, 'must be an IPv4 or IPv6 address');
  }

  timestamp(path: string, required = false): string | undefined {
    const value = this.string(path, required);
    if (value === undefined) return undefined;
    return toIsoTimestamp(value) ?? this.fail(path, 'must be an ISO 8601 timestamp (e.g. 2019-01-02T03:50:11.315Z)');
  }

  /** A list of strings; a single string counts as a list of one (ECS allows both). */
  strings(path: string): string[] {
    return this.listed(path).map((entry) => entry.value);
  }

  /** `strings`, each with the pointer of its element, for warnings about one of them. */
  listed(path: string): ListedString[] {
    const value = this.value(path);
    if (value === undefined) return [];
    const list = Array.isArray(value) ? value : [value];
    const { segments } = lookup(this.record, path);
    return list.flatMap((item, i) => {
      const at = pointer(Array.isArray(value) ? [...this.base, ...segments, i] : [...this.base, ...segments]);
      if (typeof item === 'string') return item.trim() ? [{ at, value: item }] : [];
      this.errors.push({ path: at, message: 'must be a string or a list of strings' });
      return [];
    });
  }
}

/** Error for a record that is not an object at all. */
export const notAnObject = (what: string): NormalizedItem[] => [{ errors: [{ path: '/', message: `must be a JSON object (${what})` }] }];

/** A table entry by key; own keys only, so `constructor` or `__proto__` in input finds nothing. */
export const entry = <V>(map: Record<string, V>, key: string): V | undefined => (Object.hasOwn(map, key) ? map[key] : undefined);

export interface ListedString {
  /** JSON pointer of the value in the request. */
  at: string;
  value: string;
}

/** Text made from one field: `prefix` (e.g. `job:`) and the value read at `at`; no value, nothing made. */
export interface SourcedText {
  at: string;
  prefix?: string;
  value: string | undefined | false;
}

/**
 * Lines made from several fields, joined by newlines, fitted into what the alert's `field` holds.
 * When they do not fit, the longest gives way: its value is clipped into the room the others
 * leave (a runbook link outlives the tail of a long description), with a warning at its own field.
 * When even the others do not fit, lines are taken in order and what is left over is clipped or left out.
 */
export function joinedText(reader: FieldReader, field: ClippedField, parts: SourcedText[]): string | undefined {
  const given = parts.flatMap(({ at, prefix = '', value }) => (value ? [{ at, prefix, value }] : []));
  if (given.length === 0) return undefined;
  const max = FIELD_LIMITS[field].max;
  const lineLength = (p: { prefix: string; value: string }) => p.prefix.length + p.value.length;
  const total = given.reduce((sum, p) => sum + lineLength(p), given.length - 1); // with the newlines
  const longest = given.reduce((a, b) => (lineLength(b) > lineLength(a) ? b : a));
  const room = max - (total - lineLength(longest)) - longest.prefix.length;
  // Everything fits when the room left for the longest value is at least its length.
  if (room >= 1) return given.map((p) => p.prefix + (p === longest ? reader.fitAt(field, p.at, p.value, room) : p.value)).join('\n');
  let left = max;
  const lines: string[] = [];
  for (const { at, prefix, value } of given) {
    const space = left - prefix.length - (lines.length > 0 ? 1 : 0);
    if (space < 1) {
      reader.warnings.push({ path: at, message: `left out: the alert's ${field} holds at most ${max} characters` });
      continue;
    }
    const line = prefix + reader.fitAt(field, at, value, space);
    left -= line.length + (lines.length > 0 ? 1 : 0);
    lines.push(line);
  }
  return lines.join('\n');
}

/**
 * Tags for the alert: trimmed, deduplicated, at most 50, each fitted to the schema's 100
 * characters; a value clipped or a tag left out warns at the field it came from.
 */
export function tagList(reader: FieldReader, sources: SourcedText[]): string[] | undefined {
  const seen = new Map<string, SourcedText & { value: string }>();
  for (const source of sources) {
    const value = source.value && source.value.trim();
    if (value && !seen.has((source.prefix ?? '') + value)) seen.set((source.prefix ?? '') + value, { ...source, value });
  }
  const wanted = [...seen.values()];
  if (wanted.length > MAX_TAGS) {
    reader.warnings.push({
      path: wanted[MAX_TAGS].at,
      message: `left out: an alert keeps at most ${MAX_TAGS} tags (this one had ${wanted.length})`,
    });
  }
  // A prefix (`job:`) takes its part of the 100 characters; what is clipped is the value it came with.
  const tags = wanted
    .slice(0, MAX_TAGS)
    .map(({ at, prefix = '', value }) => prefix + reader.fitAt('tag', at, value, FIELD_LIMITS.tag.max - prefix.length));
  return tags.length ? [...new Set(tags)] : undefined;
}

/**
 * The item for one record: the alert when mapping succeeded, otherwise only the errors.
 * Every required field that is missing has left an error, so callers may pass placeholders.
 */
export function finish(reader: FieldReader, alert: SecurityAlertInput, extra: Partial<NormalizedItem> = {}): NormalizedItem {
  if (reader.errors.length > 0) return { errors: reader.errors };
  const compact = Object.fromEntries(Object.entries(alert).filter(([, v]) => v !== undefined)) as SecurityAlertInput;
  return { alert: compact, ...(reader.warnings.length > 0 ? { warnings: reader.warnings } : {}), ...extra };
}

/** A sender's value as part of a key: a string as it is, anything else as JSON (String() throws on `{ "toString": [] }`). */
export const keyPart = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)));

/** A value as a warning quotes it: JSON, clipped, since it comes from the sender. */
export const shown = (value: unknown): string => clipText(JSON.stringify(value) ?? String(value), 100);

/**
 * The configured default for a value the mapping does not know (or a missing one). Monitors
 * treat a 4xx as final, so the alert is kept (its raw payload holds the original value) and the
 * warning names the field.
 */
export function defaulted<S extends string>(reader: FieldReader, path: string, fallback: S, unknown?: { what: string; value: unknown }): S {
  const given = unknown ? `unknown ${unknown.what} ${shown(unknown.value)}` : 'missing';
  reader.warn(path, `${given}; used the default "${fallback}"`);
  return fallback;
}

/**
 * Severity from a lower-cased label table; a missing or unknown label takes `fallback`
 * with a warning. A label that is not a string at all is an error.
 */
export function severityFromLabel<S extends string>(
  reader: FieldReader,
  path: string,
  labels: Record<string, S>,
  fallback: S,
  what = 'severity',
): S | undefined {
  if (!reader.has(path)) return defaulted(reader, path, fallback);
  const label = reader.string(path);
  if (label === undefined) return undefined;
  return entry(labels, label.trim().toLowerCase()) ?? defaulted(reader, path, fallback, { what, value: label });
}

/** `default_severity:` of every format's tables: what a missing or unknown severity becomes. */
export const defaultSeveritySchema = z.enum(SEVERITIES).default('medium');
