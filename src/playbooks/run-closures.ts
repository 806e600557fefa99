import type { EntityManager } from 'typeorm';
import type { Disposition } from '../domain';
import { enqueue } from '../outbox/outbox';

/**
 * Inside the resolve transaction: tells each of the incident's unfinished playbook runs that the
 * incident closed, and how. A false positive rolls its containment back; any disposition ends
 * what still waits (approvals, steps not started).
 */
export async function closeRuns(m: EntityManager, incidentId: string, disposition: Disposition): Promise<void> {
  // Read and locked first: TypeORM answers an UPDATE … RETURNING with [rows, count].
  const runs = await m.query<{ id: string }[]>(
    `SELECT id FROM playbook_runs WHERE incident_id = $1 AND finished_at IS NULL ORDER BY id FOR UPDATE`,
    [incidentId],
  );
  await m.query(`UPDATE playbook_runs SET disposition = $2, updated_at = now() WHERE id = ANY($1::uuid[])`, [
    runs.map((r) => r.id),
    disposition,
  ]);
  // What still waits for an approver is moot now: a late decision gets 409, and the run cancels the step.
  await m.query(`UPDATE approvals SET status = 'cancelled', decided_at = now() WHERE run_id = ANY($1::uuid[]) AND status = 'pending'`, [
    runs.map((r) => r.id),
  ]);
  await enqueue(
    m,
    runs.map((r) => ({ incidentId, kind: 'playbook_closed' as const, payload: { runId: r.id, disposition } })),
  );
}
