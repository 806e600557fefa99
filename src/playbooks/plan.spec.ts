import { planRun, topologicalLayers, type RefuseCheck } from './plan';
import type { LoadedPlaybook, PlaybookContext } from './playbook';
import { playbookFileSchema } from './playbook.schema';

const load = (name: string, file: unknown): LoadedPlaybook => ({
  playbook: { name, ...playbookFileSchema.parse(file) },
  version: 'v1',
  file: `config/playbooks/${name}.yaml`,
});

const context = (
  incident: Partial<PlaybookContext['incident']> = {},
  alert: Partial<NonNullable<PlaybookContext['alert']>> = {},
): PlaybookContext => ({
  incident: {
    id: 'i-1',
    severity: 'high',
    priority: 'P2',
    status: 'open',
    types: ['failed_login'],
    source_ip: '203.0.113.7',
    user: 'alice',
    host: 'web-1',
    alert_count: 12,
    opening_rule: 'failed-login-burst',
    correlation_key: 'k',
    storm: false,
    ...incident,
  },
  alert: {
    id: 'a-1',
    source: 'wazuh',
    type: 'failed_login',
    severity: 'high',
    title: 'SSH login failed',
    source_ip: '203.0.113.7',
    destination_ip: null,
    user: 'alice',
    host: 'web-1',
    ...alert,
  },
  steps: {},
});

const allowAll: RefuseCheck = () => null;

const bruteForce = load('brute-force', {
  when: "'failed_login' in incident.types",
  steps: [
    { id: 'block-now', action: 'block_ip', if: "incident.severity == 'critical'", with: { ip: '{{ incident.source_ip }}' } },
    {
      id: 'block-approved',
      action: 'block_ip',
      if: "incident.severity != 'critical'",
      with: { ip: '{{ incident.source_ip }}' },
      approval: { role: 'senior_analyst', timeout: '30m', on_timeout: 'skip' },
    },
  ],
});

describe(topologicalLayers.name, () => {
  it('puts independent steps side by side and dependent ones after, in file order', () => {
    const playbook = load('p', {
      steps: [
        { id: 'd', action: 'wait', with: { duration: 1 }, depends_on: ['b', 'c'] },
        { id: 'c', action: 'wait', with: { duration: 1 }, depends_on: ['a'] },
        { id: 'a', action: 'wait', with: { duration: 1 } },
        { id: 'b', action: 'wait', with: { duration: 1 }, depends_on: ['a'] },
        { id: 'e', action: 'wait', with: { duration: 1 } },
      ],
    }).playbook;
    expect(topologicalLayers(playbook)).toEqual([['a', 'e'], ['c', 'b'], ['d']]);
  });
});

describe(planRun.name, () => {
  it('blocks a critical incident at once', () => {
    const plan = planRun(bruteForce, context({ severity: 'critical' }), allowAll);
    expect(plan).toEqual({
      playbook: 'brute-force',
      version: 'v1',
      when: { condition: "'failed_login' in incident.types", holds: true },
      steps: [
        { id: 'block-now', action: 'block_ip', dependsOn: [], verdict: 'run', input: { ip: '203.0.113.7' } },
        {
          id: 'block-approved',
          action: 'block_ip',
          dependsOn: [],
          verdict: 'skip',
          reason: "if incident.severity != 'critical' is false",
          input: { ip: '203.0.113.7' },
        },
      ],
    });
  });

  it('asks for approval below critical', () => {
    const steps = planRun(bruteForce, context(), allowAll).steps;
    expect(steps.map((s) => s.verdict)).toEqual(['skip', 'needs_approval']);
    expect(steps[1].approval).toEqual({ role: 'senior_analyst', timeoutSeconds: 1800, on_timeout: 'skip' });
  });

  it('says when the playbook would not run at all', () => {
    expect(planRun(bruteForce, context({ types: ['malware'] }), allowAll).when).toEqual({
      condition: "'failed_login' in incident.types",
      holds: false,
    });
    expect(planRun(load('x', { steps: [{ id: 'w', action: 'wait', with: { duration: 1 } }] }), context(), allowAll).when).toEqual({
      condition: null,
      holds: true,
    });
  });

  it('records a refusal, and skips what depends on it', () => {
    const playbook = load('p', {
      steps: [
        { id: 'block', action: 'block_ip', with: { ip: '{{ incident.source_ip }}' } },
        { id: 'tell', action: 'notify', depends_on: ['block'], with: { role: 'team_lead', message: 'blocked {{ incident.source_ip }}' } },
      ],
    });
    const refuse = jest.fn<string | null, Parameters<RefuseCheck>>(() => 'allow-list: 203.0.113.0/24 (partner VPN)');
    const steps = planRun(playbook, context(), refuse).steps;
    expect(steps.map((s) => [s.verdict, s.reason])).toEqual([
      ['refused', 'allow-list: 203.0.113.0/24 (partner VPN)'],
      ['skip', 'depends on block, which would be refused'],
    ]);
    expect(refuse.mock.calls).toEqual([['block_ip', { ip: '203.0.113.7' }]]);
  });

  it('marks a step whose input renders null as invalid, naming the field and path', () => {
    const playbook = load('p', {
      steps: [
        { id: 'block', action: 'block_ip', with: { ip: '{{ alert.destination_ip }}' } },
        { id: 'after', action: 'wait', with: { duration: 1 }, depends_on: ['block'] },
      ],
    });
    expect(planRun(playbook, context(), allowAll).steps.map((s) => [s.verdict, s.reason])).toEqual([
      ['invalid', 'with.ip: alert.destination_ip is null'],
      ['skip', 'depends on block, which would be invalid'],
    ]);
  });

  it('lets an if guard a null input', () => {
    const playbook = load('p', {
      steps: [{ id: 'block', action: 'block_ip', if: 'alert.destination_ip != null', with: { ip: '{{ alert.destination_ip }}' } }],
    });
    expect(planRun(playbook, context(), allowAll).steps[0]).toMatchObject({
      verdict: 'skip',
      reason: 'if alert.destination_ip != null is false',
    });
  });

  it('assumes dependencies succeed, their outputs known only at run time', () => {
    const playbook = load('p', {
      steps: [
        { id: 'evidence', action: 'collect_evidence' },
        {
          id: 'tell',
          action: 'notify',
          depends_on: ['evidence'],
          if: "steps.evidence.status == 'succeeded'",
          with: { role: 'team_lead', message: 'bundle {{ steps.evidence.output.bundle_id }} for {{ incident.id }}' },
        },
        {
          id: 'skipped',
          action: 'notify',
          depends_on: ['evidence'],
          if: 'steps.evidence.output.items > 0',
          with: { role: 'r', message: 'm' },
        },
        { id: 'last', action: 'wait', with: { duration: 1 }, depends_on: ['skipped'] },
      ],
    });
    expect(planRun(playbook, context(), allowAll).steps).toEqual([
      {
        id: 'evidence',
        action: 'collect_evidence',
        dependsOn: [],
        verdict: 'run',
        input: { window: 86400, related_by: ['ip', 'user', 'host'] },
      },
      {
        id: 'tell',
        action: 'notify',
        dependsOn: ['evidence'],
        verdict: 'run',
        input: { role: 'team_lead', message: 'bundle {{ steps.evidence.output.bundle_id }} for i-1' },
      },
      expect.objectContaining({
        id: 'skipped',
        verdict: 'skip',
        reason: 'if steps.evidence.output.items > 0 is not true: No such key: items',
      }),
      expect.objectContaining({ id: 'last', verdict: 'skip', reason: 'depends on skipped, which would be skipped' }),
    ]);
  });

  it('lets a step after an approval run (once approved)', () => {
    const playbook = load('p', {
      steps: [
        {
          id: 'disable',
          action: 'disable_user',
          with: { user: '{{ incident.user }}' },
          approval: { role: 'senior_analyst', timeout: '15m' },
        },
        { id: 'tell', action: 'notify', depends_on: ['disable'], with: { role: 'team_lead', message: 'disabled {{ incident.user }}' } },
      ],
    });
    expect(planRun(playbook, context(), allowAll).steps.map((s) => s.verdict)).toEqual(['needs_approval', 'run']);
  });
});
