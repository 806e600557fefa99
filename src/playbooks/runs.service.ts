import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { LEAD_ROLE } from '../assignment/assignment.schema';
import { AssignmentService } from '../assignment/assignment.service';
import { AuditService } from '../audit/audit.service';
import { parseByteSize } from '../common/byte-size';
import { parseDuration } from '../common/duration';
import { pgPool } from '../database/pg';
import { RULES, type RulesFile } from '../correlation/rules.schema';
import { PermanentActionError } from '../containment/adapter';
import { Containment } from '../containment/containment.service';
import { NotificationsService } from '../notifications/notifications.service';
import { enqueue } from '../outbox/outbox';
import { loadPlaybookContext } from './context';
import { EvidenceService, UnknownIncidentError } from './evidence.service';
import { conditionHolds, unmet } from './condition';
import { topologicalLayers } from './plan';
import {
  isContainment,
  PLAYBOOKS,
  TARGET_OF,
  type LoadedPlaybook,
  type Playbook,
  type PlaybookContext,
  type PlaybookStep,
  type RunStatus,
  type StepRetry,
  type StepStatus,
} from './playbook';
import { renderInputs } from './template';
import type { Columns } from '../database/rows';

/** A step as the run workflow schedules it: no inputs, only what ordering, timeouts and retries need. */
export interface ScheduledStep {
  id: string;
  action: string;
  dependsOn: string[];
  timeoutSeconds: number;
  retry: StepRetry;
  approval: boolean;
  /** A containment step: undone, in reverse order, when the run is compensated. */
  containment: boolean;
  compensateRetry: StepRetry | null;
}

export interface BegunRun {
  incidentId: string;
  playbook: string;
  /** `running` for a run to carry out; anything else: the run already ended (or its playbook is gone). */
  status: RunStatus;
  /** In dependency order. */
  steps: ScheduledStep[];
}

export interface PreparedStep {
  verdict: 'run' | 'skipped' | 'failed';
  reason?: string;
  /** `wait`: how long, in seconds. */
  waitSeconds?: number;
}

export interface RequestedApproval {
  approvalId: string;
  status: ApprovalStatus;
  /** Time left before the deadline, as the database sees it. */
  remainingMs: number;
  onTimeout: 'skip' | 'deny' | 'proceed';
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'timed_out' | 'cancelled';

export interface ActionOutcome {
  status: Extract<StepStatus, 'succeeded' | 'refused'>;
  reason?: string;
}

type RunRow = Columns<
  'playbook_runs',
  'incident_id' | 'playbook' | 'status' | 'definition',
  { status: RunStatus; definition: Playbook | null }
>;

type StepRow = Columns<
  'playbook_steps',
  'action' | 'status' | 'input' | 'undo' | 'compensation_status',
  { status: StepStatus; input: Record<string, unknown> | null; undo: Record<string, unknown> | null }
> &
  Columns<'playbook_runs', 'incident_id' | 'definition', { definition: Playbook }>;

const FINAL_STEP: readonly StepStatus[] = ['succeeded', 'failed', 'skipped', 'refused', 'denied', 'cancelled'];

/**
 * Playbook runs: which playbooks an incident gets, and every step's record. The run workflow
 * decides the order and waits; each method here is one keyed step it calls, so a retry after
 * a crash repeats nothing (a step already succeeded answers with its stored outcome).
 */
@Injectable()
export class PlaybookRunsService {
  private readonly logger = new Logger(PlaybookRunsService.name);
  /** Rule name → the playbooks it names; only rules that name some. */
  private readonly byRule: ReadonlyMap<string, string[]>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(PLAYBOOKS) private readonly playbooks: Record<string, LoadedPlaybook>,
    @Inject(RULES) rules: RulesFile,
    private readonly containment: Containment,
    private readonly evidence: EvidenceService,
    private readonly notifications: NotificationsService,
    private readonly assignment: AssignmentService,
    private readonly audit: AuditService,
  ) {
    this.byRule = new Map(rules.rules.filter((r) => r.playbooks?.length).map((r) => [r.name, r.playbooks!]));
  }

  /**
   * Creates the runs of the playbooks the incident's opening rule names and whose `when` holds,
   * each with an outbox row that starts its workflow. Keyed by (incident, playbook): once only.
   */
  async schedule(incidentId: string): Promise<string[]> {
    if (this.byRule.size === 0) return [];
    const ctx = await loadPlaybookContext(this.dataSource, incidentId);
    if (!ctx) return [];
    const names = (this.byRule.get(ctx.incident.opening_rule) ?? []).filter((name) => {
      const when = this.playbooks[name]?.playbook.when;
      return this.playbooks[name] && (!when || conditionHolds(when, ctx).holds);
    });
    if (names.length === 0) return [];
    return this.dataSource.transaction(async (m) => {
      // A task resolved before this step ran (a quick analyst, a retried start) closed the incident: nothing to contain.
      // FOR SHARE waits for a resolve in flight, whose closeRuns would otherwise miss these runs.
      const [incident] = await m.query<{ status: string }[]>(`SELECT status FROM incidents WHERE id = $1 FOR SHARE`, [incidentId]);
      if (!incident || incident.status === 'resolved' || incident.status === 'closed') return [];
      const runs = await m.query<{ id: string; playbook: string }[]>(
        `INSERT INTO playbook_runs (incident_id, playbook) SELECT $1, unnest($2::text[])
         ON CONFLICT (incident_id, playbook) DO NOTHING RETURNING id, playbook`,
        [incidentId, names],
      );
      await enqueue(
        m,
        runs.map((r) => ({ incidentId, kind: 'playbook_started' as const, payload: { runId: r.id, playbook: r.playbook } })),
      );
      return runs.map((r) => r.id);
    });
  }

  /** Fixes the run's definition and version (the playbook as loaded now) and lists its steps in order. */
  async begin(runId: string): Promise<BegunRun> {
    const [run] = await this.dataSource.query<RunRow[]>(
      `SELECT incident_id, playbook, status, definition FROM playbook_runs WHERE id = $1`,
      [runId],
    );
    if (!run) throw new PermanentActionError(`no playbook run ${runId}`);
    let definition = run.definition;
    if (!definition) {
      const loaded = this.playbooks[run.playbook];
      if (!loaded) {
        await this.finish(runId, 'failed', `playbook ${run.playbook} is no longer configured`);
        return { incidentId: run.incident_id, playbook: run.playbook, status: 'failed', steps: [] };
      }
      definition = loaded.playbook;
      await this.dataSource.transaction(async (m) => {
        await m.query(
          `UPDATE playbook_runs SET definition = $2, version = $3, status = 'running', started_at = now(), updated_at = now()
            WHERE id = $1 AND definition IS NULL`,
          [runId, definition, loaded.version],
        );
        await m.query(
          `INSERT INTO playbook_steps (run_id, step_id, action) SELECT $1, s.id, s.action FROM unnest($2::text[], $3::text[]) AS s(id, action)
           ON CONFLICT DO NOTHING`,
          [runId, definition!.steps.map((s) => s.id), definition!.steps.map((s) => s.action)],
        );
      });
      run.status = run.status === 'pending' ? 'running' : run.status;
    }
    const byId = new Map(definition.steps.map((s) => [s.id, s]));
    const steps = topologicalLayers(definition)
      .flat()
      .map((id) => scheduled(byId.get(id)!));
    return { incidentId: run.incident_id, playbook: run.playbook, status: run.status, steps };
  }

  /** Evaluates the step's `if` and renders its inputs against the incident and the steps done so far. */
  async prepare(runId: string, stepId: string): Promise<PreparedStep> {
    const { step, ctx } = await this.stepContext(runId, stepId);
    if (step.if !== undefined) {
      const verdict = conditionHolds(step.if, ctx);
      if (!verdict.holds) {
        const reason = `if: ${unmet(step.if, verdict)}`;
        await this.mark(runId, stepId, 'skipped', reason);
        return { verdict: 'skipped', reason };
      }
    }
    const rendered = renderInputs(step.with, ctx);
    if (!rendered.ok) {
      await this.mark(runId, stepId, 'failed', rendered.error);
      return { verdict: 'failed', reason: rendered.error };
    }
    let waitSeconds: number | undefined;
    if (step.action === 'wait') waitSeconds = parseDuration(rendered.value.duration as string | number);
    await this.dataSource.query(
      `UPDATE playbook_steps SET input = $3, status = $4, started_at = coalesce(started_at, now()), updated_at = now()
        WHERE run_id = $1 AND step_id = $2 AND status IN ('pending', 'waiting_approval', 'running')`,
      [runId, stepId, rendered.value, step.approval ? 'waiting_approval' : 'running'],
    );
    return { verdict: 'run', waitSeconds };
  }

  /** The step's approval, created once (with a notice to the approving role) and read back on a retry. */
  async requestApproval(runId: string, stepId: string): Promise<RequestedApproval> {
    const { step, incidentId } = await this.stepContext(runId, stepId);
    const approval = step.approval!;
    const [row] = await this.dataSource.query<
      { id: string; status: ApprovalStatus; remaining_ms: number; on_timeout: RequestedApproval['onTimeout'] }[]
    >(
      `INSERT INTO approvals (run_id, step_id, incident_id, role, on_timeout, deadline)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
       ON CONFLICT (run_id, step_id) DO UPDATE SET run_id = excluded.run_id
       RETURNING id, status, on_timeout, greatest(0, extract(epoch FROM deadline - now()) * 1000)::float8 AS remaining_ms`,
      [runId, stepId, incidentId, approval.role, approval.on_timeout, approval.timeoutSeconds],
    );
    if (row.status === 'pending') {
      // Both keyed by the approval: a retry after a crash between the insert and here still tells the approvers, once.
      await this.audit.record({
        actor: 'workflow',
        action: 'approval.requested',
        subjectType: 'approval',
        subjectId: row.id,
        after: { runId, stepId, role: approval.role, onTimeout: approval.on_timeout },
        idempotencyKey: `approval:${row.id}:requested`,
      });
      await this.notifications.record({
        key: `approval:${row.id}:requested`,
        kind: 'approval.requested',
        recipients: await this.assignment.reachable(approval.role),
        taskId: null,
        incidentId,
        title: `Approval needed: ${step.action} (${stepId})`,
        text: `Playbook step ${stepId} (${step.action}) waits for a ${approval.role} to approve or deny it: POST /v1/approvals/${row.id}.`,
        data: { approvalId: row.id, runId, stepId, action: step.action, role: approval.role },
      });
    }
    return { approvalId: row.id, status: row.status, remainingMs: row.remaining_ms, onTimeout: row.on_timeout };
  }

  /** Ends a still-pending approval (its deadline passed, or the incident closed); a decision that got there first wins. */
  async settleApproval(approvalId: string, outcome: 'timed_out' | 'cancelled'): Promise<ApprovalStatus> {
    const [updated] = await this.updated<{ status: ApprovalStatus }>(
      `UPDATE approvals SET status = $2, decided_at = now() WHERE id = $1 AND status = 'pending' RETURNING status`,
      [approvalId, outcome],
    );
    if (updated) {
      await this.audit.record({
        actor: 'workflow',
        action: `approval.${outcome}`,
        subjectType: 'approval',
        subjectId: approvalId,
        before: { status: 'pending' },
        after: { status: outcome },
        idempotencyKey: `approval:${approvalId}:${outcome}`,
      });
      return outcome;
    }
    const [row] = await this.dataSource.query<{ status: ApprovalStatus }[]>(`SELECT status FROM approvals WHERE id = $1`, [approvalId]);
    return row.status;
  }

  /** Carries out an action step (the activity's body): containment, evidence or a notice. */
  async perform(runId: string, stepId: string, attempt: number): Promise<ActionOutcome> {
    const [row] = await this.updated<StepRow & { output: Record<string, unknown> | null }>(
      `UPDATE playbook_steps s SET attempts = greatest(s.attempts, $3), status = CASE WHEN s.status = 'succeeded' THEN s.status ELSE 'running' END,
              updated_at = now()
         FROM playbook_runs r WHERE r.id = s.run_id AND s.run_id = $1 AND s.step_id = $2
       RETURNING r.incident_id, s.action, s.status, s.input, s.output, s.undo, s.compensation_status, r.definition`,
      [runId, stepId, attempt],
    );
    if (!row) throw new PermanentActionError(`no step ${stepId} in run ${runId}`);
    if (row.status === 'succeeded') return { status: 'succeeded' };
    const input = row.input ?? {};
    try {
      const done = await this.act(runId, stepId, row.action, input, row.incident_id);
      if (done.status === 'refused') {
        await this.mark(runId, stepId, 'refused', done.reason);
        await this.recordAudit(runId, stepId, 'playbook.step_refused', { action: row.action, input, reason: done.reason });
        return { status: 'refused', reason: done.reason };
      }
      await this.dataSource.transaction(async (m) => {
        // A late attempt (its timeout already passed) never overwrites the end the workflow recorded.
        await m.query(
          `UPDATE playbook_steps SET status = 'succeeded', output = $3, undo = $4, reason = NULL, finished_at = now(), updated_at = now()
            WHERE run_id = $1 AND step_id = $2 AND status NOT IN ('failed', 'cancelled')`,
          [runId, stepId, done.output, done.undo ?? null],
        );
        await this.recordAudit(runId, stepId, 'playbook.step_succeeded', { action: row.action, input, output: done.output }, m);
      });
      return { status: 'succeeded' };
    } catch (err) {
      await this.dataSource.query(`UPDATE playbook_steps SET reason = $3, updated_at = now() WHERE run_id = $1 AND step_id = $2`, [
        runId,
        stepId,
        `attempt ${attempt}: ${(err as Error).message}`.slice(0, 1000),
      ]);
      throw err;
    }
  }

  /** Undoes a succeeded containment step with its `compensate` action and the state it recorded. */
  async compensate(runId: string, stepId: string, attempt: number): Promise<void> {
    const { step, ctx, incidentId } = await this.stepContext(runId, stepId);
    const [row] = await this.updated<
      Pick<StepRow, 'undo' | 'compensation_status' | 'status'> & { output: { target?: string; adapter?: string } | null }
    >(
      `UPDATE playbook_steps SET compensation_attempts = greatest(compensation_attempts, $3),
              compensation_status = CASE WHEN compensation_status = 'compensated' THEN compensation_status ELSE 'running' END, updated_at = now()
        WHERE run_id = $1 AND step_id = $2 RETURNING undo, compensation_status, status, output`,
      [runId, stepId, attempt],
    );
    if (row.compensation_status === 'compensated' || row.status !== 'succeeded' || !step.compensate) return;
    const rendered = renderInputs(step.compensate.with, ctx);
    if (!rendered.ok) throw new PermanentActionError(rendered.error);
    // The incident may have changed since (a newer alert, another destination): the undo acts on
    // exactly the target the step contained, through the adapter that contained it.
    const kind = TARGET_OF[step.compensate.action];
    if (row.output?.target) rendered.value[kind] = row.output.target;
    if (row.output?.adapter) rendered.value.adapter = row.output.adapter;
    try {
      const done = await this.containment.perform({
        action: step.compensate.action,
        input: rendered.value,
        incidentId,
        idempotencyKey: `run:${runId}:${stepId}:undo`,
        undo: row.undo ?? undefined,
      });
      if (done.status === 'refused') throw new PermanentActionError(done.reason);
      await this.dataSource.query(
        `UPDATE playbook_steps SET compensation_status = 'compensated', compensation_error = NULL, compensated_at = now(), updated_at = now()
          WHERE run_id = $1 AND step_id = $2`,
        [runId, stepId],
      );
      await this.recordAudit(runId, stepId, 'playbook.step_compensated', {
        action: step.compensate.action,
        input: rendered.value,
        output: done.output,
      });
    } catch (err) {
      await this.dataSource.query(
        `UPDATE playbook_steps SET compensation_error = $3, updated_at = now() WHERE run_id = $1 AND step_id = $2`,
        [runId, stepId, `attempt ${attempt}: ${(err as Error).message}`.slice(0, 1000)],
      );
      throw err;
    }
  }

  /** An undo that failed for good: kept on the step, and the leads are told, so it is never dropped. */
  async compensationFailed(runId: string, stepId: string, error: string): Promise<void> {
    const [row] = await this.updated<{ incident_id: string; action: string; input: Record<string, unknown> | null }>(
      `UPDATE playbook_steps s SET compensation_status = 'failed', compensation_error = $3, updated_at = now()
         FROM playbook_runs r WHERE r.id = s.run_id AND s.run_id = $1 AND s.step_id = $2 RETURNING r.incident_id, s.action, s.input`,
      [runId, stepId, error.slice(0, 1000)],
    );
    await this.recordAudit(runId, stepId, 'playbook.compensation_failed', { action: row.action, input: row.input, error });
    await this.notifications.record({
      key: `playbook:${runId}:${stepId}:compensation_failed`,
      kind: 'playbook.compensation_failed',
      recipients: await this.assignment.reachable(LEAD_ROLE),
      taskId: null,
      incidentId: row.incident_id,
      title: `Rollback failed: ${row.action} (${stepId})`,
      text: `Undoing playbook step ${stepId} (${row.action}) failed after its retries: ${error}. The containment is still in place.`,
      data: { runId, stepId, action: row.action, input: row.input, error },
    });
  }

  /** A step's final state when the workflow decides it (not run, failed for good, denied, cancelled). */
  async mark(runId: string, stepId: string, status: StepStatus, reason?: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE playbook_steps SET status = $3, reason = $4, finished_at = now(), updated_at = now()
        WHERE run_id = $1 AND step_id = $2 AND status <> 'succeeded'`,
      [runId, stepId, status, reason?.slice(0, 1000) ?? null],
    );
    if (status === 'failed' || status === 'denied')
      await this.recordAudit(runId, stepId, `playbook.step_${status}`, { reason: reason ?? null });
  }

  /** The run's state; `finished` when its workflow is done with it. */
  async finish(runId: string, status: RunStatus, reason?: string, finished = true): Promise<void> {
    await this.dataSource.query(
      `UPDATE playbook_runs SET status = $2, reason = coalesce($3, reason), finished_at = CASE WHEN $4 THEN now() END, updated_at = now()
        WHERE id = $1`,
      [runId, status, reason?.slice(0, 1000) ?? null, finished],
    );
  }

  private async act(
    runId: string,
    stepId: string,
    action: string,
    input: Record<string, unknown>,
    incidentId: string,
  ): Promise<
    { status: 'succeeded'; output: Record<string, unknown>; undo?: Record<string, unknown> } | { status: 'refused'; reason: string }
  > {
    const key = `run:${runId}:${stepId}`;
    switch (action) {
      case 'collect_evidence': {
        const relatedBy = (input.related_by as ('ip' | 'user' | 'host')[] | undefined) ?? ['ip', 'user', 'host'];
        const windowSeconds = parseDuration((input.window as string | number | undefined) ?? '24h');
        const caps = {
          maxItems: input.max_items as number | undefined,
          maxItemBytes: input.max_item_bytes === undefined ? undefined : parseByteSize(input.max_item_bytes as string | number),
          maxBundleBytes: input.max_bundle_bytes === undefined ? undefined : parseByteSize(input.max_bundle_bytes as string | number),
        };
        const bundle = await this.evidence.collect({ incidentId, runId, stepId, windowSeconds, relatedBy, caps }).catch((err: unknown) => {
          // Retrying cannot make the incident appear or the window valid.
          throw err instanceof UnknownIncidentError || err instanceof RangeError ? new PermanentActionError((err as Error).message) : err;
        });
        return { status: 'succeeded', output: { ...bundle } };
      }
      case 'notify':
      case 'escalate': {
        const role = String(input.role ?? 'executive');
        const recipients = await this.assignment.reachable(role);
        const text = String(input.message ?? input.reason ?? `Playbook step ${stepId}`);
        await this.notifications.record({
          key: `playbook:${key}`,
          kind: action === 'notify' ? 'playbook.notify' : 'playbook.escalation',
          recipients,
          taskId: null,
          incidentId,
          title: action === 'notify' ? `Playbook notice (${stepId})` : `Escalated to ${role} (${stepId})`,
          text,
          data: { runId, stepId, role },
        });
        return { status: 'succeeded', output: { role, recipients } };
      }
      default: {
        const done = await this.containment.perform({ action: action as never, input, incidentId, idempotencyKey: key });
        if (done.status === 'refused') return done;
        return { status: 'succeeded', output: { target: done.target, adapter: done.adapter, ...done.output }, undo: done.undo };
      }
    }
  }

  /** UPDATE … RETURNING rows (TypeORM's query() answers an UPDATE with [rows, count]). */
  private async updated<T extends object>(sql: string, params: unknown[]): Promise<T[]> {
    return (await pgPool(this.dataSource).query<T>(sql, params)).rows;
  }

  private async stepContext(runId: string, stepId: string): Promise<{ step: PlaybookStep; ctx: PlaybookContext; incidentId: string }> {
    const [run] = await this.dataSource.query<{ incident_id: string; definition: Playbook }[]>(
      `SELECT incident_id, definition FROM playbook_runs WHERE id = $1`,
      [runId],
    );
    const step = run?.definition?.steps.find((s) => s.id === stepId);
    if (!step) throw new PermanentActionError(`no step ${stepId} in run ${runId}`);
    const ctx = await loadPlaybookContext(this.dataSource, run.incident_id);
    if (!ctx) throw new PermanentActionError(`no incident ${run.incident_id}`);
    const done = await this.dataSource.query<{ step_id: string; status: StepStatus; output: Record<string, unknown> | null }[]>(
      `SELECT step_id, status, output FROM playbook_steps WHERE run_id = $1 AND status = ANY($2::text[])`,
      [runId, FINAL_STEP],
    );
    for (const d of done) ctx.steps[d.step_id] = { status: d.status, output: d.output ?? {} };
    return { step, ctx, incidentId: run.incident_id };
  }

  private async recordAudit(
    runId: string,
    stepId: string,
    action: string,
    after: Record<string, unknown>,
    m?: EntityManager,
  ): Promise<void> {
    await this.audit.record(
      {
        actor: 'workflow',
        action,
        subjectType: 'playbook_run',
        subjectId: runId,
        after: { stepId, ...after },
        idempotencyKey: `${action}:${runId}:${stepId}`,
      },
      m,
    );
  }
}

function scheduled(step: PlaybookStep): ScheduledStep {
  return {
    id: step.id,
    action: step.action,
    dependsOn: step.depends_on,
    timeoutSeconds: step.timeoutSeconds,
    retry: step.retry,
    approval: !!step.approval,
    containment: isContainment(step.action),
    compensateRetry: step.compensate?.retry ?? null,
  };
}
