import type { FieldError } from '../common/problem';
import type { AlertStatus, Priority, SecurityAlert } from '../domain';

/** A validated alert handed over by ingest; `pointer` names its place in the request, for errors. */
export interface AcceptedAlert {
  index: number;
  pointer: string;
  alert: SecurityAlert;
  /** Alertmanager's `resolved`: resolves the firing alert with the same source and externalId sent by the same API key. */
  resolves?: boolean;
  /** The API key that sent it: the repeat key (source, externalId) and resolves are scoped to it. */
  apiKeyId?: string;
  /** Scoped by ingest to the API key (and, in a batch, the item). */
  idempotencyKey?: string;
  /** Identifies the request's body, kept with the Idempotency-Key: a reuse with another body is refused. */
  bodyHash?: string;
}

export type ItemStatus = AlertStatus | 'resolved' | 'rejected';

export interface ItemResult {
  index: number;
  status: ItemStatus;
  alertId?: string;
  incidentId?: string | null;
  priority?: Priority;
  errors?: FieldError[];
  /**
   * Fields that took a configured default (a monitor's format) or were clipped to their limit
   * ("clipped to 1000 characters (was 5000)"); the stored `raw` keeps the original.
   */
  warnings?: FieldError[];
  /** True when this repeats an earlier request (same Idempotency-Key, or same source and externalId from the same API key). */
  repeat?: boolean;
}
