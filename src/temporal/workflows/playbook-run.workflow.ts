import { condition, defineSignal, patched, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import { PLAYBOOK_SIGNALS } from '../../domain';
import type { Activities, ApprovalStatus, ScheduledStep } from '../activities';
import { failureMessage, withPolicy } from './activity-profiles';

// One workflow per playbook run, beside its incident's workflow: steps run as activities,
// independent ones in parallel, dependent ones in order, with the file's retries and timeouts.
// A step that fails for good, or is denied, stops the run and undoes its containment in
// reverse order (a saga); so does the incident closing as a false positive. A containment step
// that failed after reaching its backend is `uncertain`: it may be in place, so it is undone
// with the rest, but like a success it stops nothing. The run stays open while its
// containment is in place, so it can still be told to undo it.

export interface PlaybookRunInput {
  runId: string;
}

/** An approver's decision, already stored; the signal only wakes the waiting step. */
export interface ApprovalDecided {
  outboxId?: number;
  approvalId: string;
  stepId: string;
  status: Extract<ApprovalStatus, 'approved' | 'denied'>;
  by: string;
}

export interface IncidentClosed {
  outboxId?: number;
  disposition: string;
}

type Outcome = 'succeeded' | 'failed' | 'uncertain' | 'skipped' | 'refused' | 'denied' | 'cancelled';
type RunStatus = Parameters<Activities['markRun']>[0]['status'];

export const startSignal = defineSignal<[unknown]>(PLAYBOOK_SIGNALS.start);
export const incidentClosedSignal = defineSignal<[IncidentClosed]>(PLAYBOOK_SIGNALS.incidentClosed);
export const approvalSignal = defineSignal<[ApprovalDecided]>(PLAYBOOK_SIGNALS.approval);

/** The run's records in Postgres: short keyed steps, as local activities. */
const records = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export async function playbookRunWorkflow({ runId }: PlaybookRunInput): Promise<{ runId: string; status: RunStatus }> {
  let closed: IncidentClosed | undefined;
  const decisions = new Map<string, ApprovalDecided>();
  setHandler(startSignal, () => undefined);
  setHandler(incidentClosedSignal, (c) => {
    closed ??= c;
  });
  setHandler(approvalSignal, (d) => {
    if (!decisions.has(d.stepId)) decisions.set(d.stepId, d);
  });

  const run = await records.beginRun({ runId });
  if (run.status !== 'running') return { runId, status: run.status };
  const steps = new Map(run.steps.map((s) => [s.id, s]));
  // Runs begun before `uncertain` existed go on as they began: a failed step is `failed`, and never undone.
  const uncertainSteps = patched('uncertain-steps');

  /** Set once a step fails for good or is denied: nothing new starts, and containment is undone. */
  let halt: { status: 'failed' | 'denied'; reason: string } | undefined;
  /** The first uncertain step, with why: the run ends `failed` for it, but is not stopped. */
  let uncertain: string | undefined;
  /** Containment steps that succeeded, or may have (uncertain), in the order they ended. */
  const contained: string[] = [];
  const stopped = () => halt !== undefined || closed !== undefined;
  const why = () => (closed ? 'the incident closed' : `the run stopped: ${halt?.reason}`);

  /** Records the step's end and answers the one recorded (a failure may be recorded `uncertain`, or have succeeded meanwhile). */
  const mark = async (step: ScheduledStep, status: Outcome, reason?: string): Promise<Outcome> => {
    const recorded = await records.markStep({ runId, stepId: step.id, status, reason });
    const ended = uncertainSteps ? (recorded as Outcome) : status;
    if (ended === 'failed' || ended === 'denied') halt ??= { status: ended, reason: `${step.id}: ${reason}` };
    if (ended === 'uncertain') uncertain ??= `${step.id} is uncertain: ${reason}`;
    return ended;
  };

  /** 'run' when the step may go ahead; otherwise how it ended. */
  const approve = async (step: ScheduledStep): Promise<'run' | Outcome> => {
    const gate = await records.requestApproval({ runId, stepId: step.id });
    let status = gate.status;
    if (status === 'pending') {
      if (gate.remainingMs > 0) await condition(() => decisions.has(step.id) || stopped(), gate.remainingMs);
      status = await records.settleApproval({
        approvalId: gate.approvalId,
        outcome: stopped() && !decisions.has(step.id) ? 'cancelled' : 'timed_out',
      });
    }
    // Approved just as the incident closed or the run stopped: the step no longer runs.
    if (status === 'approved') return stopped() ? mark(step, 'cancelled', why()) : 'run';
    if (status === 'denied') return mark(step, 'denied', `denied by ${decisions.get(step.id)?.by ?? 'an approver'}`);
    if (status === 'cancelled') return mark(step, 'cancelled', why());
    if (gate.onTimeout === 'proceed') return 'run';
    if (gate.onTimeout === 'skip') return mark(step, 'skipped', 'the approval timed out (on_timeout: skip)');
    return mark(step, 'denied', 'the approval timed out (on_timeout: deny)');
  };

  const outcomes = new Map<string, Promise<Outcome>>();
  const runStep = async (step: ScheduledStep): Promise<Outcome> => {
    const before = await Promise.all(step.dependsOn.map((id) => outcomes.get(id)!));
    if (stopped()) return mark(step, 'cancelled', why());
    const blocked = step.dependsOn.findIndex((_, i) => before[i] !== 'succeeded');
    if (blocked >= 0) return mark(step, 'skipped', `depends on ${step.dependsOn[blocked]}, which was ${before[blocked]}`);
    const prepared = await records.prepareStep({ runId, stepId: step.id });
    if (prepared.verdict === 'skipped') return 'skipped';
    if (prepared.verdict === 'failed') {
      halt ??= { status: 'failed', reason: `${step.id}: ${prepared.reason}` };
      return 'failed';
    }
    if (step.approval) {
      const gate = await approve(step);
      if (gate !== 'run') return gate;
    }
    if (step.action === 'wait') {
      const woken = await condition(stopped, (prepared.waitSeconds ?? 0) * 1000);
      return woken ? mark(step, 'cancelled', why()) : mark(step, 'succeeded');
    }
    if (stopped()) return mark(step, 'cancelled', why());
    try {
      const done = await withPolicy(step.timeoutSeconds, step.retry).performStep({ runId, stepId: step.id });
      if (done.status === 'succeeded' && step.containment) contained.push(step.id);
      return done.status;
    } catch (err) {
      const ended = await mark(step, 'failed', failureMessage(err));
      if ((ended === 'uncertain' || ended === 'succeeded') && step.containment) contained.push(step.id);
      return ended;
    }
  };

  /** Undoes the containment still in place, newest first. An undo that fails for good is reported, and the rest go on. */
  const rollBack = async (reason: string): Promise<RunStatus> => {
    await records.markRun({ runId, status: 'compensating', reason, finished: false });
    let failed = false;
    for (const id of contained.splice(0).reverse()) {
      const step = steps.get(id)!;
      try {
        await withPolicy(step.timeoutSeconds, step.compensateRetry ?? step.retry).compensateStep({ runId, stepId: id });
      } catch (err) {
        failed = true;
        await records.compensationFailed({ runId, stepId: id, error: failureMessage(err) });
      }
    }
    return failed ? 'compensation_failed' : 'compensated';
  };

  for (const step of run.steps) outcomes.set(step.id, runStep(step));
  await Promise.all(outcomes.values());

  let status: RunStatus = halt ? halt.status : uncertain ? 'failed' : closed ? 'cancelled' : 'succeeded';
  const reason = halt?.reason ?? uncertain;
  if (halt && contained.length > 0) status = await rollBack(halt.reason);
  if (contained.length > 0) {
    // Containment stays in place while the incident is open; a false positive takes it back.
    await records.markRun({ runId, status, reason, finished: false });
    await condition(() => closed !== undefined);
    if (closed!.disposition === 'false_positive') status = await rollBack('the incident was resolved as a false positive');
  }
  await records.markRun({ runId, status, reason, finished: true });
  return { runId, status };
}
