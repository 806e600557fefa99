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
import { failureOf, PermanentActionError } from '../containment/adapter';
import { mayHaveApplied } from '../containment/applied';
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

const FINAL_STEP: readonly StepStatus[] = ['succeeded', 'failed', 'uncertain', 'skipped', 'refused', 'denied', 'cancelled'];

/** What a run's compensation came to, from its steps: any undo failed for good (and not re-driven since) fails it. */
const COMPENSATION_OUTCOME = `CASE WHEN EXISTS (SELECT 1 FROM playbook_steps f WHERE f.run_id = playbook_runs.id AND f.compensation_status = 'failed')
  THEN 'compensation_failed' ELSE 'compensated' END`;

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
    // An attempt the workflow has stopped waiting for (its timeout passed) never reopens the step it ended.
    const [row] = await this.updated<StepRow & { output: Record<string, unknown> | null }>(
      `UPDATE playbook_steps s SET attempts = greatest(s.attempts, $3),
              status = CASE WHEN s.status = ANY($4::text[]) THEN s.status ELSE 'running' END, updated_at = now()
         FROM playbook_runs r WHERE r.id = s.run_id AND s.run_id = $1 AND s.step_id = $2
       RETURNING r.incident_id, s.action, s.status, s.input, s.output, s.undo, s.compensation_status, r.definition`,
      [runId, stepId, attempt, FINAL_STEP],
    );
    if (!row) throw new PermanentActionError(`no step ${stepId} in run ${runId}`);
    if (row.status === 'succeeded') return { status: 'succeeded' };
    const input = row.input ?? {};
    try {
      const done = await this.act(runId, stepId, attempt, row.action, input, row.incident_id);
      if (done.status === 'refused') {
        await this.mark(runId, stepId, 'refused', done.reason);
        await this.recordAudit(runId, stepId, 'playbook.step_refused', { action: row.action, input, reason: done.reason });
        return { status: 'refused', reason: done.reason };
      }
      await this.succeeded(runId, stepId, row.action, input, done);
      return { status: 'succeeded' };
    } catch (err) {
      // An attempt that reached the backend stays counted (the step may be in place) unless its failure says the backend never acted.
      await this.dataSource.query(
        `UPDATE playbook_steps SET reason = $3, uncertain_attempts = CASE WHEN $4 THEN uncertain_attempts ELSE array_remove(uncertain_attempts, $5) END,
                updated_at = now()
          WHERE run_id = $1 AND step_id = $2`,
        [runId, stepId, `attempt ${attempt}: ${(err as Error).message}`.slice(0, 1000), mayHaveApplied(failureOf(err)), attempt],
      );
      throw err;
    }
  }

  /**
   * Records a step's success with the state that undoes it, whenever it comes: a success after the
   * workflow gave the step up (`failed` or `uncertain`, its timeout passed) still makes it
   * `succeeded`, with a reason saying so, so the row and the audit log never disagree. The undo
   * state recorded before the change (beforeChange) wins over the one the success reports, which a
   * retry after a lost answer reads from the state the lost attempt left. A success that lands
   * after the step was undone may have put it back: its compensation is `failed` again, for a redrive.
   */
  private async succeeded(
    runId: string,
    stepId: string,
    action: string,
    input: Record<string, unknown>,
    done: { output: Record<string, unknown>; undo?: Record<string, unknown> },
  ): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const [was] = await m.query<{ status: StepStatus; compensation_status: string | null }[]>(
        `SELECT status, compensation_status FROM playbook_steps WHERE run_id = $1 AND step_id = $2 FOR UPDATE`,
        [runId, stepId],
      );
      if (!was || was.status === 'succeeded') return;
      const late = was.status === 'failed' || was.status === 'uncertain' ? was.status : null;
      const undone = was.compensation_status === 'compensated';
      await m.query(
        `UPDATE playbook_steps SET status = 'succeeded', output = $3, undo = coalesce(undo, $4), uncertain_attempts = '{}',
                reason = $5, finished_at = coalesce(finished_at, now()), updated_at = now(),
                compensation_status = CASE WHEN $6 THEN 'failed' ELSE compensation_status END,
                compensation_error = CASE WHEN $6 THEN $7 ELSE compensation_error END,
                compensation_failed_at = CASE WHEN $6 THEN now() ELSE compensation_failed_at END
          WHERE run_id = $1 AND step_id = $2`,
        [
          runId,
          stepId,
          done.output,
          done.undo ?? null,
          late && `succeeded late: the run had recorded it ${late}`,
          undone,
          'an attempt succeeded after the undo and may have put it back: undo again with warden playbooks redrive',
        ],
      );
      await this.recordAudit(
        runId,
        stepId,
        'playbook.step_succeeded',
        { action, input, output: done.output, ...(late ? { late } : {}) },
        m,
      );
    });
  }

  /** Undoes a succeeded (or uncertain) containment step with its `compensate` action and the state it recorded. */
  async compensate(runId: string, stepId: string, attempt: number): Promise<void> {
    const { step, ctx, incidentId } = await this.stepContext(runId, stepId);
    const [row] = await this.updated<
      Pick<StepRow, 'undo' | 'compensation_status' | 'status' | 'input'> & { output: { target?: string; adapter?: string } | null }
    >(
      `UPDATE playbook_steps SET compensation_attempts = greatest(compensation_attempts, $3),
              compensation_status = CASE WHEN compensation_status = 'compensated' THEN compensation_status ELSE 'running' END, updated_at = now()
        WHERE run_id = $1 AND step_id = $2 RETURNING undo, compensation_status, status, input, output`,
      [runId, stepId, attempt],
    );
    if (row.compensation_status === 'compensated' || !UNDONE.includes(row.status) || !step.compensate) return;
    const rendered = renderInputs(step.compensate.with, ctx);
    if (!rendered.ok) throw new PermanentActionError(rendered.error);
    // The incident may have changed since (a newer alert, another destination): the undo acts on
    // exactly the target the step contained, through the adapter that contained it. An uncertain
    // step has no output: its inputs, as rendered when it ran, name them.
    const kind = TARGET_OF[step.compensate.action];
    const target = row.output?.target ?? row.input?.[kind];
    const adapter = row.output?.adapter ?? row.input?.adapter;
    if (target !== undefined) rendered.value[kind] = target;
    if (adapter !== undefined) rendered.value.adapter = adapter;
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
      `UPDATE playbook_steps s SET compensation_status = 'failed', compensation_error = $3, compensation_failed_at = now(), updated_at = now()
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
      text:
        `Undoing playbook step ${stepId} (${row.action}) failed after its retries: ${error}. The containment is still in place; ` +
        `once the cause is fixed, warden playbooks redrive --run ${runId} undoes it.`,
      data: { runId, stepId, action: row.action, input: row.input, error },
    });
  }

  /**
   * A step's final state when the workflow decides it (not run, failed for good, denied,
   * cancelled), and the state recorded, which the workflow goes by: `failed` becomes `uncertain`
   * when an attempt reached the backend with an outcome not known to be a refusal (see
   * mayHaveApplied), and a step that succeeded meanwhile stays `succeeded`.
   */
  async mark(runId: string, stepId: string, status: StepStatus, reason?: string): Promise<StepStatus> {
    const [row] = await this.updated<{ status: StepStatus }>(
      `UPDATE playbook_steps SET status = CASE WHEN $3 = 'failed' AND cardinality(uncertain_attempts) > 0 THEN 'uncertain' ELSE $3 END,
              reason = $4, finished_at = now(), updated_at = now()
        WHERE run_id = $1 AND step_id = $2 AND status <> 'succeeded' RETURNING status`,
      [runId, stepId, status, reason?.slice(0, 1000) ?? null],
    );
    const recorded = row?.status ?? 'succeeded';
    if (recorded === 'failed' || recorded === 'uncertain' || recorded === 'denied')
      await this.recordAudit(runId, stepId, `playbook.step_${recorded}`, { reason: reason ?? null });
    return recorded;
  }

  /**
   * The run's state; `finished` when its workflow is done with it. A compensation's outcome is
   * read from the steps, so a redrive that finished first is not undone by the workflow's word.
   */
  async finish(runId: string, status: RunStatus, reason?: string, finished = true): Promise<void> {
    await this.dataSource.query(
      `UPDATE playbook_runs SET status = CASE WHEN $2 IN ('compensated', 'compensation_failed') THEN ${COMPENSATION_OUTCOME} ELSE $2 END,
              reason = coalesce($3, reason), finished_at = CASE WHEN $4 THEN now() END, updated_at = now()
        WHERE id = $1`,
      [runId, status, reason?.slice(0, 1000) ?? null, finished],
    );
  }

  /** The steps whose undo failed for good, newest first, as a redrive compensates them. */
  async failedCompensations(runId: string): Promise<ScheduledStep[]> {
    const [run] = await this.dataSource.query<{ definition: Playbook | null }[]>(`SELECT definition FROM playbook_runs WHERE id = $1`, [
      runId,
    ]);
    if (!run?.definition) return [];
    const failed = await this.dataSource.query<{ step_id: string }[]>(
      `SELECT step_id FROM playbook_steps WHERE run_id = $1 AND compensation_status = 'failed'
        ORDER BY finished_at DESC NULLS LAST, step_id DESC`,
      [runId],
    );
    const byId = new Map(run.definition.steps.map((s) => [s.id, s]));
    return failed.flatMap((f) => (byId.has(f.step_id) ? [scheduled(byId.get(f.step_id)!)] : []));
  }

  /** After a redrive: the run's compensation outcome as its steps now say (a run still in its workflow's hands is left to it). */
  async settleCompensation(runId: string): Promise<RunStatus | null> {
    const [row] = await this.updated<{ status: RunStatus }>(
      `UPDATE playbook_runs SET status = ${COMPENSATION_OUTCOME}, updated_at = now()
        WHERE id = $1 AND status IN ('compensated', 'compensation_failed') RETURNING status`,
      [runId],
    );
    return row?.status ?? null;
  }

  private async act(
    runId: string,
    stepId: string,
    attempt: number,
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
        const done = await this.containment.perform({
          action: action as never,
          input,
          incidentId,
          idempotencyKey: key,
          beforeChange: (undo) => this.beforeChange(runId, stepId, attempt, undo),
        });
        if (done.status === 'refused') return done;
        return { status: 'succeeded', output: { target: done.target, adapter: done.adapter, ...done.output }, undo: done.undo };
      }
    }
  }

  /**
   * Write-ahead, before an attempt changes a backend: the attempt counts as reaching it (so the
   * step is `uncertain`, not `failed`, if it never hears back), and the undo state is kept unless
   * an earlier attempt recorded one. Refused, and nothing is sent, once the step has ended: of
   * this and the workflow's mark, whichever locks the row first decides.
   */
  private async beforeChange(runId: string, stepId: string, attempt: number, undo?: Record<string, unknown>): Promise<void> {
    const [row] = await this.updated<{ status: StepStatus }>(
      `UPDATE playbook_steps SET uncertain_attempts = array_append(array_remove(uncertain_attempts, $3), $3),
              undo = coalesce(undo, $4), updated_at = now()
        WHERE run_id = $1 AND step_id = $2 AND status = 'running' RETURNING status`,
      [runId, stepId, attempt, undo ?? null],
    );
    if (!row) throw new PermanentActionError(`step ${stepId} has already ended: attempt ${attempt} changes nothing`);
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

/** Step statuses whose containment a compensation undoes: done, or perhaps done. */
const UNDONE: readonly StepStatus[] = ['succeeded', 'uncertain'];

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
