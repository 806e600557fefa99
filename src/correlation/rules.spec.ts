import { join } from 'node:path';
import type { z } from 'zod';
import { loadWardenConfig } from '../config/warden-config';
import type { SecurityAlert } from '../domain';
import type { Enrichment } from '../enrichment';
import {
  evaluateRules,
  matchesStatically,
  NO_RULE,
  rulesResolvingWhenCleared,
  type ThresholdQuery,
  thresholdQuery,
  toDecision,
} from './rules';
import { matchSchema, type RuleMatch, type RulesFile, rulesFileSchema } from './rules.schema';

const alert = (over: Partial<SecurityAlert> = {}): SecurityAlert => ({
  source: 'ids',
  type: 'port_scan',
  severity: 'medium',
  title: 't',
  ...over,
});

type RuleInput = z.input<typeof rulesFileSchema>['rules'] extends (infer R)[] | undefined ? R : never;

const rule = (over: Partial<RuleInput> = {}): RuleInput => ({ name: 'r', action: 'correlate', ...over });
const rulesFile = (rules: RuleInput[], defaults: z.input<typeof rulesFileSchema>['defaults'] = undefined): RulesFile =>
  rulesFileSchema.parse(defaults ? { defaults, rules } : { rules });
const match = (m: z.input<typeof matchSchema>): RuleMatch => matchSchema.parse(m);

/** A stored-alert counter that returns `count` and records the queries it was asked. */
const counter = (count: number) => {
  const queries: ThresholdQuery[] = [];
  const countRecent = async (q: ThresholdQuery) => {
    queries.push(q);
    return count;
  };
  return { countRecent, queries };
};

describe('matchesStatically', () => {
  it('matches anything with an empty match', () => {
    expect(matchesStatically(match({}), alert())).toBe(true);
  });

  describe('type', () => {
    it('matches the same type', () => {
      expect(matchesStatically(match({ type: 'port_scan' }), alert())).toBe(true);
    });

    it('does not match another type', () => {
      expect(matchesStatically(match({ type: 'sql_injection' }), alert())).toBe(false);
    });

    it('matches any type of a list', () => {
      expect(matchesStatically(match({ type: ['sql_injection', 'port_scan'] }), alert())).toBe(true);
    });
  });

  describe('severity', () => {
    it('matches a listed severity', () => {
      expect(matchesStatically(match({ severity: ['high', 'critical'] }), alert({ severity: 'critical' }))).toBe(true);
    });

    it('does not match an unlisted severity', () => {
      expect(matchesStatically(match({ severity: ['high', 'critical'] }), alert({ severity: 'medium' }))).toBe(false);
    });

    it('accepts a single severity', () => {
      expect(matchesStatically(match({ severity: 'low' }), alert({ severity: 'low' }))).toBe(true);
      expect(matchesStatically(match({ severity: 'low' }), alert({ severity: 'high' }))).toBe(false);
    });
  });

  describe('min_severity', () => {
    it.each([
      ['low', false],
      ['medium', false],
      ['high', true],
      ['critical', true],
    ] as const)('with min_severity high, %s matches: %s', (severity, expected) => {
      expect(matchesStatically(match({ min_severity: 'high' }), alert({ severity }))).toBe(expected);
    });
  });

  describe('source', () => {
    it('matches a listed source', () => {
      expect(matchesStatically(match({ source: ['edr', 'ids'] }), alert({ source: 'ids' }))).toBe(true);
    });

    it('does not match another source', () => {
      expect(matchesStatically(match({ source: 'edr' }), alert({ source: 'ids' }))).toBe(false);
    });
  });

  describe('tags', () => {
    it('matches when the alert has any of the tags', () => {
      expect(matchesStatically(match({ tags: ['prod', 'pci'] }), alert({ tags: ['dev', 'pci'] }))).toBe(true);
    });

    it('does not match when the alert has none of them', () => {
      expect(matchesStatically(match({ tags: ['prod', 'pci'] }), alert({ tags: ['dev'] }))).toBe(false);
    });

    it('does not match an alert without tags', () => {
      expect(matchesStatically(match({ tags: 'prod' }), alert())).toBe(false);
    });
  });

  describe('source_ip_cidr', () => {
    it('matches an IPv4 address inside the range', () => {
      expect(matchesStatically(match({ source_ip_cidr: '10.0.0.0/8' }), alert({ sourceIp: '10.20.30.40' }))).toBe(true);
    });

    it('does not match an IPv4 address outside the range', () => {
      expect(matchesStatically(match({ source_ip_cidr: '10.0.0.0/8' }), alert({ sourceIp: '11.0.0.1' }))).toBe(false);
    });

    it('respects the prefix length', () => {
      const m = match({ source_ip_cidr: '192.168.1.0/24' });
      expect(matchesStatically(m, alert({ sourceIp: '192.168.1.255' }))).toBe(true);
      expect(matchesStatically(m, alert({ sourceIp: '192.168.2.0' }))).toBe(false);
    });

    it('matches when any of several ranges holds the address', () => {
      expect(matchesStatically(match({ source_ip_cidr: ['10.0.0.0/8', '192.168.0.0/16'] }), alert({ sourceIp: '192.168.5.5' }))).toBe(true);
    });

    it('matches an IPv6 address inside the range', () => {
      expect(matchesStatically(match({ source_ip_cidr: '2001:db8::/32' }), alert({ sourceIp: '2001:db8:1::5' }))).toBe(true);
    });

    it('does not match an IPv6 address outside the range', () => {
      expect(matchesStatically(match({ source_ip_cidr: '2001:db8::/32' }), alert({ sourceIp: '2001:db9::1' }))).toBe(false);
    });

    it('matches with mixed IPv4 and IPv6 ranges', () => {
      const m = match({ source_ip_cidr: ['10.0.0.0/8', 'fd00::/8'] });
      expect(matchesStatically(m, alert({ sourceIp: 'fd12::1' }))).toBe(true);
      expect(matchesStatically(m, alert({ sourceIp: '10.1.1.1' }))).toBe(true);
      expect(matchesStatically(m, alert({ sourceIp: '8.8.8.8' }))).toBe(false);
    });

    it('does not match an alert without a source IP', () => {
      expect(matchesStatically(match({ source_ip_cidr: '0.0.0.0/0' }), alert())).toBe(false);
    });

    it('looks only at the source IP', () => {
      expect(matchesStatically(match({ source_ip_cidr: '10.0.0.0/8' }), alert({ sourceIp: '8.8.8.8', destinationIp: '10.0.0.1' }))).toBe(
        false,
      );
    });
  });

  describe('destination_ip_cidr', () => {
    it('matches an IPv4 destination inside the range', () => {
      expect(matchesStatically(match({ destination_ip_cidr: '172.16.0.0/12' }), alert({ destinationIp: '172.31.0.1' }))).toBe(true);
    });

    it('does not match an IPv4 destination outside the range', () => {
      expect(matchesStatically(match({ destination_ip_cidr: '172.16.0.0/12' }), alert({ destinationIp: '172.32.0.1' }))).toBe(false);
    });

    it('matches an IPv6 destination inside the range', () => {
      expect(matchesStatically(match({ destination_ip_cidr: 'fe80::/10' }), alert({ destinationIp: 'fe80::1' }))).toBe(true);
    });

    it('does not match an IPv6 destination outside the range', () => {
      expect(matchesStatically(match({ destination_ip_cidr: 'fe80::/10' }), alert({ destinationIp: '2001:db8::1' }))).toBe(false);
    });

    it('does not match an alert without a destination IP', () => {
      expect(matchesStatically(match({ destination_ip_cidr: '0.0.0.0/0' }), alert({ sourceIp: '10.0.0.1' }))).toBe(false);
    });
  });

  describe('several conditions', () => {
    const m = match({ type: 'sql_injection', min_severity: 'high', source_ip_cidr: '10.0.0.0/8' });

    it('match when all hold', () => {
      expect(matchesStatically(m, alert({ type: 'sql_injection', severity: 'high', sourceIp: '10.0.0.1' }))).toBe(true);
    });

    it.each([
      ['type', { type: 'port_scan' }],
      ['severity', { severity: 'medium' as const }],
      ['sourceIp', { sourceIp: '8.8.8.8' }],
    ])('do not match when %s does not', (_, over) => {
      expect(matchesStatically(m, alert({ type: 'sql_injection', severity: 'high', sourceIp: '10.0.0.1', ...over }))).toBe(false);
    });
  });

  it('ignores the threshold', () => {
    expect(matchesStatically(match({ threshold: { count: 5, within: '1m' } }), alert())).toBe(true);
  });
});

describe('thresholdQuery', () => {
  it('is null without a threshold', () => {
    expect(thresholdQuery(match({ type: 'failed_login' }), alert({ sourceIp: '1.2.3.4' }))).toBeNull();
  });

  it('counts the alert type by the `by` field within the window', () => {
    const m = match({ threshold: { count: 10, within: '5m', by: 'sourceIp' } });
    expect(thresholdQuery(m, alert({ type: 'failed_login', sourceIp: '1.2.3.4' }))).toEqual({
      type: 'failed_login',
      by: { sourceIp: '1.2.3.4' },
      withinSeconds: 300,
    });
  });

  it('groups by sourceIp by default', () => {
    const m = match({ threshold: { count: 10, within: 60 } });
    expect(thresholdQuery(m, alert({ sourceIp: '1.2.3.4', user: 'alice' }))?.by).toEqual({ sourceIp: '1.2.3.4' });
  });

  it('groups by several fields', () => {
    const m = match({ threshold: { count: 3, within: '1h', by: ['user', 'host'] } });
    expect(thresholdQuery(m, alert({ user: 'alice', host: 'web-1', sourceIp: '1.2.3.4' }))?.by).toEqual({ user: 'alice', host: 'web-1' });
  });

  it('is null when the alert lacks the `by` field', () => {
    expect(thresholdQuery(match({ threshold: { count: 10, within: '5m', by: 'sourceIp' } }), alert())).toBeNull();
  });

  it('is null when the alert lacks one of several `by` fields', () => {
    expect(thresholdQuery(match({ threshold: { count: 3, within: '1h', by: ['user', 'host'] } }), alert({ user: 'alice' }))).toBeNull();
  });
});

describe('toDecision', () => {
  const file = rulesFile([], {
    dedup_window: '10m',
    correlation_window: '2h',
    dedup_fields: ['type'],
    correlate_by: ['host'],
    assign_role: 'triage',
  });

  it('takes the defaults without a rule', () => {
    expect(toDecision(null, file, alert({ severity: 'high' }))).toEqual({
      rule: NO_RULE,
      action: 'correlate',
      priority: 'P2',
      correlateBy: ['host'],
      correlationWindowSeconds: 7200,
      dedupFields: ['type'],
      dedupWindowSeconds: 600,
      playbooks: [],
      assignRole: 'triage',
      storm: { threshold: 50, withinSeconds: 60, quietSeconds: 300, kindBy: ['type', 'source'], keyBy: [] },
    });
  });

  it('lets the rule values override the defaults', () => {
    const [r] = rulesFile([
      rule({
        name: 'custom',
        action: 'immediate',
        priority: 'P1',
        correlate_by: ['user'],
        correlation_window: '30m',
        dedup_fields: ['title', 'user'],
        dedup_window: '30s',
        playbooks: ['contain-source'],
        assign_role: 'team_lead',
      }),
    ]).rules;
    expect(toDecision(r, file, alert({ severity: 'low' }))).toEqual({
      rule: 'custom',
      action: 'immediate',
      priority: 'P1',
      correlateBy: ['user'],
      correlationWindowSeconds: 1800,
      dedupFields: ['title', 'user'],
      dedupWindowSeconds: 30,
      playbooks: ['contain-source'],
      assignRole: 'team_lead',
      storm: { threshold: 50, withinSeconds: 60, quietSeconds: 300, kindBy: ['type', 'source'], keyBy: [] },
    });
  });

  it('falls back to the defaults for what the rule leaves out', () => {
    const [r] = rulesFile([rule({ name: 'partial', action: 'batch' })]).rules;
    expect(toDecision(r, file, alert({ severity: 'low' }))).toEqual({
      rule: 'partial',
      action: 'batch',
      priority: 'P4',
      correlateBy: ['host'],
      correlationWindowSeconds: 7200,
      dedupFields: ['type'],
      dedupWindowSeconds: 600,
      playbooks: [],
      assignRole: 'triage',
      storm: null,
    });
  });
});

describe('stormPolicy', () => {
  const decide = (r: RuleInput, defaults?: z.input<typeof rulesFileSchema>['defaults']) => {
    const file = rulesFile([r], defaults);
    return toDecision(file.rules[0], file, alert()).storm;
  };

  it('takes the rule over the file defaults over the built-in ones', () => {
    expect(decide(rule({ storm: { threshold: 5, key_by: ['destinationIp'] } }), { storm: { quiet: '10m' } })).toEqual({
      threshold: 5,
      withinSeconds: 60,
      quietSeconds: 600,
      kindBy: ['type', 'source'],
      keyBy: ['destinationIp'],
    });
  });

  it('is off for a rule that says storm: false', () => {
    expect(decide(rule({ storm: false }))).toBeNull();
  });

  it('is off by default when the file defaults say false, unless the rule turns it on', () => {
    expect(decide(rule(), { storm: false })).toBeNull();
    expect(decide(rule({ storm: { threshold: 7 } }), { storm: false })).toEqual({
      threshold: 7,
      withinSeconds: 60,
      quietSeconds: 300,
      kindBy: ['type', 'source'],
      keyBy: [],
    });
  });

  it('never folds suppressed or batched alerts, which open no incident workflow', () => {
    expect(decide(rule({ action: 'batch', storm: { threshold: 2 } }))).toBeNull();
    expect(decide(rule({ action: 'suppress' }))).toBeNull();
  });

  it('refuses a threshold below one, naming the field', () => {
    expect(() => rulesFile([rule({ storm: { threshold: 0 } })])).toThrow(/threshold/);
  });
});

describe('evaluateRules', () => {
  describe('static rules', () => {
    it('takes the first matching rule', async () => {
      const file = rulesFile([
        rule({ name: 'sql', match: { type: 'sql_injection' }, action: 'immediate' }),
        rule({ name: 'scan', match: { type: 'port_scan' }, action: 'batch' }),
        rule({ name: 'scan-too', match: { type: 'port_scan' }, action: 'suppress' }),
      ]);
      const decision = await evaluateRules(file, alert({ type: 'port_scan' }), counter(0).countRecent);
      expect(decision).toMatchObject({ rule: 'scan', action: 'batch' });
    });

    it('does not count for rules without a threshold', async () => {
      const c = counter(0);
      await evaluateRules(rulesFile([rule({ match: { type: 'port_scan' } })]), alert(), c.countRecent);
      expect(c.queries).toEqual([]);
    });
  });

  describe('threshold rules', () => {
    const file = rulesFile([
      rule({ name: 'burst', match: { type: 'failed_login', threshold: { count: 10, within: '5m', by: 'sourceIp' } }, priority: 'P2' }),
      rule({ name: 'single', match: { type: 'failed_login' }, priority: 'P3' }),
    ]);
    const failedLogin = alert({ type: 'failed_login', sourceIp: '1.2.3.4' });

    it('asks the counter for the threshold query', async () => {
      const c = counter(0);
      await evaluateRules(file, failedLogin, c.countRecent);
      expect(c.queries).toEqual([{ type: 'failed_login', by: { sourceIp: '1.2.3.4' }, withinSeconds: 300 }]);
    });

    it('matches when the stored count plus this alert reaches the count', async () => {
      expect(await evaluateRules(file, failedLogin, counter(9).countRecent)).toMatchObject({ rule: 'burst', priority: 'P2' });
    });

    it('matches above the count', async () => {
      expect(await evaluateRules(file, failedLogin, counter(50).countRecent)).toMatchObject({ rule: 'burst' });
    });

    it('falls through to the next rule below the count', async () => {
      expect(await evaluateRules(file, failedLogin, counter(8).countRecent)).toMatchObject({ rule: 'single', priority: 'P3' });
    });

    it('falls through without counting when the alert lacks the `by` field', async () => {
      const c = counter(100);
      expect(await evaluateRules(file, alert({ type: 'failed_login' }), c.countRecent)).toMatchObject({ rule: 'single' });
      expect(c.queries).toEqual([]);
    });

    it('does not count when the static conditions fail', async () => {
      const c = counter(100);
      await evaluateRules(file, alert({ type: 'port_scan', sourceIp: '1.2.3.4' }), c.countRecent);
      expect(c.queries).toEqual([]);
    });
  });

  describe('without a matching rule', () => {
    it.each([
      ['critical', 'P1'],
      ['high', 'P2'],
      ['medium', 'P3'],
      ['low', 'P4'],
    ] as const)('decides by default, with a %s alert at %s', async (severity, priority) => {
      const file = rulesFile([rule({ match: { type: 'sql_injection' } })]);
      expect(await evaluateRules(file, alert({ severity }), counter(0).countRecent)).toEqual({
        rule: '(default)',
        action: 'correlate',
        priority,
        correlateBy: ['sourceIp'],
        correlationWindowSeconds: 3600,
        dedupFields: ['source', 'type', 'sourceIp', 'destinationIp', 'user', 'host', 'title'],
        dedupWindowSeconds: 300,
        playbooks: [],
        assignRole: 'analyst',
        storm: { threshold: 50, withinSeconds: 60, quietSeconds: 300, kindBy: ['type', 'source'], keyBy: [] },
      });
    });

    it("uses the file's default windows", async () => {
      const file = rulesFile([], { dedup_window: '1m', correlation_window: '1d' });
      expect(await evaluateRules(file, alert(), counter(0).countRecent)).toMatchObject({
        rule: NO_RULE,
        dedupWindowSeconds: 60,
        correlationWindowSeconds: 86_400,
      });
    });
  });
});

describe('rulesFileSchema', () => {
  const issuesOf = (input: unknown) => {
    const result = rulesFileSchema.safeParse(input);
    if (result.success) throw new Error('expected the rules file to be invalid');
    return result.error.issues;
  };

  it('fills in the defaults for an empty file', () => {
    expect(rulesFileSchema.parse({})).toEqual({
      defaults: {
        dedup_window: 300,
        storm: { threshold: 50, within: 60, quiet: 300, kind_by: ['type', 'source'], key_by: [] },
        correlation_window: 3600,
        dedup_fields: ['source', 'type', 'sourceIp', 'destinationIp', 'user', 'host', 'title'],
        correlate_by: ['sourceIp'],
        assign_role: 'analyst',
      },
      rules: [],
    });
  });

  it('normalizes single values to lists and durations to seconds', () => {
    const file = rulesFile([rule({ match: { type: 'x', threshold: { count: 2, within: '2m', by: 'user' } }, dedup_window: '90s' })]);
    expect(file.rules[0].match).toEqual({ type: ['x'], threshold: { count: 2, within: 120, by: ['user'] } });
    expect(file.rules[0].dedup_window).toBe(90);
  });

  it('rejects a duplicate rule name at the second rule', () => {
    const issues = issuesOf({
      rules: [
        { name: 'a', action: 'batch' },
        { name: 'a', action: 'correlate' },
      ],
    });
    expect(issues).toEqual([expect.objectContaining({ path: ['rules', 1, 'name'], message: 'duplicate rule name "a"' })]);
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '2001:db8::/129', 'not-an-ip/8', '10.0.0.0/8/1', '10.0.0.0/x'])('rejects the CIDR %j', (range) => {
    const issues = issuesOf({ rules: [{ name: 'a', action: 'batch', match: { source_ip_cidr: range } }] });
    expect(issues).toEqual([expect.objectContaining({ message: 'must be a CIDR range such as 10.0.0.0/8' })]);
    expect(issues[0].path.slice(0, 4)).toEqual(['rules', 0, 'match', 'source_ip_cidr']);
  });

  it.each(['10.0.0.0/8', '0.0.0.0/0', '2001:db8::/32', '::/0'])('accepts the CIDR %j', (range) => {
    expect(rulesFileSchema.safeParse({ rules: [{ name: 'a', action: 'batch', match: { destination_ip_cidr: range } }] }).success).toBe(
      true,
    );
  });

  it('rejects an unknown action', () => {
    const issues = issuesOf({ rules: [{ name: 'a', action: 'escalate' }] });
    expect(issues).toEqual([expect.objectContaining({ path: ['rules', 0, 'action'] })]);
  });

  it('rejects an unknown key in a rule', () => {
    const issues = issuesOf({ rules: [{ name: 'a', action: 'batch', severity: 'high' }] });
    expect(issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys', keys: ['severity'], path: ['rules', 0] })]);
  });

  it('rejects an unknown key in a match', () => {
    const issues = issuesOf({ rules: [{ name: 'a', action: 'batch', match: { hostname: 'x' } }] });
    expect(issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys', keys: ['hostname'], path: ['rules', 0, 'match'] })]);
  });

  it('rejects an unknown top-level key', () => {
    expect(issuesOf({ rule: [] })).toEqual([expect.objectContaining({ code: 'unrecognized_keys', keys: ['rule'] })]);
  });

  it('rejects a threshold count below 2', () => {
    const issues = issuesOf({ rules: [{ name: 'a', action: 'batch', match: { threshold: { count: 1, within: '1m' } } }] });
    expect(issues[0].path).toEqual(['rules', 0, 'match', 'threshold', 'count']);
  });

  it('rejects a bad duration', () => {
    const issues = issuesOf({ defaults: { dedup_window: 'soon' } });
    expect(issues).toEqual([expect.objectContaining({ path: ['defaults', 'dedup_window'] })]);
  });

  it.each(['batch', 'suppress'])('rejects resolve_when_cleared on a %s rule, whose incidents have no task of their own', (action) => {
    const issues = issuesOf({ rules: [{ name: 'a', action, resolve_when_cleared: true }] });
    expect(issues).toEqual([
      {
        code: 'custom',
        path: ['rules', 0, 'resolve_when_cleared'],
        message: `needs action immediate or correlate: a ${action} rule's incidents have no task of their own`,
      },
    ]);
  });

  it('rejects a resolve_when_cleared that is not a boolean', () => {
    const issues = issuesOf({ rules: [{ name: 'a', action: 'correlate', resolve_when_cleared: 'yes' }] });
    expect(issues).toEqual([expect.objectContaining({ path: ['rules', 0, 'resolve_when_cleared'] })]);
  });
});

describe('rulesResolvingWhenCleared', () => {
  it('names the rules that set resolve_when_cleared: true, and no other', () => {
    const file = rulesFile([
      rule({ name: 'clears', resolve_when_cleared: true }),
      rule({ name: 'off', resolve_when_cleared: false }),
      rule({ name: 'unset' }),
      rule({ name: 'clears-too', action: 'immediate', resolve_when_cleared: true }),
    ]);
    expect(rulesResolvingWhenCleared(file)).toEqual(['clears', 'clears-too']);
  });
});

describe('the shipped config/rules.yaml', () => {
  const file = loadWardenConfig(join(__dirname, '..', '..', 'config')).rules;
  const decide = (over: Partial<SecurityAlert>, stored = 0) =>
    evaluateRules(file, alert({ sourceIp: '203.0.113.7', host: 'web-1', ...over }), counter(stored).countRecent);

  it.each(['port_scan', 'sql_injection', 'failed_login', 'privilege_escalation', 'malware'])(
    'sends a critical %s straight to the team lead',
    async (type) => {
      expect(await decide({ type, severity: 'critical' })).toMatchObject({
        rule: 'critical',
        action: 'immediate',
        priority: 'P1',
        assignRole: 'team_lead',
      });
    },
  );

  it('gives a high sql_injection to a senior analyst', async () => {
    expect(await decide({ type: 'sql_injection', severity: 'high' })).toMatchObject({
      rule: 'sql-injection',
      action: 'correlate',
      priority: 'P2',
      assignRole: 'senior_analyst',
    });
  });

  it('correlates failed logins by source IP for an analyst at P3', async () => {
    expect(await decide({ type: 'failed_login', severity: 'medium' })).toMatchObject({
      rule: 'failed-logins',
      action: 'correlate',
      correlateBy: ['sourceIp'],
      assignRole: 'analyst',
      priority: 'P3',
    });
  });

  it('raises the tenth failed login from one IP within 5 minutes to a P2 burst', async () => {
    const c = counter(9);
    const decision = await evaluateRules(file, alert({ type: 'failed_login', sourceIp: '203.0.113.7' }), c.countRecent);
    expect(decision).toMatchObject({ rule: 'failed-login-burst', priority: 'P2', correlateBy: ['sourceIp'] });
    expect(c.queries).toEqual([{ type: 'failed_login', by: { sourceIp: '203.0.113.7' }, withinSeconds: 300 }]);
  });

  it('keeps the ninth failed login at P3', async () => {
    expect(await decide({ type: 'failed_login' }, 8)).toMatchObject({ rule: 'failed-logins', priority: 'P3' });
  });

  it('gives privilege escalation to a senior analyst, correlated by host', async () => {
    expect(await decide({ type: 'privilege_escalation', severity: 'medium' })).toMatchObject({
      rule: 'privilege-escalation',
      priority: 'P2',
      correlateBy: ['host'],
      assignRole: 'senior_analyst',
    });
  });

  it('gives other high alerts to a senior analyst', async () => {
    expect(await decide({ type: 'port_scan', severity: 'high' })).toMatchObject({
      rule: 'other-high',
      action: 'correlate',
      priority: 'P2',
      assignRole: 'senior_analyst',
    });
  });

  it('gives medium alerts to an analyst', async () => {
    expect(await decide({ type: 'port_scan', severity: 'medium' })).toMatchObject({
      rule: 'medium',
      action: 'correlate',
      priority: 'P3',
      assignRole: 'analyst',
    });
  });

  it('batches low alerts for a junior analyst', async () => {
    expect(await decide({ type: 'port_scan', severity: 'low' })).toMatchObject({
      rule: 'low',
      action: 'batch',
      priority: 'P4',
      assignRole: 'junior_analyst',
    });
  });

  it('uses the file defaults for windows', async () => {
    expect(await decide({ type: 'port_scan', severity: 'low' })).toMatchObject({ dedupWindowSeconds: 300, correlationWindowSeconds: 3600 });
  });

  it('plays the critical playbooks', async () => {
    expect((await decide({ severity: 'critical' })).playbooks).toEqual([
      'brute-force',
      'sql-injection',
      'privilege-escalation',
      'malware',
      'data-exfiltration',
    ]);
  });
});

describe('matching on enrichment', () => {
  const enrichment = (over: Partial<Enrichment> = {}): Enrichment => ({
    source: { ip: '175.16.199.1', internal: false, country: { iso: 'CN', name: 'China' }, asn: { number: 4134 } },
    techniques: [{ id: 'T1059.001', name: 'PowerShell', tactics: ['execution'], origin: 'payload' }],
    tactics: [{ id: 'TA0002', shortname: 'execution', name: 'Execution', origin: 'technique' }],
    intel: [{ list: 'feodo', kind: 'ip', indicator: '175.16.199.1', matched: '175.16.199.1', field: 'sourceIp', confidence: 80 }],
    assets: [{ kind: 'host', name: 'db-1', field: 'host', matched: 'db-1', criticality: 'critical', team: 'dba', tags: ['pci'] }],
    criticality: 'critical',
    warnings: [],
    ...over,
  });
  const on = (m: z.input<typeof matchSchema>, e?: Enrichment) => matchesStatically(match(m), alert(), e);

  it.each([
    [{ country: 'cn' }, true],
    [{ country: ['RU', 'KP'] }, false],
    [{ asn: 4134 }, true],
    [{ asn: [1, 2] }, false],
    [{ internal: false }, true],
    [{ internal: true }, false],
    [{ intel: 'feodo' }, true],
    [{ intel: ['urlhaus'] }, false],
    [{ technique: 'T1059' }, true],
    [{ technique: 'T1059.001' }, true],
    [{ technique: 'T1059.003' }, false],
    [{ tactic: 'TA0002' }, true],
    [{ tactic: 'execution' }, true],
    [{ tactic: 'persistence' }, false],
    [{ asset_criticality: ['high', 'critical'] }, true],
    [{ asset_criticality: 'low' }, false],
    [{ asset_tags: 'pci' }, true],
    [{ asset_tags: 'dev' }, false],
  ] as [z.input<typeof matchSchema>, boolean][])('%j on a CN/AS4134 PowerShell alert on a critical pci host: %s', (m, expected) => {
    expect(on(m, enrichment())).toBe(expected);
  });

  it('an enrichment condition never matches an alert without enrichment', () => {
    expect(on({ internal: false })).toBe(false);
  });

  it('internal: true matches a private source address', () => {
    expect(on({ internal: true }, enrichment({ source: { ip: '10.0.0.1', internal: true, range: 'private' } }))).toBe(true);
  });

  it('asset_criticality does not match an alert touching no known asset', () => {
    expect(on({ asset_criticality: 'low' }, enrichment({ assets: [], criticality: undefined }))).toBe(false);
  });

  it('refuses a technique that is not an ATT&CK id, naming the field', () => {
    const r = matchSchema.safeParse({ technique: 'powershell' });
    expect(r.success ? [] : r.error.issues.map((i) => i.path.join('.'))).toEqual(['technique']);
  });

  it('refuses a country that is not a two-letter code', () => {
    expect(matchSchema.safeParse({ country: 'China' }).success).toBe(false);
  });

  it('gives a rule without priority the urgency matrix priority from the enrichment', async () => {
    const file = rulesFileSchema.parse({
      urgency: {
        matrix: {
          critical: { critical: 'P1', high: 'P1', medium: 'P2', low: 'P3' },
          high: { critical: 'P1', high: 'P2', medium: 'P2', low: 'P3' },
          medium: { critical: 'P2', high: 'P2', medium: 'P3', low: 'P4' },
          low: { critical: 'P3', high: 'P3', medium: 'P4', low: 'P4' },
        },
      },
      rules: [{ name: 'pci', match: { asset_tags: 'pci' }, action: 'correlate' }],
    });
    const lowAsset = enrichment({ intel: [], criticality: 'low' });
    expect(await evaluateRules(file, alert({ severity: 'critical' }), counter(0).countRecent, lowAsset)).toMatchObject({
      rule: 'pci',
      priority: 'P3',
    });
  });
});
