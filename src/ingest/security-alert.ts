import { isIP } from 'node:net';
import { z } from 'zod';
import { jsonPointer, type FieldError } from '../common/problem';
import { SEVERITIES, type SecurityAlert } from '../domain';
import { clipAlert, FIELD_LIMITS, MAX_TAGS } from './clip';

/** How far ahead of the server clock an `occurredAt` may be (clock skew), in ms. */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;
const MAX_RAW_DEPTH = 32;

// PostgreSQL text and jsonb cannot hold U+0000 or a lone UTF-16 surrogate; everything else is stored verbatim.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const storable = (s: string) => !s.includes('\u0000') && !LONE_SURROGATE.test(s);
const UNSTORABLE = 'must not contain the NUL character or a lone UTF-16 surrogate';
const text = (max: number) => z.string().max(max, `must be at most ${max} characters`).refine(storable, UNSTORABLE);

const ip = z
  .string()
  .max(64)
  // A zone id (fe80::1%eth0) is valid for Node but not for PostgreSQL's inet.
  .refine((v) => isIP(v) !== 0 && !v.includes('%'), 'must be an IPv4 or IPv6 address')
  .transform(canonicalIp);

/**
 * One spelling per address, so correlation and dedup keys match however a monitor wrote it:
 * IPv6 lower-case and compressed, IPv4-mapped IPv6 as plain IPv4.
 */
export function canonicalIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const v6 = new URL(`http://[${ip}]`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (!mapped) return v6;
  const [hi, lo] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/** Strict ISO 8601 with a zone; rejects dates V8 would roll over, such as February 30th. */
function isIsoTimestamp(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.exec(v);
  if (!m || Number.isNaN(Date.parse(v))) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1) return false; // PostgreSQL has no year 0
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function depthOf(value: unknown, limit: number, depth = 0): number {
  if (depth > limit || value === null || typeof value !== 'object') return depth;
  let max = depth;
  for (const v of Object.values(value as object)) {
    max = Math.max(max, depthOf(v, limit, depth + 1));
    if (max > limit) break;
  }
  return max;
}

function hasUnstorableText(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return !storable(value);
  if (value === null || typeof value !== 'object' || depth > MAX_RAW_DEPTH) return false;
  return Object.entries(value as object).some(([k, v]) => !storable(k) || hasUnstorableText(v, depth + 1));
}

/** The native alert every format normalizes to; see DESIGN.md "The native SecurityAlert". */
export const securityAlertSchema = z
  .object({
    source: text(FIELD_LIMITS.source.max).min(1, 'must not be empty'),
    type: z
      .string()
      .min(1, 'must not be empty')
      .max(FIELD_LIMITS.type.max, `must be at most ${FIELD_LIMITS.type.max} characters`)
      .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be lower-case letters, digits, "_", "." or "-" (e.g. sql_injection)'),
    severity: z.enum(SEVERITIES, { message: `must be one of ${SEVERITIES.join(', ')}` }),
    title: text(FIELD_LIMITS.title.max).min(1, 'must not be empty'),
    externalId: text(FIELD_LIMITS.externalId.max).min(1).optional(),
    description: text(FIELD_LIMITS.description.max).optional(),
    sourceIp: ip.optional(),
    destinationIp: ip.optional(),
    user: text(FIELD_LIMITS.user.max).min(1).optional(),
    host: text(FIELD_LIMITS.host.max).min(1).optional(),
    occurredAt: z
      .string()
      .max(64)
      .superRefine((v, ctx) => {
        if (!isIsoTimestamp(v)) ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 timestamp with a time zone' });
        else if (Date.parse(v) > Date.now() + MAX_FUTURE_SKEW_MS) ctx.addIssue({ code: 'custom', message: 'must not be in the future' });
      })
      .optional(),
    tags: z.array(text(FIELD_LIMITS.tag.max).min(1)).max(MAX_TAGS, `must have at most ${MAX_TAGS} tags`).optional(),
    raw: z
      .unknown()
      .refine((v) => depthOf(v, MAX_RAW_DEPTH) <= MAX_RAW_DEPTH, `must nest at most ${MAX_RAW_DEPTH} levels deep`)
      .refine((v) => !hasUnstorableText(v), UNSTORABLE)
      .optional(),
  })
  .strict();

export type SecurityAlertInput = z.input<typeof securityAlertSchema>;

export type Validation = { ok: true; alert: SecurityAlert; warnings?: FieldError[] } | { ok: false; errors: FieldError[] };

/**
 * Validates one alert; errors name each bad field with a JSON-pointer-like path. An over-long
 * text field is clipped first (the schema's limits are then met) and named in `warnings`;
 * anything else that breaks the schema is an error.
 */
export function validateAlert(input: unknown, pathPrefix = ''): Validation {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: [{ path: pathPrefix || '/', message: 'must be a JSON object' }] };
  }
  const clipped = clipAlert(input as Record<string, unknown>);
  const result = securityAlertSchema.safeParse(clipped.input);
  if (!result.success) {
    return {
      ok: false,
      errors: result.error.issues.flatMap((i) =>
        i.code === 'unrecognized_keys'
          ? i.keys.map((key) => ({ path: pathPrefix + jsonPointer([...i.path, key]), message: `unknown field: ${key}` }))
          : [{ path: pathPrefix + jsonPointer(i.path), message: i.message }],
      ),
    };
  }
  const { occurredAt, ...rest } = result.data;
  const alert: SecurityAlert = { ...rest, ...(occurredAt ? { occurredAt: new Date(occurredAt) } : {}) };
  const warnings = clipped.warnings.map((w) => ({ ...w, path: pathPrefix + w.path }));
  return warnings.length > 0 ? { ok: true, alert, warnings } : { ok: true, alert };
}
