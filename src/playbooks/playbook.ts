/**
 * A playbook as Warden runs it: the vocabulary shared by the schema, the planner, the run
 * workflow and the run records. The containment vocabulary itself lives in src/domain/, where
 * the adapters read it too.
 */

import { CONTAINMENT_ACTIONS, UNDO_ACTIONS, type UndoAction } from '../domain';

export { CONTAINMENT_ACTIONS, INVERSE_ACTIONS, isContainment, TARGET_OF, UNDO_ACTIONS } from '../domain';
export type { ContainmentAction, UndoAction } from '../domain';

export const PLAYBOOK_ACTIONS = [...CONTAINMENT_ACTIONS, ...UNDO_ACTIONS, 'collect_evidence', 'notify', 'escalate', 'wait'] as const;
export type PlaybookAction = (typeof PLAYBOOK_ACTIONS)[number];

export type OnTimeout = 'skip' | 'deny' | 'proceed';

export interface StepRetry {
  attempts: number;
  /** Seconds before the second attempt; doubles after each. */
  backoffSeconds: number;
}

export interface PlaybookStep {
  id: string;
  action: PlaybookAction;
  /** Inputs; strings may hold `{{ path }}` templates (see template.ts). */
  with: Record<string, unknown>;
  depends_on: string[];
  /** A CEL condition (see condition.ts); the step is skipped unless it is true. */
  if?: string;
  retry: StepRetry;
  timeoutSeconds: number;
  approval?: { role: string; timeoutSeconds: number; on_timeout: OnTimeout };
  /** The undo step, for containment actions: by default the inverse action on the same target. */
  compensate?: { action: UndoAction; with: Record<string, unknown>; retry: StepRetry };
}

export interface Playbook {
  /** The file's name without `.yaml`. */
  name: string;
  description?: string;
  /** A CEL condition on the incident (see condition.ts): the playbook runs only when it holds. */
  when?: string;
  steps: PlaybookStep[];
}

/** A playbook as loaded, with the content hash that is its version. */
export interface LoadedPlaybook {
  playbook: Playbook;
  /** sha256 hex of the file's bytes. */
  version: string;
  file: string;
}

export const STEP_STATUSES = [
  'pending',
  'waiting_approval',
  'running',
  'succeeded',
  'failed',
  /** A containment step that failed after an attempt reached its backend: it may be in place, and is undone with the rest. */
  'uncertain',
  'skipped',
  'refused',
  'denied',
  'cancelled',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const RUN_STATUSES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'denied',
  'cancelled',
  'compensating',
  'compensated',
  'compensation_failed',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export type CompensationStatus = 'running' | 'compensated' | 'failed';

/** What templates and conditions see. Field names are the API's (snake_case as in the tables). */
export interface PlaybookContext {
  incident: {
    id: string;
    severity: string;
    priority: string;
    status: string;
    types: string[];
    source_ip: string | null;
    user: string | null;
    host: string | null;
    alert_count: number;
    opening_rule: string;
    correlation_key: string;
    storm: boolean;
  };
  /** The incident's most recent alert. */
  alert: {
    id: string;
    source: string;
    type: string;
    severity: string;
    title: string;
    source_ip: string | null;
    destination_ip: string | null;
    user: string | null;
    host: string | null;
  } | null;
  /** Steps that have finished, by id. */
  steps: Record<string, { status: StepStatus; output: Record<string, unknown> }>;
}

/** The Nest token for config/playbooks/*.yaml as loaded: `Record<name, LoadedPlaybook>`. */
export const PLAYBOOKS = Symbol('PLAYBOOKS');
