import type { AssignmentConfig } from '../assignment/assignment.schema';
import type { RulesFile } from '../correlation/rules.schema';
import { ASSIGNEE_TIER, type SlaConfig } from '../tasks/sla.schema';

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
