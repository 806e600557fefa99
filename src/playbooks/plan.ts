import { conditionHolds, unmet } from './condition';
import {
  UNDO_ACTIONS,
  isContainment,
  type LoadedPlaybook,
  type OnTimeout,
  type Playbook,
  type PlaybookAction,
  type PlaybookContext,
} from './playbook';
import { REQUIRED_INPUTS, renderInputs } from './template';

/**
 * What a run would do, decided without acting: the dry run's answer. Pure; the caller
 * supplies the allow-list (and anything else that refuses a containment step) as `refuse`.
 */

/**
 * Step ids in layers: each layer depends only on earlier ones, so a layer's steps may run
 * in parallel. Within a layer, steps keep their file order. Assumes a validated playbook
 * (no cycles); a step caught in one anyway ends up in no layer.
 */
export function topologicalLayers(playbook: Pick<Playbook, 'steps'>): string[][] {
  const layers: string[][] = [];
  const placed = new Set<string>();
  let remaining = playbook.steps;
  while (remaining.length > 0) {
    const layer = remaining.filter((s) => s.depends_on.every((d) => placed.has(d)));
    if (layer.length === 0) break;
    layers.push(layer.map((s) => s.id));
    for (const s of layer) placed.add(s.id);
    remaining = remaining.filter((s) => !placed.has(s.id));
  }
  return layers;
}

export type PlanVerdict = 'run' | 'needs_approval' | 'skip' | 'refused' | 'invalid';

export interface PlannedStep {
  id: string;
  action: PlaybookAction;
  dependsOn: string[];
  verdict: PlanVerdict;
  reason?: string;
  /** The rendered `with`; outputs of earlier steps, known only at run time, stay `{{ steps.… }}`. */
  input: Record<string, unknown>;
  approval?: { role: string; timeoutSeconds: number; on_timeout: OnTimeout };
}

export interface RunPlan {
  playbook: string;
  version: string;
  /** The playbook's `when`, and whether it holds for this incident (true when there is none). */
  when: { condition: string | null; holds: boolean };
  /** Every step, in dependency order (layer by layer). */
  steps: PlannedStep[];
}

/** Returns why the step may not act (an allow-list entry, an unconfigured adapter), or null. */
export type RefuseCheck = (action: PlaybookAction, input: Record<string, unknown>) => string | null;

const acts = (action: PlaybookAction) => isContainment(action) || (UNDO_ACTIONS as readonly string[]).includes(action);
const isStepOutput = (path: string) => /^steps\.[^.]+\.output(\.|$)/.test(path);

/**
 * Plans every step for this incident. A step's `if` is evaluated as though its dependencies
 * succeeded, with their outputs unknown (empty, so an `if` reading one does not hold, saying
 * why); a step whose dependency would not run is skipped with that reason. `refuse` is asked
 * about containment and undo steps only.
 */
export function planRun(loaded: LoadedPlaybook, ctx: PlaybookContext, refuse: RefuseCheck): RunPlan {
  const { playbook } = loaded;
  const byId = new Map(playbook.steps.map((s) => [s.id, s]));
  const planned = new Map<string, PlannedStep>();

  let when: RunPlan['when'] = { condition: playbook.when ?? null, holds: true };
  if (playbook.when !== undefined) when = { condition: playbook.when, holds: conditionHolds(playbook.when, ctx).holds };

  const order = topologicalLayers(playbook).flat();
  for (const id of order) {
    const step = byId.get(id)!;
    const base = { id, action: step.action, dependsOn: step.depends_on };
    const blocked = step.depends_on.map((d) => planned.get(d)!).find((d) => d.verdict !== 'run' && d.verdict !== 'needs_approval');
    if (blocked) {
      planned.set(id, {
        ...base,
        verdict: 'skip',
        reason: `depends on ${blocked.id}, which would be ${blocked.verdict === 'skip' ? 'skipped' : blocked.verdict}`,
        input: {},
      });
      continue;
    }
    // Dependencies are assumed to succeed; what they output is known only when they run.
    const assumed: PlaybookContext = {
      ...ctx,
      steps: { ...ctx.steps, ...Object.fromEntries(step.depends_on.map((d) => [d, { status: 'succeeded' as const, output: {} }])) },
    };
    const rendered = renderInputs(step.with, assumed, { required: REQUIRED_INPUTS[step.action], deferred: isStepOutput });
    // `if` comes first: it may be what guards a null input (if: alert.destination_ip != null).
    if (step.if !== undefined) {
      const verdict = conditionHolds(step.if, assumed);
      if (!verdict.holds) {
        planned.set(id, {
          ...base,
          verdict: 'skip',
          reason: `if ${unmet(step.if, verdict)}`,
          input: rendered.ok ? rendered.value : step.with,
        });
        continue;
      }
    }
    if (!rendered.ok) {
      planned.set(id, { ...base, verdict: 'invalid', reason: rendered.error, input: step.with });
      continue;
    }
    const input = rendered.value;
    if (acts(step.action)) {
      const refusal = refuse(step.action, input);
      if (refusal !== null) {
        planned.set(id, { ...base, verdict: 'refused', reason: refusal, input });
        continue;
      }
    }
    if (step.approval) planned.set(id, { ...base, verdict: 'needs_approval', input, approval: { ...step.approval } });
    else planned.set(id, { ...base, verdict: 'run', input });
  }

  return { playbook: playbook.name, version: loaded.version, when, steps: order.map((id) => planned.get(id)!) };
}
