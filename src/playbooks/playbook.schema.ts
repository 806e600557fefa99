import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError, loadYamlFile } from '../common/config-files';
import { byteSizeSchema } from '../common/byte-size';
import { durationSchema } from '../common/duration';
import { ALERT_FIELD_TYPES, ConditionError, INCIDENT_FIELD_TYPES, checkCondition, parseCondition } from './condition';
import {
  INVERSE_ACTIONS,
  PLAYBOOK_ACTIONS,
  TARGET_OF,
  UNDO_ACTIONS,
  isContainment,
  type LoadedPlaybook,
  type Playbook,
  type PlaybookAction,
  type PlaybookStep,
  type StepRetry,
} from './playbook';
import { templatePaths, templateProblems } from './template';
import { DEFAULT_EVIDENCE_CAPS, EVIDENCE_CAP_RANGES } from './evidence-caps';

/**
 * One config/playbooks/NAME.yaml, validated and turned into a Playbook (durations in
 * seconds, defaults filled in, every containment step with its undo). Every problem names
 * its path inside the file (`steps[2].depends_on[0]`), and loadYamlFile adds the line.
 */

export const STEP_ID = /^[a-z0-9][a-z0-9_-]*$/;
/** A playbook's name is its file name; rules.yaml refers to it. */
export const PLAYBOOK_NAME = STEP_ID;
export const MAX_STEPS = 100;
export const DEFAULT_RETRY: StepRetry = { attempts: 3, backoffSeconds: 2 };
export const DEFAULT_TIMEOUT_SECONDS = 30;
export const DEFAULT_EVIDENCE_WINDOW_SECONDS = 24 * 3600;
export const RELATED_BY = ['ip', 'user', 'host'] as const;
export const DEFAULT_ESCALATION_ROLE = 'executive';

const hasTemplate = (v: string) => v.includes('{{');
const adapterName = z.string().regex(/^[a-z0-9_-]+$/, 'must name an adapter of containment.yaml (lower-case letters, digits, - and _)');

/** A containment target: a template, or a literal checked for its kind. */
const target = (kind: 'ip' | 'user' | 'host') =>
  z
    .string()
    .min(1)
    .refine(
      (v) => hasTemplate(v) || kind !== 'ip' || isIP(v) !== 0,
      'must be an IP address or a template such as {{ incident.source_ip }}',
    );

const containmentInputs = (kind: 'ip' | 'user' | 'host') => z.object({ [kind]: target(kind), adapter: adapterName.optional() }).strict();

/** The `with` of each action; strict, so a misspelt key is an error. Durations come out in seconds. */
export const ACTION_INPUTS: Record<PlaybookAction, z.ZodType<Record<string, unknown>>> = {
  block_ip: containmentInputs('ip'),
  unblock_ip: containmentInputs('ip'),
  disable_user: containmentInputs('user'),
  enable_user: containmentInputs('user'),
  isolate_host: containmentInputs('host'),
  release_host: containmentInputs('host'),
  collect_evidence: z
    .object({
      /** Related alerts (same IP, user or host) within this long before and after the incident. */
      window: durationSchema.default(DEFAULT_EVIDENCE_WINDOW_SECONDS),
      related_by: z
        .array(z.enum(RELATED_BY))
        .refine((v) => new Set(v).size === v.length, 'lists a field twice')
        .default([...RELATED_BY]),
      /** Caps (evidence-caps.ts); what is left unset takes its default there, and the manifest records what was cut. */
      max_items: z.number().int().min(EVIDENCE_CAP_RANGES.maxItems.min).max(EVIDENCE_CAP_RANGES.maxItems.max).optional(),
      max_item_bytes: byteSizeSchema(EVIDENCE_CAP_RANGES.maxItemBytes.min, EVIDENCE_CAP_RANGES.maxItemBytes.max).optional(),
      max_bundle_bytes: byteSizeSchema(EVIDENCE_CAP_RANGES.maxBundleBytes.min, EVIDENCE_CAP_RANGES.maxBundleBytes.max).optional(),
    })
    .strict()
    .refine(
      (w) => (w.max_item_bytes ?? DEFAULT_EVIDENCE_CAPS.maxItemBytes) <= (w.max_bundle_bytes ?? DEFAULT_EVIDENCE_CAPS.maxBundleBytes),
      { path: ['max_item_bytes'], message: 'must not be larger than max_bundle_bytes' },
    ),
  notify: z.object({ role: z.string().min(1), message: z.string().min(1) }).strict(),
  escalate: z.object({ role: z.string().min(1).default(DEFAULT_ESCALATION_ROLE), reason: z.string().min(1).optional() }).strict(),
  wait: z.object({ duration: durationSchema }).strict(),
};

const inputsRecord = z.record(z.string(), z.unknown());

const retrySchema = z
  .object({
    attempts: z.number().int().min(1).max(20).default(DEFAULT_RETRY.attempts),
    /** Before the second attempt; doubles after each. */
    backoff: durationSchema.default(DEFAULT_RETRY.backoffSeconds),
  })
  .strict();

const stepSchema = z
  .object({
    id: z
      .string()
      .max(64, 'must be at most 64 characters')
      .regex(STEP_ID, 'must be lower-case letters, digits, - and _, starting with a letter or digit'),
    action: z.enum(PLAYBOOK_ACTIONS),
    with: inputsRecord.default({}),
    depends_on: z.array(z.string()).default([]),
    if: z.string().optional(),
    retry: retrySchema.optional(),
    timeout: durationSchema.default(DEFAULT_TIMEOUT_SECONDS),
    approval: z
      .object({
        /** Who may approve (a role of assignment.yaml; leads and admins may too). */
        role: z.string().min(1),
        timeout: durationSchema,
        on_timeout: z.enum(['skip', 'deny', 'proceed']).default('deny'),
      })
      .strict()
      .optional(),
    compensate: z
      .object({
        action: z.enum(UNDO_ACTIONS).optional(),
        with: inputsRecord.optional(),
        retry: retrySchema.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const fileShape = z
  .object({
    description: z.string().optional(),
    /** The playbook runs only for incidents where this holds. */
    when: z.string().optional(),
    steps: z.array(stepSchema).min(1, 'a playbook needs at least one step').max(MAX_STEPS, `at most ${MAX_STEPS} steps`),
  })
  .strict();
type RawFile = z.output<typeof fileShape>;
type RawStep = RawFile['steps'][number];

interface Issue {
  path: (string | number)[];
  message: string;
}

const toRetry = (r: z.output<typeof retrySchema> | undefined, fallback: StepRetry): StepRetry =>
  r ? { attempts: r.attempts, backoffSeconds: r.backoff } : fallback;

/** The undo of a containment step: the file's `compensate` over the inverse action on the same target and adapter. */
function compensationOf(step: RawStep, retry: StepRetry): NonNullable<PlaybookStep['compensate']> | undefined {
  if (!isContainment(step.action)) return undefined;
  const kind = TARGET_OF[step.action];
  const base: Record<string, unknown> = { [kind]: step.with[kind] };
  if (step.with.adapter !== undefined) base.adapter = step.with.adapter;
  return {
    action: step.compensate?.action ?? INVERSE_ACTIONS[step.action],
    with: { ...base, ...step.compensate?.with },
    retry: toRetry(step.compensate?.retry, retry),
  };
}

/** Steps each step depends on, directly or not (missing names and cycles tolerated). */
export function transitiveDependencies(steps: readonly { id: string; depends_on: readonly string[] }[]): Map<string, Set<string>> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const result = new Map<string, Set<string>>();
  for (const step of steps) {
    const seen = new Set<string>();
    const stack = [...step.depends_on];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(byId.get(id)?.depends_on ?? []));
    }
    result.set(step.id, seen);
  }
  return result;
}

/** The first dependency cycle, as step ids from a step back to itself, or null. */
export function findCycle(steps: readonly { id: string; depends_on: readonly string[] }[]): string[] | null {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done' || !byId.has(id)) return null;
    if (state.get(id) === 'open') return [...trail.slice(trail.indexOf(id)), id];
    state.set(id, 'open');
    trail.push(id);
    for (const dep of byId.get(id)!.depends_on) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    trail.pop();
    state.set(id, 'done');
    return null;
  };
  for (const step of steps) {
    const cycle = visit(step.id);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * Why a path in a template or condition cannot be read, or null when it can. `steps` holds
 * the steps it may read (the step's dependencies), or null where no step may be read (`when`).
 */
export function pathProblem(
  path: string,
  steps: ReadonlySet<string> | null,
  allStepIds: ReadonlySet<string>,
  self?: string,
): string | null {
  const [root, field, ...rest] = path.split('.');
  if (root === 'incident' || root === 'alert') {
    // Templates and conditions read the same fields: those conditions have CEL types for.
    const fields: Record<string, string> = root === 'incident' ? INCIDENT_FIELD_TYPES : ALERT_FIELD_TYPES;
    const known = `${root} has ${Object.keys(fields).join(', ')}`;
    if (field === undefined) return `"${path}" needs a field: ${known}`;
    if (!Object.prototype.hasOwnProperty.call(fields, field)) return `unknown path "${path}": ${known}`;
    if (rest.length === 0) return null;
    if (root === 'incident' && field === 'types' && rest.length === 1 && /^\d+$/.test(rest[0])) return null;
    return `unknown path "${path}": ${root}.${field} has no fields`;
  }
  if (root === 'steps') {
    if (steps === null) return `"${path}": a playbook's when sees only incident and alert, not steps`;
    if (field === undefined) return `"${path}" needs a step id: steps.<id>.status or steps.<id>.output`;
    if (!steps.has(field)) {
      if (!allStepIds.has(field)) return `"${path}": there is no step "${field}"`;
      return `"${path}": step "${field}" is not a dependency of ${self ? `step "${self}"` : 'this step'}; add it to depends_on`;
    }
    const [what, ...more] = rest;
    if (what === 'status' && more.length === 0) return null;
    if (what === 'output') return null;
    return `"${path}": a step has status and output (steps.${field}.status, steps.${field}.output.<field>)`;
  }
  return `unknown path "${path}": paths start with incident., alert. or steps.`;
}

/** Syntax, limits and paths first; types only once every path exists, so each problem is said once. */
function conditionProblems(text: string, path: (string | number)[], check: (p: string) => string | null): Issue[] {
  try {
    const condition = parseCondition(text);
    const issues = condition.paths.flatMap((p) => {
      const message = check(p);
      return message ? [{ path, message }] : [];
    });
    if (issues.length === 0) checkCondition(condition);
    return issues;
  } catch (err) {
    if (err instanceof ConditionError) return [{ path, message: `not a valid condition: ${err.message}` }];
    throw err;
  }
}

function inputProblems(
  action: PlaybookAction,
  inputs: Record<string, unknown>,
  path: (string | number)[],
  check: (p: string) => string | null,
): Issue[] {
  const issues: Issue[] = [];
  const parsed = ACTION_INPUTS[action].safeParse(inputs);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const message =
        issue.code === 'unrecognized_keys'
          ? `${issue.message}; ${action} takes ${Object.keys((ACTION_INPUTS[action] as unknown as z.ZodObject).shape).join(', ')}`
          : issue.message;
      issues.push({ path: [...path, ...(issue.path as (string | number)[])], message });
    }
  }
  for (const p of templateProblems(inputs)) issues.push({ path: [...path, ...p.keys.slice(1)], message: p.message });
  for (const ref of templatePaths(inputs)) {
    const message = check(ref.path);
    if (message) issues.push({ path: [...path, ...ref.keys.slice(1)], message });
  }
  return issues;
}

/** Everything wrong with a playbook file that its shape alone does not say. */
export function playbookProblems(file: RawFile): Issue[] {
  const issues: Issue[] = [];
  const ids = new Set<string>();
  const allIds = new Set(file.steps.map((s) => s.id));
  file.steps.forEach((step, i) => {
    if (ids.has(step.id)) issues.push({ path: ['steps', i, 'id'], message: `duplicate step id "${step.id}"` });
    ids.add(step.id);
    const listed = new Set<string>();
    step.depends_on.forEach((dep, j) => {
      if (!allIds.has(dep)) issues.push({ path: ['steps', i, 'depends_on', j], message: `no step "${dep}" in this playbook` });
      else if (listed.has(dep)) issues.push({ path: ['steps', i, 'depends_on', j], message: `"${dep}" is listed twice` });
      listed.add(dep);
    });
  });
  const cycle = findCycle(file.steps);
  if (cycle) {
    const index = file.steps.findIndex((s) => s.id === cycle[0]);
    issues.push({ path: ['steps', index, 'depends_on'], message: `dependency cycle: ${cycle.join(' → ')}` });
  }

  if (file.when !== undefined) issues.push(...conditionProblems(file.when, ['when'], (p) => pathProblem(p, null, allIds)));

  const deps = transitiveDependencies(file.steps);
  file.steps.forEach((step, i) => {
    const mayRead = deps.get(step.id) ?? new Set<string>();
    const check = (p: string) => pathProblem(p, mayRead, allIds, step.id);
    if (step.if !== undefined) issues.push(...conditionProblems(step.if, ['steps', i, 'if'], check));
    issues.push(...inputProblems(step.action, step.with, ['steps', i, 'with'], check));

    if (step.compensate && !isContainment(step.action)) {
      issues.push({
        path: ['steps', i, 'compensate'],
        message: `only containment actions (${Object.keys(INVERSE_ACTIONS).join(', ')}) are compensated; ${step.action} changes nothing to undo`,
      });
      return;
    }
    if (!isContainment(step.action)) return;
    const inverse = INVERSE_ACTIONS[step.action];
    if (step.compensate?.action !== undefined && step.compensate.action !== inverse) {
      issues.push({
        path: ['steps', i, 'compensate', 'action'],
        message: `${step.action} is undone by ${inverse}, not ${step.compensate.action}`,
      });
      return;
    }
    // The undo may read the step's own output (what it changed) as well as its dependencies'.
    const undoMayRead = new Set([...mayRead, step.id]);
    const undo = compensationOf(step, DEFAULT_RETRY)!;
    if (step.compensate?.with !== undefined)
      issues.push(
        ...inputProblems(inverse, undo.with, ['steps', i, 'compensate', 'with'], (p) => pathProblem(p, undoMayRead, allIds, step.id)),
      );
  });
  return issues;
}

function buildStep(step: RawStep): PlaybookStep {
  const retry = toRetry(step.retry, DEFAULT_RETRY);
  const inputs = ACTION_INPUTS[step.action].parse(step.with);
  const built: PlaybookStep = {
    id: step.id,
    action: step.action,
    with: inputs,
    depends_on: step.depends_on,
    ...(step.if !== undefined && { if: step.if }),
    retry,
    timeoutSeconds: step.timeout,
  };
  if (step.approval)
    built.approval = { role: step.approval.role, timeoutSeconds: step.approval.timeout, on_timeout: step.approval.on_timeout };
  const undo = compensationOf(step, retry);
  if (undo) {
    built.compensate = { action: undo.action, with: ACTION_INPUTS[undo.action].parse(undo.with), retry: undo.retry };
  }
  return built;
}

/** A playbook file's schema: validated, then transformed to a Playbook without its name (the file's). */
export const playbookFileSchema = fileShape
  .superRefine((file, ctx) => {
    for (const issue of playbookProblems(file)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  })
  .transform((file): Omit<Playbook, 'name'> => ({
    ...(file.description !== undefined && { description: file.description }),
    ...(file.when !== undefined && { when: file.when }),
    steps: file.steps.map(buildStep),
  }));
export type PlaybookFile = z.output<typeof playbookFileSchema>;

/** The playbook's name: its file name without `.yaml` (or `.yml`). */
export const playbookNameOf = (file: string): string => basename(file).replace(/\.ya?ml$/, '');

/**
 * Loads one playbook file. Its version is the sha256 of the file's bytes, so a run records
 * exactly which text it followed. Throws ConfigError naming file, path, line and reason.
 */
export function loadPlaybookFile(file: string): LoadedPlaybook {
  if (!existsSync(file)) throw new ConfigError([{ file, path: '', message: 'file does not exist' }]);
  const name = playbookNameOf(file);
  if (!PLAYBOOK_NAME.test(name))
    throw new ConfigError([
      { file, path: '', message: 'a playbook file name must be lower-case letters, digits, - and _ (it is the name rules.yaml uses)' },
    ]);
  const bytes = readFileSync(file);
  const parsed = loadYamlFile(file, playbookFileSchema);
  return { playbook: { name, ...parsed }, version: createHash('sha256').update(bytes).digest('hex'), file };
}
