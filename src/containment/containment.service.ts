import { INVERSE_ACTIONS, isContainment, TARGET_OF, type ContainmentAction, type UndoAction } from '../domain';
import { PermanentActionError, type ContainmentAdapter } from './adapter';
import { createAdapters, isConfigured, type UnconfiguredAdapter } from './adapters';
import { allowListVerdict, validateTarget } from './allow-list';
import type { ContainmentConfig } from './containment.schema';

export interface ContainmentCall {
  action: ContainmentAction | UndoAction;
  /** The step's rendered `with`: `ip`, `user` or `host` (per TARGET_OF), and optionally `adapter`. */
  input: Record<string, unknown>;
  incidentId: string;
  idempotencyKey: string;
  /** For an undo action: what the containment step recorded. */
  undo?: Record<string, unknown>;
  /** See ContainmentRequest.beforeChange. */
  beforeChange?: (undo?: Record<string, unknown>) => Promise<void>;
}

export type ContainmentOutcome =
  | { status: 'succeeded'; target: string; adapter: string; output: Record<string, unknown>; undo?: Record<string, unknown> }
  | { status: 'refused'; reason: string };

const CONTAINMENT_OF = Object.fromEntries(Object.entries(INVERSE_ACTIONS).map(([c, u]) => [u, c])) as Record<UndoAction, ContainmentAction>;

/**
 * Performs one containment or undo action: validates the target, checks the allow-list (for
 * containment only: an undo releases, it never harms), picks the adapter and calls it. A
 * refusal by the allow-list is an answer (`refused`, with the reason), for the step to record;
 * a target that is not one, or an adapter that is unknown, unconfigured or unable to do the
 * action, is a PermanentActionError, as is a backend's own refusal. Anything else thrown is
 * worth retrying.
 */
export class Containment {
  private readonly adapters: Map<string, ContainmentAdapter | UnconfiguredAdapter>;

  constructor(
    private readonly config: ContainmentConfig,
    env: NodeJS.ProcessEnv,
  ) {
    this.adapters = createAdapters(config, env);
  }

  /** Adapter names with what each can do, or why it cannot run (for `warden config validate` and the dry run). */
  describe(): { name: string; kind?: string; actions?: readonly string[]; unconfigured?: string }[] {
    return [...this.adapters.values()].map((a) =>
      isConfigured(a) ? { name: a.name, kind: a.kind, actions: a.actions } : { name: a.name, unconfigured: a.unconfigured },
    );
  }

  async perform(call: ContainmentCall): Promise<ContainmentOutcome> {
    const { action, input } = call;
    const kind = (TARGET_OF as Record<string, 'ip' | 'user' | 'host' | undefined>)[action];
    if (!kind) throw new PermanentActionError(`${String(action).slice(0, 64)} is not a containment action`);
    const valid = validateTarget(kind, input[kind]);
    if (!valid.ok) throw new PermanentActionError(`with.${kind}: ${valid.reason}`);
    const { target } = valid;

    if (isContainment(action)) {
      const verdict = allowListVerdict(this.config.allow_list, kind, target);
      if (!verdict.allowed) return { status: 'refused', reason: verdict.reason };
    }

    const adapter = this.pick(action, input.adapter);
    const result = await adapter.perform({
      action,
      target,
      idempotencyKey: call.idempotencyKey,
      incidentId: call.incidentId,
      undo: call.undo,
      beforeChange: call.beforeChange,
    });
    return { status: 'succeeded', target, adapter: adapter.name, output: result.output, ...(result.undo ? { undo: result.undo } : {}) };
  }

  /** `with.adapter`, else the default for the action (an undo uses its containment action's default). */
  private pick(action: ContainmentAction | UndoAction, named: unknown): ContainmentAdapter {
    if (named !== undefined && typeof named !== 'string') throw new PermanentActionError('with.adapter must be a string');
    const containment = isContainment(action) ? action : CONTAINMENT_OF[action];
    const defaults = this.config.defaults as Partial<Record<string, string>>;
    const name = named ?? defaults[action] ?? defaults[containment];
    if (!name) {
      throw new PermanentActionError(
        `no adapter for ${action}: name one in with.adapter or set defaults.${containment} in containment.yaml`,
      );
    }
    const adapter = this.adapters.get(name);
    if (!adapter) throw new PermanentActionError(`no adapter named ${JSON.stringify(name.slice(0, 64))} in containment.yaml`);
    if (!isConfigured(adapter)) throw new PermanentActionError(`adapter ${name} is not configured: ${adapter.unconfigured}`);
    if (!adapter.actions.includes(action)) throw new PermanentActionError(`adapter ${name} (${adapter.kind}) cannot ${action}`);
    return adapter;
  }
}
