import type { FieldError } from '../common/problem';
import type { AcceptedAlert, ItemResult } from '../correlation/items';
import { NdjsonBody } from './body-parsers';
import type { FormatTables } from './normalizers';
import type { NormalizedItem, Normalizer } from './normalizers/types';
import { validateAlert } from './security-alert';

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
    return 'error' in v
      ? [{ pointer, errors: [{ path: '', message: v.error }] }]
      : normalize(v.value, tables).map((item) => ({ ...item, pointer }));
  });
  return { items, batch: true, pathPrefix: '' };
}

/**
 * Splits a request's items into valid alerts (for correlation) and rejected ones, each
 * error path prefixed with the pointer of the record it came from, and collects each valid
 * item's warnings (defaults taken, fields clipped) by index. The API and
 * `warden rules backtest` both go through here.
 */
export function validateItems(items: readonly IntakeItem[]): {
  accepted: AcceptedAlert[];
  rejected: ItemResult[];
  warnings: Map<number, FieldError[]>;
} {
  const accepted: AcceptedAlert[] = [];
  const rejected: ItemResult[] = [];
  const warnings = new Map<number, FieldError[]>();
  for (const [index, item] of items.entries()) {
    const pointer = item.pointer;
    if (item.errors?.length) {
      rejected.push({ index, status: 'rejected', errors: item.errors.map((e) => ({ ...e, path: joinPath(pointer, e.path) })) });
      continue;
    }
    const validation = validateAlert(item.alert, pointer);
    if (!validation.ok) {
      rejected.push({ index, status: 'rejected', errors: validation.errors });
      continue;
    }
    accepted.push({ index, pointer, alert: validation.alert, ...(item.resolves ? { resolves: true } : {}) });
    const mapped = (item.warnings ?? []).map((w) => ({ ...w, path: joinPath(pointer, w.path) }));
    const all = [...mapped, ...(validation.warnings ?? [])];
    if (all.length > 0) warnings.set(index, all);
  }
  return { accepted, rejected, warnings };
}

/** Each stored item's warnings on its result; a rejected item answers with its errors alone. */
export function withWarnings(results: ItemResult[], warnings: ReadonlyMap<number, FieldError[]>): ItemResult[] {
  return results.map((result) => {
    const found = warnings.get(result.index);
    return result.status === 'rejected' || !found ? result : { ...result, warnings: found };
  });
}

/** `/3` + `/alert/severity`; a record-level error (`/` or empty) names the item itself. */
const joinPath = (prefix: string, path: string) => (path === '/' || path === '' ? prefix || '/' : `${prefix}${path}`);
