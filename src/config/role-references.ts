import type { AssignmentConfig } from '../assignment/assignment.schema';
import type { RulesFile } from '../correlation/rules.schema';
import { ASSIGNEE_TIER, type SlaConfig } from '../tasks/sla.schema';
import { basename } from 'node:path';
import type { AdapterConfig, ContainmentConfig } from '../containment/containment.schema';
import {
  CONTAINMENT_ACTIONS,
  INVERSE_ACTIONS,
  UNDO_ACTIONS,
  isContainment,
  type ContainmentAction,
  type LoadedPlaybook,
  type PlaybookAction,
  type UndoAction,
} from '../playbooks/playbook';

export interface RoleReferenceProblem {
  file: 'rules.yaml' | 'sla.yaml';
  path: (string | number)[];
  message: string;
}

/**
 * Roles named in rules.yaml and sla.yaml that assignment.yaml does not define. Each
 * file validates on its own; this catches the typo between them at start-up instead
 * of at the first incident.
 */
export function roleReferenceProblems(assignment: AssignmentConfig, rules: RulesFile, sla: SlaConfig): RoleReferenceProblem[] {
  const roles = new Set(assignment.roles);
  const unknown = (role: string) => `unknown role "${role}"; assignment.yaml defines ${assignment.roles.join(', ')}`;
  const problems: RoleReferenceProblem[] = [];
  if (!roles.has(rules.defaults.assign_role))
    problems.push({ file: 'rules.yaml', path: ['defaults', 'assign_role'], message: unknown(rules.defaults.assign_role) });
  rules.rules.forEach((rule, i) => {
    if (rule.assign_role !== undefined && !roles.has(rule.assign_role))
      problems.push({ file: 'rules.yaml', path: ['rules', i, 'assign_role'], message: unknown(rule.assign_role) });
  });
  sla.escalation.tiers.forEach((tier, i) => {
    if (tier.tier === ASSIGNEE_TIER) return;
    const role = tier.role ?? tier.tier;
    if (!roles.has(role))
      problems.push({
        file: 'sla.yaml',
        path: ['escalation', 'tiers', i, tier.role === undefined ? 'tier' : 'role'],
        message: unknown(role),
      });
  });
  return problems;
}

/** What each adapter type can do; a step or a default naming an adapter that cannot do its action is refused at start-up. */
export const ADAPTER_ACTIONS: Readonly<Record<AdapterConfig['type'], readonly (ContainmentAction | UndoAction)[]>> = {
  webhook: [...CONTAINMENT_ACTIONS, ...UNDO_ACTIONS],
  nftables: ['block_ip', 'unblock_ip'],
  scim: ['disable_user', 'enable_user'],
  edr: ['isolate_host', 'release_host'],
};

/** The containment action an action belongs to (itself, or the one it undoes): containment.yaml `defaults` keys. */
const containmentOf = (action: ContainmentAction | UndoAction): ContainmentAction =>
  isContainment(action) ? action : CONTAINMENT_ACTIONS.find((c) => INVERSE_ACTIONS[c] === action)!;

export interface PlaybookReferenceProblem {
  /** Relative to the config directory: rules.yaml, containment.yaml, playbooks/NAME.yaml. */
  file: string;
  path: (string | number)[];
  message: string;
}

/**
 * Names that cross files around playbooks: playbooks a rule names, roles that approve or are
 * notified, adapters a step or a default names (and whether they can do the action). Each
 * file validates on its own first.
 */
export function playbookReferenceProblems(config: {
  assignment: AssignmentConfig;
  rules: RulesFile;
  containment: ContainmentConfig;
  playbooks: Readonly<Record<string, LoadedPlaybook>>;
}): PlaybookReferenceProblem[] {
  const { assignment, rules, containment, playbooks } = config;
  const problems: PlaybookReferenceProblem[] = [];
  const roles = new Set(assignment.roles);
  const adapters = containment.adapters;
  const names = Object.keys(playbooks).sort();

  rules.rules.forEach((rule, i) =>
    rule.playbooks?.forEach((name, j) => {
      if (!Object.prototype.hasOwnProperty.call(playbooks, name))
        problems.push({
          file: 'rules.yaml',
          path: ['rules', i, 'playbooks', j],
          message: `no playbook "${name}" (config/playbooks/${name}.yaml); playbooks are ${names.join(', ') || 'none'}`,
        });
    }),
  );

  /** Why `adapter` cannot do `action`, or null. */
  const adapterProblem = (adapter: string, action: ContainmentAction | UndoAction): string | null => {
    if (!Object.prototype.hasOwnProperty.call(adapters, adapter))
      return `no adapter "${adapter}" in containment.yaml; adapters are ${Object.keys(adapters).join(', ') || 'none'}`;
    const type = adapters[adapter].type;
    return ADAPTER_ACTIONS[type].includes(action)
      ? null
      : `adapter "${adapter}" (${type}) cannot ${action}; a ${type} adapter does ${ADAPTER_ACTIONS[type].join(', ')}`;
  };

  for (const [action, adapter] of Object.entries(containment.defaults) as [ContainmentAction, string | undefined][]) {
    if (adapter === undefined) continue;
    const message = adapterProblem(adapter, action) ?? adapterProblem(adapter, INVERSE_ACTIONS[action]);
    if (message) problems.push({ file: 'containment.yaml', path: ['defaults', action], message });
  }

  const unknownRole = (role: string) => `unknown role "${role}"; assignment.yaml defines ${assignment.roles.join(', ')}`;
  for (const name of names) {
    const { playbook, file } = playbooks[name];
    const where = `playbooks/${basename(file)}`;
    const checkAdapter = (action: PlaybookAction, inputs: Record<string, unknown>, path: (string | number)[]) => {
      if (!isContainment(action) && !(UNDO_ACTIONS as readonly string[]).includes(action)) return;
      const acting = action as ContainmentAction | UndoAction;
      if (typeof inputs.adapter === 'string') {
        const message = adapterProblem(inputs.adapter, acting);
        if (message) problems.push({ file: where, path: [...path, 'adapter'], message });
      } else if (containment.defaults[containmentOf(acting)] === undefined) {
        problems.push({
          file: where,
          path,
          message: `no adapter for ${acting}: name one with adapter: <name>, or set defaults.${containmentOf(acting)} in containment.yaml`,
        });
      }
    };
    playbook.steps.forEach((step, i) => {
      if (step.approval && !roles.has(step.approval.role))
        problems.push({ file: where, path: ['steps', i, 'approval', 'role'], message: unknownRole(step.approval.role) });
      if ((step.action === 'notify' || step.action === 'escalate') && typeof step.with.role === 'string' && !roles.has(step.with.role))
        problems.push({ file: where, path: ['steps', i, 'with', 'role'], message: unknownRole(step.with.role) });
      checkAdapter(step.action, step.with, ['steps', i, 'with']);
      // A default compensation copies the step's adapter, so only a written one can be wrong on its own.
      if (step.compensate && step.compensate.with.adapter !== step.with.adapter)
        checkAdapter(step.compensate.action, step.compensate.with, ['steps', i, 'compensate', 'with']);
    });
  }
  return problems;
}
