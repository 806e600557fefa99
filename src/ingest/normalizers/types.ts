import type { FieldError } from '../../common/problem';
import type { SecurityAlertInput } from '../security-alert';

/** One alert produced from a record of a monitor's own format, before validation. */
export interface NormalizedItem {
  /** The native alert candidate; `validateAlert` checks it afterwards. Absent when mapping failed. */
  alert?: SecurityAlertInput;
  /** Problems found while mapping, with paths inside the original record (e.g. `/alert/severity`). */
  errors?: FieldError[];
  /** Fields the mapping did not know or found missing and replaced with the configured default; only with `alert`. */
  warnings?: FieldError[];
  /** Alertmanager `status: resolved`: resolves the firing alert with the same source and externalId. */
  resolves?: boolean;
}

/** Maps one record (one parsed JSON value) of a format to zero or more alerts. Pure: no I/O. */
export type Normalizer<Tables = unknown> = (record: unknown, tables: Tables) => NormalizedItem[];
