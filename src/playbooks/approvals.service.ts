import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ASSIGNMENT_CONFIG, type AssignmentConfig } from '../assignment/assignment.schema';
import { AuditService } from '../audit/audit.service';
import { mayDecideApproval, refuseUnless } from '../auth/access';
import { actorOf, type Principal } from '../auth/principal';
import { conflict, notFound } from '../domain/refusal';
import type { ChangeOrigin } from '../notifications/channels';
import { NotificationsService } from '../notifications/notifications.service';
import { enqueue } from '../outbox/outbox';
import type { ApprovalStatus } from './runs.service';
import type { Columns } from '../database/rows';

export interface ApprovalView {
  id: string;
  incidentId: string;
  runId: string;
  playbook: string;
  stepId: string;
  action: string;
  role: string;
  onTimeout: string;
  status: ApprovalStatus;
  deadline: string;
  decidedBy: string | null;
  reason: string | null;
  decidedAt: string | null;
  createdAt: string;
}

type ApprovalRow = Columns<
  'approvals',
  | 'id'
  | 'incident_id'
  | 'run_id'
  | 'step_id'
  | 'role'
  | 'on_timeout'
  | 'status'
  | 'deadline'
  | 'decided_by'
  | 'reason'
  | 'decided_at'
  | 'created_at',
  { status: ApprovalStatus }
> &
  Columns<'playbook_runs', 'playbook'> &
  Columns<'playbook_steps', 'action'>;

const SELECT = `SELECT a.id, a.incident_id, a.run_id, r.playbook, a.step_id, s.action, a.role, a.on_timeout, a.status, a.deadline,
                       a.decided_by, a.reason, a.decided_at, a.created_at
                  FROM approvals a JOIN playbook_runs r ON r.id = a.run_id
                  JOIN playbook_steps s ON s.run_id = a.run_id AND s.step_id = a.step_id`;

const view = (r: ApprovalRow): ApprovalView => ({
  id: r.id,
  incidentId: r.incident_id,
  runId: r.run_id,
  playbook: r.playbook,
  stepId: r.step_id,
  action: r.action,
  role: r.role,
  onTimeout: r.on_timeout,
  status: r.status,
  deadline: r.deadline.toISOString(),
  decidedBy: r.decided_by,
  reason: r.reason,
  decidedAt: r.decided_at?.toISOString() ?? null,
  createdAt: r.created_at.toISOString(),
});

/** Approvals of gated playbook steps: what waits, and an approver's decision, told to the run's workflow through the outbox. */
@Injectable()
export class ApprovalsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ASSIGNMENT_CONFIG) private readonly assignment: AssignmentConfig,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
  ) {}

  async list(filter: { status?: ApprovalStatus; incidentId?: string; limit: number }): Promise<ApprovalView[]> {
    const rows = await this.dataSource.query<ApprovalRow[]>(
      `${SELECT} WHERE ($1::text IS NULL OR a.status = $1) AND ($2::uuid IS NULL OR a.incident_id = $2)
        ORDER BY a.deadline, a.id LIMIT $3`,
      [filter.status ?? null, filter.incidentId ?? null, filter.limit],
    );
    return rows.map(view);
  }

  /**
   * Approve or deny: 404 for no such approval, 403 for a caller below its role, 409 once it is
   * decided or past its deadline. The decision, its audit entry and the outbox row that wakes
   * the workflow commit together.
   */
  async decide(
    id: string,
    principal: Principal,
    decision: 'approve' | 'deny',
    reason: string,
    options: { origin?: ChangeOrigin } = {},
  ): Promise<ApprovalView> {
    const decided = await this.dataSource.transaction(async (m) => {
      const [row] = await m.query<(ApprovalRow & { caller_role: string | null; overdue: boolean })[]>(
        `${SELECT.replace('SELECT a.id', 'SELECT (SELECT x.role FROM analysts x WHERE x.id = $2 AND x.in_roster) AS caller_role, a.deadline <= now() AS overdue, a.id')}
          WHERE a.id = $1 FOR UPDATE OF a`,
        [id, principal.analystId],
      );
      if (!row) throw notFound(`No approval ${id}.`, 'path:id', 'no such approval');
      refuseUnless(
        mayDecideApproval(
          { scopes: principal.scopes, analystId: principal.analystId, role: row.caller_role },
          row.role,
          this.assignment.roles,
        ),
        `This API key may not decide approval ${id}`,
      );
      if (row.status !== 'pending') throw conflict(`Approval ${id} is already ${row.status}.`, 'path:id');
      if (row.overdue)
        throw conflict(`Approval ${id} is past its deadline; the playbook follows its on_timeout (${row.on_timeout}).`, 'path:id');
      const status: ApprovalStatus = decision === 'approve' ? 'approved' : 'denied';
      const actor = actorOf(principal);
      await m.query(`UPDATE approvals SET status = $2, decided_by = $3, reason = $4, decided_at = now() WHERE id = $1`, [
        id,
        status,
        actor,
        reason,
      ]);
      await this.audit.record(
        {
          actor,
          action: `approval.${status}`,
          subjectType: 'approval',
          subjectId: id,
          before: { status: 'pending' },
          after: { status, reason, runId: row.run_id, stepId: row.step_id },
        },
        m,
      );
      await enqueue(m, [
        {
          incidentId: row.incident_id,
          kind: 'approval_decided',
          payload: { runId: row.run_id, approvalId: id, stepId: row.step_id, status, by: actor },
        },
      ]);
      await this.notifications.record(
        {
          key: `approval:${id}:decided`,
          kind: 'approval.decided',
          recipients: [],
          taskId: null,
          incidentId: row.incident_id,
          title: `${status === 'approved' ? 'Approved' : 'Denied'} by ${actor}: ${row.step_id}`,
          text: reason,
          data: { approvalId: id, decision: status, decidedBy: actor, reason, stepId: row.step_id },
        },
        { origin: options.origin, m },
      );
      return view({ ...row, status, decided_by: actor, reason, decided_at: new Date() });
    });
    this.notifications.told();
    return decided;
  }
}
