import { NdjsonBody } from './body-parsers';
import type { NormalizedItem } from './normalizers/types';

export const MAX_BATCH_ALERTS = 1000;

export interface Intake {
  items: NormalizedItem[];
  /** A batch answers per item; a single alert answers with its own result. */
  batch: boolean;
  /** Where items sit in the body, for error paths: `/alerts` for `{ "alerts": [...] }`. */
  pathPrefix: string;
}

/** The records of a body: one value, a JSON array, or NDJSON lines (bad lines become rejected items). */
export function records(body: unknown): { values: ({ value: unknown } | { error: string })[]; batch: boolean } {
  if (body instanceof NdjsonBody) {
    return { values: body.lines.map((l) => ('error' in l ? { error: l.error } : { value: l.value })), batch: true };
  }
  if (Array.isArray(body)) return { values: body.map((value) => ({ value })), batch: true };
  return { values: [{ value: body }], batch: false };
}

/** Native bodies: one SecurityAlert, an array, `{ "alerts": [...] }` or NDJSON. */
export function nativeIntake(body: unknown): Intake {
  const wrapped = body !== null && typeof body === 'object' && !Array.isArray(body) && Array.isArray((body as { alerts?: unknown }).alerts);
  const { values, batch } = records(wrapped ? (body as { alerts: unknown[] }).alerts : body);
  return {
    items: values.map((v) => ('error' in v ? { errors: [{ path: '', message: v.error }] } : { alert: v.value as NormalizedItem['alert'] })),
    batch: batch || wrapped,
    pathPrefix: wrapped ? '/alerts' : '',
  };
}
