import type { ContainmentAction, UndoAction } from '../domain';

/**
 * One containment backend (a firewall, an IdP, an EDR, or anything behind a signed webhook).
 * Adapters are named and chosen in config/containment.yaml; a playbook step may name one with
 * `with.adapter`, otherwise the action's default adapter is used.
 */
export interface ContainmentRequest {
  action: ContainmentAction | UndoAction;
  /** The IP address, user name or host name, already validated for its kind. */
  target: string;
  /** `run:<runId>:<stepId>` (or `…:undo`): the same request again must change nothing twice. */
  idempotencyKey: string;
  incidentId: string;
  /** For an undo: what the containment step recorded (`ContainmentResult.undo`). */
  undo?: Record<string, unknown>;
}

export interface ContainmentResult {
  /** Shown on the step. */
  output: Record<string, unknown>;
  /**
   * For a containment action: the state it changed, enough to undo exactly that change
   * (e.g. `{ alreadyBlocked: true }` means the undo must leave the address blocked).
   */
  undo?: Record<string, unknown>;
}

/** A refusal from the backend that retrying cannot fix (4xx other than 408/425/429, bad target). */
export class PermanentActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentActionError';
  }
}

export interface ContainmentAdapter {
  readonly name: string;
  readonly kind: 'webhook' | 'nftables' | 'scim' | 'edr';
  /** The actions this adapter can perform. */
  readonly actions: readonly (ContainmentAction | UndoAction)[];
  /** Throws PermanentActionError for a final refusal; anything else thrown is retried by the step's retry policy. */
  perform(request: ContainmentRequest): Promise<ContainmentResult>;
}
