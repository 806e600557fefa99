import { NdjsonBody } from './body-parsers';
import type { FormatTables } from './normalizers';
import type { NormalizedItem, Normalizer } from './normalizers/types';

export const MAX_BATCH_ALERTS = 1000;

/** An item with the JSON pointer of the record it came from ('' for a lone record), for error paths. */
export type IntakeItem = NormalizedItem & { pointer: string };

export interface Intake {
  items: IntakeItem[];
  /** A batch answers per item; a single alert answers with its own result. */
  batch: boolean;
  /** Where the list of records sits in the body: `/alerts` for `{ "alerts": [...] }`. */
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
  const pathPrefix = wrapped ? '/alerts' : '';
  const { values, batch } = records(wrapped ? (body as { alerts: unknown[] }).alerts : body);
  return {
    items: values.map((v, i) => {
      const pointer = batch ? `${pathPrefix}/${i}` : '';
      return 'error' in v ? { pointer, errors: [{ path: '', message: v.error }] } : { pointer, alert: v.value as NormalizedItem['alert'] };
    }),
    batch: batch || wrapped,
    pathPrefix,
  };
}

/** A monitor's own format: each record may yield several alerts (an Alertmanager webhook), all pointing at that record. */
export function formatIntake(body: unknown, normalize: Normalizer<FormatTables>, tables: FormatTables): Intake {
  const { values, batch } = records(body);
  const items = values.flatMap((v, i): IntakeItem[] => {
    const pointer = batch ? `/${i}` : '';
    return 'error' in v ? [{ pointer, errors: [{ path: '', message: v.error }] }] : normalize(v.value, tables).map((item) => ({ ...item, pointer }));
  });
  return { items, batch: true, pathPrefix: '' };
}
