import type { RunStatus, StepStatus } from './playbook';

/** What an incident's detail shows of its playbooks: the runs with their steps, the approvals, and the evidence bundles. */
export interface IncidentPlaybooks {
  playbookRuns: PlaybookRunView[];
  approvals: {
    id: string;
    runId: string;
    stepId: string;
    role: string;
    status: string;
    deadline: string;
    decidedBy: string | null;
    reason: string | null;
  }[];
  evidence: {
    seq: number;
    bundleId: string;
    runId: string | null;
    stepId: string | null;
    manifestHash: string;
    previousHash: string | null;
    items: number;
    createdAt: string;
  }[];
}

export interface PlaybookRunView {
  id: string;
  playbook: string;
  version: string | null;
  status: RunStatus;
  reason: string | null;
  disposition: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  steps: {
    id: string;
    action: string;
    status: StepStatus;
    attempts: number;
    input: Record<string, unknown> | null;
    output: Record<string, unknown> | null;
    reason: string | null;
    undo: Record<string, unknown> | null;
    compensation: { status: string; attempts: number; error: string | null; at: string | null } | null;
    startedAt: string | null;
    finishedAt: string | null;
  }[];
}

interface Row {
  views: IncidentPlaybooks;
}

/** One statement: the incident's runs (steps in the playbook's order), approvals and evidence bundles. */
export async function incidentPlaybooks(
  db: { query<T>(sql: string, params?: unknown[]): Promise<T> },
  incidentId: string,
): Promise<IncidentPlaybooks> {
  const [row] = await db.query<Row[]>(
    `SELECT json_build_object(
       'playbookRuns', coalesce((SELECT json_agg(json_build_object(
           'id', r.id, 'playbook', r.playbook, 'version', r.version, 'status', r.status, 'reason', r.reason,
           'disposition', r.disposition, 'startedAt', r.started_at, 'finishedAt', r.finished_at,
           'steps', coalesce((SELECT json_agg(json_build_object(
               'id', s.step_id, 'action', s.action, 'status', s.status, 'attempts', s.attempts, 'input', s.input, 'output', s.output,
               'reason', s.reason, 'undo', s.undo,
               'compensation', CASE WHEN s.compensation_status IS NULL THEN NULL ELSE json_build_object('status', s.compensation_status,
                   'attempts', s.compensation_attempts, 'error', s.compensation_error, 'at', s.compensated_at) END,
               'startedAt', s.started_at, 'finishedAt', s.finished_at)
             ORDER BY array_position(ARRAY(SELECT jsonb_array_elements(r.definition->'steps')->>'id'), s.step_id), s.step_id)
             FROM playbook_steps s WHERE s.run_id = r.id), '[]'))
         ORDER BY r.created_at, r.playbook) FROM playbook_runs r WHERE r.incident_id = $1), '[]'),
       'approvals', coalesce((SELECT json_agg(json_build_object('id', a.id, 'runId', a.run_id, 'stepId', a.step_id, 'role', a.role,
           'status', a.status, 'deadline', a.deadline, 'decidedBy', a.decided_by, 'reason', a.reason) ORDER BY a.created_at)
         FROM approvals a WHERE a.incident_id = $1), '[]'),
       'evidence', coalesce((SELECT json_agg(json_build_object('seq', b.seq, 'bundleId', b.id, 'runId', b.run_id, 'stepId', b.step_id,
           'manifestHash', b.manifest_hash, 'previousHash', b.previous_hash,
           'items', (SELECT count(*) FROM evidence_items i WHERE i.bundle_id = b.id), 'createdAt', b.created_at) ORDER BY b.seq)
         FROM evidence_bundles b WHERE b.incident_id = $1), '[]')) AS views`,
    [incidentId],
  );
  return row.views;
}
