import type { ContainmentAction, UndoAction } from '../domain';
import type { CallFailure } from './applied';

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
  /**
   * For a containment action: called right before the call that changes the backend, with the
   * state that undoes the change (as far as it is known then). From here on the step may be
   * in place whatever the call answers, so it is recorded first: an answer lost to a 500 or a
   * timeout still leaves the step `uncertain` and its undo known. It throws when the step has
   * already ended (a late attempt must not act); the adapter then changes nothing.
   */
  beforeChange?: (undo?: Record<string, unknown>) => Promise<void>;
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
  constructor(
    message: string,
    /** How the call failed, when a call to the backend did (see mayHaveApplied). */
    readonly failure?: CallFailure,
  ) {
    super(message);
    this.name = 'PermanentActionError';
  }
}

/** A failed call to the backend that may be retried (5xx, 408, 425, 429, a network error, a timeout). */
export class BackendCallError extends Error {
  constructor(
    message: string,
    readonly failure: CallFailure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BackendCallError';
  }
}

/** How the call behind `err` failed; undefined when `err` says nothing of one. */
export const failureOf = (err: unknown): CallFailure | undefined =>
  err instanceof PermanentActionError || err instanceof BackendCallError ? err.failure : undefined;

export interface ContainmentAdapter {
  readonly name: string;
  readonly kind: 'webhook' | 'nftables' | 'scim' | 'edr';
  /** The actions this adapter can perform. */
  readonly actions: readonly (ContainmentAction | UndoAction)[];
  /**
   * Throws PermanentActionError for a final refusal; anything else thrown is retried by the
   * step's retry policy. An undo of something that is not there (any more) succeeds: undoing twice,
   * or undoing a step that may never have acted, changes nothing and is not an error.
   */
  perform(request: ContainmentRequest): Promise<ContainmentResult>;
}
