import { createHash } from 'node:crypto';
import type { FieldError } from '../common/problem';

/**
 * The most each text field of a SecurityAlert holds, in UTF-16 code units (what JavaScript's
 * `length` and the schema count), and how an over-long value is cut:
 * - `text`, read by people, ends in "…";
 * - `name`, matched by rules and correlation, is cut plainly;
 * - `key`, part of an alert's identity (repeats, resolves), ends in a digest of the whole value,
 *   so two values that differ only past the limit stay two.
 * Monitors treat a 4xx as final, so an over-long field is clipped with a warning, never refused.
 */
export const FIELD_LIMITS = {
  source: { max: 200, cut: 'key' },
  type: { max: 64, cut: 'name' },
  title: { max: 1000, cut: 'text' },
  externalId: { max: 200, cut: 'key' },
  description: { max: 10_000, cut: 'text' },
  user: { max: 200, cut: 'name' },
  host: { max: 255, cut: 'name' },
  tag: { max: 100, cut: 'text' },
} as const;

export type ClippedField = keyof typeof FIELD_LIMITS;

/** Tags an alert keeps; the rest are left out with a warning. */
export const MAX_TAGS = 50;

/** Hex digits of SHA-256 that end a clipped key: 128 bits, plenty to keep distinct values apart. */
const DIGEST_DIGITS = 32;

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** At most `max` code units from the start of `text`, never ending inside a surrogate pair (an emoji). */
export function headOf(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(0, isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max);
}

/** `text` in at most `max` code units, ending in "…" when it had to be cut; for display. */
export function clipText(text: string, max: number): string {
  return text.length <= max ? text : headOf(text, max - 1) + '…';
}

const clippedMessage = (max: number, length: number) => `clipped to ${max} characters (was ${length})`;

/**
 * `value` fitted to what `field` holds (or to `max`, when the field shares its room with other
 * text); `message` says so when it was clipped.
 */
export function clipField(field: ClippedField, value: string, max: number = FIELD_LIMITS[field].max): { value: string; message?: string } {
  if (value.length <= max) return { value };
  const message = clippedMessage(max, value.length);
  switch (FIELD_LIMITS[field].cut) {
    case 'text':
      return { value: clipText(value, max), message };
    case 'name':
      return { value: headOf(value, max), message };
    case 'key': {
      const digest = createHash('sha256').update(value).digest('hex').slice(0, DIGEST_DIGITS);
      return { value: `${headOf(value, max - DIGEST_DIGITS - 1)}…${digest}`, message: `${message}, ending in a digest of the whole value` };
    }
  }
}

/** Every text field of an alert; tags are clipped one by one, and counted. */
const STRING_FIELDS = (Object.keys(FIELD_LIMITS) as ClippedField[]).filter((f): f is Exclude<ClippedField, 'tag'> => f !== 'tag');

/**
 * A native alert candidate with every over-long text field clipped, and a warning for each
 * (`/title`, `/tags/3`, `/tags`). Values of the wrong kind are left for validation to refuse.
 */
export function clipAlert(input: Record<string, unknown>): { input: Record<string, unknown>; warnings: FieldError[] } {
  const warnings: FieldError[] = [];
  const changes: Record<string, unknown> = {};
  for (const field of STRING_FIELDS) {
    const value = input[field];
    if (typeof value !== 'string') continue;
    const clipped = clipField(field, value);
    if (clipped.message === undefined) continue;
    changes[field] = clipped.value;
    warnings.push({ path: `/${field}`, message: clipped.message });
  }
  if (Array.isArray(input.tags)) {
    const before = warnings.length;
    const tags = clipTags(input.tags as unknown[], warnings);
    if (warnings.length > before) changes.tags = tags;
  }
  // A copy only when something changed; own keys (a "__proto__" among them) are kept as own keys.
  return Object.keys(changes).length === 0 ? { input, warnings } : { input: { ...input, ...changes }, warnings };
}

function clipTags(tags: unknown[], warnings: FieldError[]): unknown[] {
  let kept = tags;
  if (tags.length > MAX_TAGS) {
    warnings.push({ path: '/tags', message: `clipped to ${MAX_TAGS} tags (was ${tags.length})` });
    kept = tags.slice(0, MAX_TAGS);
  }
  return kept.map((tag, i) => {
    if (typeof tag !== 'string') return tag;
    const clipped = clipField('tag', tag);
    if (clipped.message !== undefined) warnings.push({ path: `/tags/${i}`, message: clipped.message });
    return clipped.value;
  });
}
