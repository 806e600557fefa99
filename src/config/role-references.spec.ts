import { join } from 'node:path';
import { loadYamlFile } from '../common/config-files';
import { rulesFileSchema } from '../correlation/rules.schema';
import { slaFileSchema } from '../tasks/sla.schema';
import { assignmentFileSchema } from '../assignment/assignment.schema';
import { roleReferenceProblems } from './role-references';

const configDir = join(__dirname, '..', '..', 'config');

describe(roleReferenceProblems.name, () => {
  const assignment = assignmentFileSchema.parse({});
  const rules = (assignRoles: string[], defaultRole = 'analyst') =>
    rulesFileSchema.parse({
      defaults: { assign_role: defaultRole },
      rules: assignRoles.map((role, i) => ({ name: `r${i}`, action: 'correlate', assign_role: role })),
    });
  const sla = slaFileSchema.parse({});

  it('finds nothing wrong in the shipped config/', () => {
    const load = <S extends Parameters<typeof loadYamlFile>[1]>(file: string, schema: S) => loadYamlFile(join(configDir, file), schema);
    expect(
      roleReferenceProblems(
        load('assignment.yaml', assignmentFileSchema),
        load('rules.yaml', rulesFileSchema),
        load('sla.yaml', slaFileSchema),
      ),
    ).toEqual([]);
  });

  it('reports a rule role that assignment.yaml lacks', () => {
    expect(roleReferenceProblems(assignment, rules(['analyst', 'senior']), sla)).toEqual([
      {
        file: 'rules.yaml',
        path: ['rules', 1, 'assign_role'],
        message: expect.stringMatching(/^unknown role "senior"; assignment.yaml defines junior_analyst/),
      },
    ]);
  });

  it('reports an unknown default role', () => {
    expect(roleReferenceProblems(assignment, rules([], 'tier1'), sla).map((p) => p.path)).toEqual([['defaults', 'assign_role']]);
  });

  it('reports an SLA tier whose role is unknown, at the field that names it', () => {
    const custom = slaFileSchema.parse({
      escalation: {
        critical_notifies_executives: false,
        tiers: [{ tier: 'assignee' }, { tier: 'soc_manager' }, { tier: 'leads', role: 'lead' }],
      },
    });
    expect(roleReferenceProblems(assignment, rules([]), custom).map((p) => [p.file, p.path.join('.')])).toEqual([
      ['sla.yaml', 'escalation.tiers.1.tier'],
      ['sla.yaml', 'escalation.tiers.2.role'],
    ]);
  });
});
