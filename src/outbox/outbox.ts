import type { OutboxKind } from '../domain';
import { lit } from '../database/sql-literal';

/** One message for an incident's workflow, written in the same transaction as the change it reports. */
export interface OutboxEntry {
  incidentId: string;
  kind: OutboxKind;
  payload: Record<string, unknown>;
}

/**
 * The one writer of outbox rows, as a statement for the caller's own transaction: the
 * ingest transaction appends it to its single round trip; `enqueue` runs it on a manager.
 */
export function enqueueSql(entries: readonly OutboxEntry[]): string {
  const rows = entries.map((e) => `(${lit(e.incidentId, 'uuid')}, ${lit(e.kind)}, ${lit(JSON.stringify(e.payload), 'jsonb')})`);
  return `INSERT INTO outbox (incident_id, kind, payload) VALUES ${rows.join(', ')}`;
}

/** Writes the entries inside the transaction `db` belongs to; they are delivered only if it commits. */
export async function enqueue(db: { query(sql: string): Promise<unknown> }, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length > 0) await db.query(enqueueSql(entries));
}

/** Delay before the next delivery attempt: exponential from 1 s, capped. */
export function outboxBackoffSeconds(attempts: number, maxSeconds: number): number {
  return Math.min(maxSeconds, 2 ** Math.max(0, attempts - 1));
}
