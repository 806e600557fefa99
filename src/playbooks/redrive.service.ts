import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { actorOf, type Principal } from '../auth/principal';
import { conflict, notFound } from '../domain/refusal';
import { enqueue } from '../outbox/outbox';
import type { Columns } from '../database/rows';

/** What a redrive request put back in line. */
export interface RedriveView {
  runId: string;
  incidentId: string;
  playbook: string;
  /** The steps whose undo runs again, in the playbook's order. */
  redriven: string[];
}

type RunRow = Columns<'playbook_runs', 'id' | 'incident_id' | 'playbook'>;

/**
 * `warden playbooks redrive --run ID` (POST /v1/playbooks/runs/{id}/redrive): the undo of each
 * step whose compensation failed for good runs again, in a workflow of the run's own
 * (playbookRedriveWorkflow), started through the outbox. The steps stay `failed` (and counted in
 * /health) until their undo succeeds.
 */
@Injectable()
export class RedriveService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** 404 for no such run, 409 when none of its compensations failed. The audit entry and the outbox row commit together. */
  async request(runId: string, principal: Principal): Promise<RedriveView> {
    return this.dataSource.transaction(async (m) => {
      // The run row first, then outbox rows: the order resolving an incident takes them in (closeRuns).
      const [run] = await m.query<RunRow[]>(`SELECT id, incident_id, playbook FROM playbook_runs WHERE id = $1 FOR UPDATE`, [runId]);
      if (!run) throw notFound(`No playbook run ${runId}.`, 'path:id', 'no such playbook run');
      const failed = await m.query<{ step_id: string }[]>(
        `SELECT s.step_id FROM playbook_steps s JOIN playbook_runs r ON r.id = s.run_id
          WHERE s.run_id = $1 AND s.compensation_status = 'failed'
          ORDER BY array_position(ARRAY(SELECT jsonb_array_elements(r.definition->'steps')->>'id'), s.step_id), s.step_id`,
        [runId],
      );
      if (failed.length === 0) throw conflict(`Playbook run ${runId} has no failed compensation to redrive.`, 'path:id');
      const redriven = failed.map((f) => f.step_id);
      await this.audit.record(
        {
          actor: actorOf(principal),
          action: 'playbook.compensation_redriven',
          subjectType: 'playbook_run',
          subjectId: runId,
          after: { steps: redriven },
        },
        m,
      );
      await enqueue(m, [{ incidentId: run.incident_id, kind: 'playbook_redrive', payload: { runId } }]);
      return { runId, incidentId: run.incident_id, playbook: run.playbook, redriven };
    });
  }
}
