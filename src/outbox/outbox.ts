import type { Pool } from 'pg';
import type { OutboxKind, Priority } from '../domain';
import { jsonLiteral } from '../database/sql-literal';

/** One message for an incident's workflow, written in the same transaction as the change it reports. */
export interface OutboxEntry {
  incidentId: string;
  kind: OutboxKind;
  payload: Record<string, unknown>;
  /** Its lane; by default the incident's priority as the same transaction sees it (P4 without an incident row). */
  priority?: Priority;
}

/**
 * The one writer of outbox rows, as a statement for the caller's own transaction: the
 * ingest transaction appends it to its single round trip; `enqueue` runs it on a manager.
 *
 * Each row takes its incident's priority as its lane. An incident's priority only rises, so
 * its still-pending older rows are raised to the new lane in the same statement: all pending
 * rows of an incident share one lane, and leasing by (priority, id) keeps them in id order.
 * Rows are locked in id order, as the dispatcher locks them, so the two never deadlock.
 * `= ANY` lets a plan find the pending rows by their incidents (a prepared plan cannot know how few).
 */
export function enqueueSql(entries: readonly OutboxEntry[]): string {
  return outboxInsertSql(jsonLiteral(outboxRows(entries)));
}

/** The entries as outboxInsertSql's rows document (`n`: the input order). */
export const outboxRows = (entries: readonly OutboxEntry[]) =>
  entries.map((e, n) => ({ n, incident_id: e.incidentId, kind: e.kind, payload: e.payload, priority: e.priority ?? null }));

/** enqueueSql's statement over `rows`, a JSON expression (a literal, or a prepared statement's parameter). */
export const outboxInsertSql = (
  rows: string,
) => `WITH v AS (SELECT * FROM json_to_recordset(${rows}) AS v(n int, incident_id uuid, kind text, payload jsonb, priority text)),
  e AS (SELECT v.n, v.incident_id, v.kind, v.payload, coalesce(v.priority, i.priority, 'P4') AS priority
          FROM v LEFT JOIN incidents i ON i.id = v.incident_id),
  lane AS (SELECT incident_id, min(priority) AS priority FROM e GROUP BY incident_id),
  raise AS (SELECT o.id, lane.priority FROM outbox o JOIN lane ON lane.incident_id = o.incident_id
             WHERE o.incident_id = ANY(ARRAY(SELECT incident_id FROM lane))
               AND o.delivered_at IS NULL AND o.priority > lane.priority ORDER BY o.id FOR UPDATE OF o),
  raised AS (UPDATE outbox o SET priority = raise.priority FROM raise WHERE o.id = raise.id)
INSERT INTO outbox (incident_id, kind, payload, priority) SELECT incident_id, kind, payload, priority FROM e ORDER BY n`;

/** Writes the entries inside the transaction `db` belongs to; they are delivered only if it commits. */
export async function enqueue(db: { query(sql: string): Promise<unknown> }, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length > 0) await db.query(enqueueSql(entries));
}

/**
 * Puts dead-lettered rows (all, or the one with `id`) back in line with a fresh count of
 * failures: the dispatcher delivers them at once, each incident's in id order. Returns their ids.
 */
export async function redriveDeadLetters(db: Pick<Pool, 'query'>, scope: { id?: string }): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE outbox SET dead_lettered_at = NULL, failures = 0, available_at = now()
      WHERE id IN (SELECT id FROM outbox WHERE dead_lettered_at IS NOT NULL AND ($1::bigint IS NULL OR id = $1) ORDER BY id FOR UPDATE)
      RETURNING id`,
    [scope.id ?? null],
  );
  return rows.map((r) => String(r.id)).sort((a, b) => Number(BigInt(a) - BigInt(b)));
}
