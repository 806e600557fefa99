import { join } from 'node:path';
import type { z } from 'zod';
import { loadYamlFile } from '../common/config-files';
import { evaluateRules } from '../correlation/rules';
import { rulesFileSchema } from '../correlation/rules.schema';
import type { SecurityAlert } from '../domain';
import {
  type AssignmentDecision,
  type AssignmentInput,
  chooseAssignee,
  isOutOfOffice,
  isWorkingHours,
  localTime,
  onCallAt,
} from './assign';
import { type AssignmentConfig, assignmentFileSchema } from './assignment.schema';

type FileInput = z.input<typeof assignmentFileSchema>;
type AnalystInput = NonNullable<FileInput['analysts']>[number];

const analyst = (id: string, role: string, over: Partial<AnalystInput> = {}): AnalystInput => ({
  id,
  name: id,
  role,
  capacity: 5,
  ...over,
});

/** A small team: two juniors, three analysts, one senior, one lead, one executive. */
const TEAM: AnalystInput[] = [
  analyst('j1', 'junior_analyst'),
  analyst('j2', 'junior_analyst'),
  analyst('a1', 'analyst'),
  analyst('a2', 'analyst'),
  analyst('a3', 'analyst'),
  analyst('s1', 'senior_analyst'),
  analyst('l1', 'team_lead'),
  analyst('x1', 'executive', { capacity: 0 }),
];

const config = (over: FileInput = {}): AssignmentConfig => assignmentFileSchema.parse({ analysts: TEAM, ...over });

/** Replaces the named analysts' fields in TEAM. */
const team = (changes: Record<string, Partial<AnalystInput>>): AnalystInput[] => TEAM.map((a) => ({ ...a, ...changes[a.id] }));

const WEDNESDAY_10 = new Date('2025-06-04T10:00:00Z');
const WEDNESDAY_22 = new Date('2025-06-04T22:00:00Z');
const SATURDAY_10 = new Date('2025-06-07T10:00:00Z');

const input = (over: Partial<AssignmentInput> = {}): AssignmentInput => ({
  config: config(),
  role: 'analyst',
  alertTypes: ['port_scan'],
  openTasks: {},
  cursor: {},
  now: WEDNESDAY_10,
  ...over,
});

const pick = (over: Partial<AssignmentInput> = {}) => chooseAssignee(input(over)).analystId;

/** Assigns `times` tasks in a row, feeding each decision's cursor and workload into the next. */
function assignInTurn(times: number, over: Partial<AssignmentInput> = {}, closeEach = true): string[] {
  let cursor = over.cursor ?? {};
  const open: Record<string, number> = { ...over.openTasks };
  const chosen: string[] = [];
  for (let i = 0; i < times; i++) {
    const decision = chooseAssignee(input({ ...over, cursor, openTasks: open }));
    if (decision.analystId === null) throw new Error(decision.reason);
    chosen.push(decision.analystId);
    cursor = decision.cursor;
    if (!closeEach) open[decision.analystId] = (open[decision.analystId] ?? 0) + 1;
  }
  return chosen;
}

// A weekly rotation over the analysts and one for the lead, starting on a Monday evening.
const ROTATIONS = [
  { name: 'analyst-nights', analysts: ['a1', 'a2', 'a3'], start: '2025-06-02T18:00:00Z' },
  { name: 'lead-nights', analysts: ['l1'], start: '2025-06-02T18:00:00Z' },
];

describe(chooseAssignee.name, () => {
  describe('role', () => {
    it('assigns within the rule role', () => {
      expect(chooseAssignee(input({ role: 'senior_analyst' }))).toMatchObject({ analystId: 's1', role: 'senior_analyst', via: 'role' });
    });

    it('prefers the rule role over a lighter load elsewhere', () => {
      expect(pick({ role: 'analyst', openTasks: { a1: 4, a2: 4, a3: 4 } })).toMatch(/^a/);
    });

    it('answers null for a role that is not in the chain', () => {
      expect(chooseAssignee(input({ role: 'intern' }))).toEqual({
        analystId: null,
        role: null,
        reason: expect.stringMatching(/unknown role "intern"/),
      });
    });
  });

  describe('expertise', () => {
    const experts = config({ analysts: team({ a3: { expertise: ['sql_injection', 'port_scan'] } }) });

    it('puts analysts who know the alert type first', () => {
      expect(chooseAssignee(input({ config: experts }))).toMatchObject({
        analystId: 'a3',
        reason: expect.stringContaining('expertise in port_scan'),
      });
    });

    it('prefers expertise over a lighter load', () => {
      expect(pick({ config: experts, openTasks: { a3: 4 } })).toBe('a3');
    });

    it('counts expertise in any of the incident types', () => {
      expect(pick({ config: experts, alertTypes: ['failed_login', 'sql_injection'] })).toBe('a3');
    });

    it('falls back to the others when the expert is full', () => {
      expect(pick({ config: experts, openTasks: { a3: 5 } })).toBe('a1');
    });
  });

  describe("the team owning the incident's assets", () => {
    const owners = config({
      analysts: team({ a2: { team: 'payments' }, a3: { expertise: ['port_scan'] } }),
      teams: [
        { name: 'payments', members: [] },
        { name: 'lab', members: ['a1'] },
      ],
    });

    it('puts its members first, saying why', () => {
      expect(chooseAssignee(input({ config: owners, teams: ['payments'] }))).toMatchObject({
        analystId: 'a2',
        reason: expect.stringContaining('team payments owns the assets'),
      });
    });

    it('prefers the owning team over expertise and a lighter load', () => {
      expect(pick({ config: owners, teams: ['payments'], openTasks: { a2: 4 } })).toBe('a2');
    });

    it("counts a team's listed members", () => {
      expect(pick({ config: owners, teams: ['lab'] })).toBe('a1');
    });

    it('falls back to the others when its members are full', () => {
      expect(pick({ config: owners, teams: ['payments'], openTasks: { a2: 5 } })).toBe('a3');
    });

    it('stays within the role: a team member higher up the chain is not preferred', () => {
      expect(
        pick({
          config: config({ analysts: team({ s1: { team: 'payments' } }), teams: [{ name: 'payments' }] }),
          teams: ['payments'],
        }),
      ).not.toBe('s1');
    });
  });

  describe('workload', () => {
    it('picks the fewest open tasks', () => {
      expect(pick({ openTasks: { a1: 3, a2: 1, a3: 2 } })).toBe('a2');
    });

    it('counts a missing analyst as having no open tasks', () => {
      expect(pick({ openTasks: { a1: 1, a2: 1 } })).toBe('a3');
    });

    it('skips analysts at capacity', () => {
      const c = config({ analysts: team({ a1: { capacity: 2 } }) });
      expect(pick({ config: c, openTasks: { a1: 2, a2: 4, a3: 4 } })).toBe('a2');
    });

    it('spreads tasks that stay open over the role', () => {
      expect(assignInTurn(6, {}, false)).toEqual(['a1', 'a2', 'a3', 'a1', 'a2', 'a3']);
    });
  });

  describe('round robin', () => {
    it('starts with the first analyst of the role without a cursor', () => {
      expect(pick()).toBe('a1');
    });

    it('starts after the last analyst assigned in the role', () => {
      expect(pick({ cursor: { analyst: 'a1' } })).toBe('a2');
    });

    it('wraps around', () => {
      expect(pick({ cursor: { analyst: 'a3' } })).toBe('a1');
    });

    it('rotates among equals across consecutive assignments', () => {
      expect(assignInTurn(4)).toEqual(['a1', 'a2', 'a3', 'a1']);
    });

    it('only rotates among equals', () => {
      expect(pick({ cursor: { analyst: 'a1' }, openTasks: { a2: 1 } })).toBe('a3');
    });

    it('keeps the roster position of a cursor analyst who is now skipped', () => {
      expect(pick({ cursor: { analyst: 'a2' }, openTasks: { a2: 5 } })).toBe('a3');
    });

    it('ignores a cursor naming someone no longer in the role', () => {
      expect(pick({ cursor: { analyst: 'gone' } })).toBe('a1');
    });

    it('returns the advanced cursor and keeps the other roles', () => {
      const decision = chooseAssignee(input({ cursor: { analyst: 'a1', senior_analyst: 's1' } }));
      expect(decision).toMatchObject({
        analystId: 'a2',
        cursor: { analyst: 'a2', senior_analyst: 's1' },
        reason: expect.stringContaining('round robin among 3'),
      });
    });

    it('is deterministic for the same input', () => {
      const same = input({ cursor: { analyst: 'a2' }, openTasks: { a1: 1 } });
      expect(chooseAssignee(same)).toEqual(chooseAssignee(same));
    });
  });

  describe('availability', () => {
    it('skips an analyst marked unavailable', () => {
      expect(pick({ config: config({ analysts: team({ a1: { available: false } }) }) })).toBe('a2');
    });

    it('skips an analyst out of office', () => {
      const c = config({ analysts: team({ a1: { out_of_office: [{ from: '2025-06-02', to: '2025-06-06' }] } }) });
      expect(pick({ config: c })).toBe('a2');
    });

    it('skips excluded analysts, e.g. the current assignee on reassignment', () => {
      expect(pick({ exclude: ['a1', 'a2'] })).toBe('a3');
    });

    it('never assigns an analyst with capacity 0', () => {
      const decision = chooseAssignee(input({ role: 'executive' }));
      expect(decision).toEqual({ analystId: null, role: null, reason: expect.stringContaining('1 takes no tasks') });
    });
  });

  describe('out of working hours', () => {
    const withRotations = (over: FileInput = {}) => config({ on_call: { rotations: ROTATIONS }, ...over });

    it('prefers the on-call analyst over a lighter load', () => {
      // First week of the rotation: a1 is on call.
      const decision = chooseAssignee(input({ config: withRotations(), now: WEDNESDAY_22, openTasks: { a1: 3 } }));
      expect(decision).toMatchObject({ analystId: 'a1', via: 'on_call', reason: expect.stringContaining('on call in analyst-nights') });
    });

    it('follows the rotation from week to week', () => {
      const nextWeek = new Date(WEDNESDAY_22.getTime() + 7 * 86_400_000);
      expect(pick({ config: withRotations(), now: nextWeek })).toBe('a2');
    });

    it('treats the weekend as out of hours', () => {
      expect(chooseAssignee(input({ config: withRotations(), now: SATURDAY_10, cursor: { analyst: 'a1' } }))).toMatchObject({
        analystId: 'a1',
        via: 'on_call',
      });
    });

    it('ignores on call during working hours', () => {
      expect(chooseAssignee(input({ config: withRotations(), openTasks: { a1: 3 } }))).toMatchObject({ analystId: 'a2', via: 'role' });
    });

    it('takes an on-call analyst higher up the chain before anyone off duty', () => {
      expect(chooseAssignee(input({ config: withRotations(), role: 'junior_analyst', now: WEDNESDAY_22 }))).toMatchObject({
        analystId: 'a1',
        role: 'analyst',
        via: 'on_call',
      });
    });

    it('never hands a task to an on-call analyst below the rule role', () => {
      expect(chooseAssignee(input({ config: withRotations(), role: 'senior_analyst', now: WEDNESDAY_22 }))).toMatchObject({
        analystId: 'l1',
        role: 'team_lead',
        via: 'on_call',
      });
    });

    it('falls back to the normal order when the on-call analyst cannot take it', () => {
      const c = withRotations({ analysts: team({ a1: { available: false } }), on_call: { rotations: [ROTATIONS[0]] } });
      expect(chooseAssignee(input({ config: c, now: WEDNESDAY_22 }))).toMatchObject({
        analystId: 'a2',
        via: 'role',
        reason: expect.stringMatching(/^out of working hours and nobody on call is free/),
      });
    });

    it('uses the normal order when nobody is on call', () => {
      expect(chooseAssignee(input({ now: WEDNESDAY_22 }))).toMatchObject({ analystId: 'a1', via: 'role' });
    });

    it('gives the shift to an override', () => {
      const overrides = [{ rotation: 'analyst-nights', analyst: 'a3', from: '2025-06-04T18:00:00Z', to: '2025-06-05T08:00:00Z' }];
      expect(pick({ config: withRotations({ on_call: { rotations: ROTATIONS, overrides } }), now: WEDNESDAY_22 })).toBe('a3');
    });

    it('reads working hours in their time zone', () => {
      // 10:00 UTC is 19:00 in Tokyo, after hours there.
      const tokyo = withRotations({ working_hours: { timezone: 'Asia/Tokyo' } });
      expect(chooseAssignee(input({ config: tokyo, openTasks: { a1: 3 } }))).toMatchObject({ via: 'on_call', analystId: 'a1' });
    });
  });

  describe('fallback up the chain', () => {
    const busy = (ids: string[]) => Object.fromEntries(ids.map((id) => [id, 5]));

    it('goes from junior analysts to analysts', () => {
      expect(chooseAssignee(input({ role: 'junior_analyst', openTasks: busy(['j1', 'j2']) }))).toMatchObject({
        analystId: 'a1',
        role: 'analyst',
        via: 'fallback',
        reason: expect.stringContaining('nobody free in junior_analyst'),
      });
    });

    it('climbs junior → analyst → senior → lead', () => {
      const decision = chooseAssignee(input({ role: 'junior_analyst', openTasks: busy(['j1', 'j2', 'a1', 'a2', 'a3', 's1']) }));
      expect(decision).toMatchObject({
        analystId: 'l1',
        role: 'team_lead',
        via: 'fallback',
        reason: expect.stringContaining('nobody free in junior_analyst, analyst, senior_analyst'),
      });
    });

    it('advances the cursor of the role that took it', () => {
      const decision = chooseAssignee(input({ role: 'junior_analyst', openTasks: busy(['j1', 'j2']), cursor: { junior_analyst: 'j1' } }));
      expect(decision).toMatchObject({ cursor: { junior_analyst: 'j1', analyst: 'a1' } });
    });

    it('never falls down the chain', () => {
      expect(pick({ role: 'team_lead', openTasks: busy(['l1']) })).toBeNull();
    });

    it('falls back when the whole role is out', () => {
      const c = config({ analysts: team({ s1: { out_of_office: [{ from: '2025-06-04', to: '2025-06-04' }] } }) });
      expect(chooseAssignee(input({ config: c, role: 'senior_analyst' }))).toMatchObject({ analystId: 'l1', via: 'fallback' });
    });

    it('follows a custom chain', () => {
      const c = assignmentFileSchema.parse({ roles: ['tier1', 'tier2'], analysts: [analyst('t1', 'tier1'), analyst('t2', 'tier2')] });
      expect(chooseAssignee(input({ config: c, role: 'tier1', openTasks: { t1: 5 } }))).toMatchObject({ analystId: 't2', role: 'tier2' });
    });
  });

  describe('when nobody can take it', () => {
    it('answers null with what was skipped', () => {
      const c = config({ analysts: team({ s1: { available: false }, l1: { out_of_office: [{ from: '2025-06-01', to: '2025-06-30' }] } }) });
      expect(chooseAssignee(input({ config: c, role: 'senior_analyst' }))).toEqual({
        analystId: null,
        role: null,
        reason: 'nobody free from senior_analyst up to executive: 1 unavailable, 1 out of office, 1 takes no tasks',
      });
    });

    it('says so when no analyst holds the roles', () => {
      expect(chooseAssignee(input({ config: assignmentFileSchema.parse({}) }))).toEqual({
        analystId: null,
        role: null,
        reason: 'nobody free from analyst up to executive: no analysts hold these roles',
      });
    });
  });

  describe('overflow', () => {
    const busy = (ids: string[]) => Object.fromEntries(ids.map((id) => [id, 5]));
    const full = busy(['j1', 'j2', 'a1', 'a2', 'a3', 's1', 'l1']);

    it('sends a P1 above capacity when everyone is full', () => {
      expect(chooseAssignee(input({ priority: 'P1', openTasks: full }))).toMatchObject({
        analystId: 'a1',
        role: 'analyst',
        via: 'overflow',
        reason: expect.stringMatching(
          /^overflow: P1 never waits for capacity \(nobody free from analyst up to executive: .*5 of 5 open tasks/,
        ),
      });
    });

    it('lets other priorities wait', () => {
      expect(pick({ priority: 'P2', openTasks: full })).toBeNull();
    });

    it('follows the overflow priorities of the file', () => {
      const both = config({ overflow: { priorities: ['P1', 'P2'] } });
      const none = config({ overflow: { priorities: [] } });
      expect([
        pick({ config: both, priority: 'P2', openTasks: full }),
        pick({ config: both, priority: 'P3', openTasks: full }),
        pick({ config: none, priority: 'P1', openTasks: full }),
      ]).toEqual(['a1', null, null]);
    });

    it('is not needed while someone is free', () => {
      expect(chooseAssignee(input({ priority: 'P1', openTasks: busy(['a1', 'a2']) }))).toMatchObject({ analystId: 'a3', via: 'role' });
    });

    it('takes the on-call analyst first out of working hours', () => {
      const c = config({ on_call: { rotations: ROTATIONS } });
      // Second week: a2 is on call, and busier than a1.
      const nextWeek = new Date(WEDNESDAY_22.getTime() + 7 * 86_400_000);
      const decision = chooseAssignee(input({ config: c, now: nextWeek, priority: 'P1', openTasks: { ...full, a2: 7 } }));
      expect(decision).toMatchObject({ analystId: 'a2', via: 'overflow', reason: expect.stringContaining('on call in analyst-nights') });
    });

    it('takes the on-call analyst first in working hours too', () => {
      const c = config({ on_call: { rotations: ROTATIONS } });
      // First week, a Wednesday morning: a1 is on call, and busier than a2 and a3.
      const decision = chooseAssignee(input({ config: c, now: WEDNESDAY_10, priority: 'P1', openTasks: { ...full, a1: 8 } }));
      expect(decision).toMatchObject({
        analystId: 'a1',
        via: 'overflow',
        reason: expect.stringMatching(/^overflow: P1 never waits for capacity \(nobody free .*\); on call in analyst-nights; /),
      });
    });

    it('ranks by expertise ignoring capacity', () => {
      const c = config({ analysts: team({ a3: { expertise: ['malware'] } }) });
      expect(pick({ config: c, priority: 'P1', alertTypes: ['malware'], openTasks: { ...full, a3: 9 } })).toBe('a3');
    });

    it('ranks by the fewest open tasks ignoring capacity', () => {
      expect(pick({ priority: 'P1', openTasks: { ...full, a1: 7, a2: 6 } })).toBe('a3');
    });

    it('climbs the chain when nobody in the rule role is present', () => {
      const c = config({
        analysts: team({
          a1: { available: false },
          a2: { available: false },
          a3: { out_of_office: [{ from: '2025-06-04', to: '2025-06-04' }] },
        }),
      });
      expect(chooseAssignee(input({ config: c, priority: 'P1', openTasks: full }))).toMatchObject({
        analystId: 's1',
        role: 'senior_analyst',
        via: 'overflow',
      });
    });

    it('never chooses an unavailable, out-of-office, excluded or capacity-0 analyst', () => {
      const c = config({
        analysts: team({
          a1: { available: false },
          a2: { out_of_office: [{ from: '2025-06-01', to: '2025-06-30' }] },
          l1: { capacity: 0 },
        }),
      });
      const decision = chooseAssignee(input({ config: c, role: 'analyst', priority: 'P1', openTasks: full, exclude: ['a3', 's1'] }));
      expect(decision).toEqual({
        analystId: null,
        role: null,
        reason: 'nobody free from analyst up to executive: 1 unavailable, 1 out of office, 2 excluded, 2 takes no tasks',
      });
    });

    it('advances the round-robin cursor of the role that took it', () => {
      expect(chooseAssignee(input({ priority: 'P1', openTasks: full, cursor: { analyst: 'a1' } }))).toMatchObject({
        analystId: 'a2',
        cursor: { analyst: 'a2' },
      });
    });
  });

  describe('default policy table (config/rules.yaml and config/assignment.yaml)', () => {
    const configDir = join(__dirname, '..', '..', 'config');
    const rules = loadYamlFile(join(configDir, 'rules.yaml'), rulesFileSchema);
    const shipped = loadYamlFile(join(configDir, 'assignment.yaml'), assignmentFileSchema);
    const roleOf = (id: string | null) => shipped.analysts.find((a) => a.id === id)?.role;

    async function assign(alert: Partial<SecurityAlert>, recent = 0): Promise<AssignmentDecision & { ruleRole: string }> {
      const full: SecurityAlert = { source: 'ids', type: 'port_scan', severity: 'medium', title: 't', sourceIp: '203.0.113.9', ...alert };
      const decision = await evaluateRules(rules, full, async () => recent);
      const chosen = chooseAssignee({
        config: shipped,
        role: decision.assignRole,
        alertTypes: [full.type],
        openTasks: {},
        cursor: {},
        now: WEDNESDAY_10,
      });
      return { ...chosen, ruleRole: decision.assignRole };
    }

    it('gives a critical alert to the team lead', async () => {
      const decision = await assign({ type: 'malware', severity: 'critical' });
      expect([decision.ruleRole, decision.role, roleOf(decision.analystId)]).toEqual(['team_lead', 'team_lead', 'team_lead']);
    });

    it('gives SQL injection to a senior analyst who knows it', async () => {
      const decision = await assign({ type: 'sql_injection', severity: 'high' });
      expect(decision).toMatchObject({
        ruleRole: 'senior_analyst',
        role: 'senior_analyst',
        via: 'role',
        reason: expect.stringContaining('expertise in sql_injection'),
      });
    });

    it('gives privilege escalation to a senior analyst', async () => {
      expect(await assign({ type: 'privilege_escalation', severity: 'high', host: 'db-1' })).toMatchObject({
        role: 'senior_analyst',
        analystId: 'sara.lindqvist',
      });
    });

    it('gives failed logins to an analyst who knows them, below and above the burst threshold', async () => {
      for (const recent of [0, 20]) {
        const decision = await assign({ type: 'failed_login', severity: 'medium' }, recent);
        expect(decision).toMatchObject({
          ruleRole: 'analyst',
          role: 'analyst',
          reason: expect.stringContaining('expertise in failed_login'),
        });
      }
    });

    it('gives other medium alerts to an analyst', async () => {
      expect(await assign({ type: 'dns_tunneling', severity: 'medium' })).toMatchObject({ role: 'analyst', analystId: 'lucia.garcia' });
    });

    it('gives low severity to a junior analyst', async () => {
      const decision = await assign({ type: 'port_scan', severity: 'low' });
      expect(decision).toMatchObject({ ruleRole: 'junior_analyst', role: 'junior_analyst', analystId: 'kim.nguyen' });
    });

    it('covers a critical alert at night with the on-call lead', () => {
      expect(
        chooseAssignee({ config: shipped, role: 'team_lead', alertTypes: ['malware'], openTasks: {}, cursor: {}, now: WEDNESDAY_22 }),
      ).toMatchObject({
        analystId: 'marta.reyes',
        via: 'on_call',
      });
    });
  });
});

describe(isWorkingHours.name, () => {
  const hours = config().working_hours;

  it.each([
    ['2025-06-04T08:00:00Z', true],
    ['2025-06-04T17:59:00Z', true],
    ['2025-06-04T18:00:00Z', false],
    ['2025-06-04T07:59:00Z', false],
    ['2025-06-07T12:00:00Z', false],
  ])('at %s is %s', (at, expected) => {
    expect(isWorkingHours(new Date(at), hours)).toBe(expected);
  });

  it('uses the local day across midnight in its time zone', () => {
    // Friday 23:30 UTC is Saturday 08:30 in Tokyo.
    expect(isWorkingHours(new Date('2025-06-06T23:30:00Z'), { ...hours, timezone: 'Asia/Tokyo' })).toBe(false);
    // Sunday 23:30 UTC is Monday 08:30 in Tokyo.
    expect(isWorkingHours(new Date('2025-06-08T23:30:00Z'), { ...hours, timezone: 'Asia/Tokyo' })).toBe(true);
  });

  it('follows daylight saving time', () => {
    const paris = { ...hours, timezone: 'Europe/Paris' };
    // 06:30 UTC is 08:30 in Paris in summer and 07:30 in winter.
    expect(isWorkingHours(new Date('2025-06-04T06:30:00Z'), paris)).toBe(true);
    expect(isWorkingHours(new Date('2025-01-08T06:30:00Z'), paris)).toBe(false);
  });
});

describe(isOutOfOffice.name, () => {
  const withAbsence = (from: string, to: string, timezone?: string) =>
    assignmentFileSchema.parse({ analysts: [analyst('a', 'analyst', { out_of_office: [{ from, to }], timezone })] }).analysts[0];

  describe('with whole days', () => {
    const away = withAbsence('2025-06-02', '2025-06-04');

    it.each([
      ['2025-06-01T23:59:59Z', false],
      ['2025-06-02T00:00:00Z', true],
      ['2025-06-04T23:59:59Z', true],
      ['2025-06-05T00:00:00Z', false],
    ])('at %s is %s', (at, expected) => {
      expect(isOutOfOffice(away, new Date(at), 'UTC')).toBe(expected);
    });

    it('reads the days in the analyst time zone', () => {
      // 2025-06-01 22:30 UTC is already 2025-06-02 in Berlin.
      expect(isOutOfOffice(withAbsence('2025-06-02', '2025-06-04', 'Europe/Berlin'), new Date('2025-06-01T22:30:00Z'), 'UTC')).toBe(true);
    });

    it('falls back to the default time zone', () => {
      expect(isOutOfOffice(away, new Date('2025-06-01T22:30:00Z'), 'Europe/Berlin')).toBe(true);
    });
  });

  describe('with date-times', () => {
    const away = withAbsence('2025-06-02T12:00:00Z', '2025-06-02T14:00:00Z');

    it.each([
      ['2025-06-02T11:59:59Z', false],
      ['2025-06-02T12:00:00Z', true],
      ['2025-06-02T13:59:59Z', true],
      ['2025-06-02T14:00:00Z', false],
    ])('at %s is %s', (at, expected) => {
      expect(isOutOfOffice(away, new Date(at), 'UTC')).toBe(expected);
    });
  });
});

describe(onCallAt.name, () => {
  const onCall = (over: Partial<FileInput['on_call']> = {}) => config({ on_call: { rotations: ROTATIONS, ...over } }).on_call;

  it('is nobody before the rotation starts', () => {
    expect(onCallAt(onCall(), new Date('2025-06-02T17:59:59Z'))).toEqual([]);
  });

  it('names one analyst per rotation', () => {
    expect(onCallAt(onCall(), new Date('2025-06-02T18:00:00Z'))).toEqual([
      { rotation: 'analyst-nights', analystId: 'a1' },
      { rotation: 'lead-nights', analystId: 'l1' },
    ]);
  });

  it('hands over at each shift boundary and wraps', () => {
    const week = (n: number) => new Date(Date.parse('2025-06-02T18:00:00Z') + n * 7 * 86_400_000);
    expect([0, 1, 2, 3].map((n) => onCallAt(onCall(), week(n))[0].analystId)).toEqual(['a1', 'a2', 'a3', 'a1']);
  });

  it('supports short shifts', () => {
    const quick = config({
      on_call: { rotations: [{ name: 'r', analysts: ['a1', 'a2'], start: '2025-06-02T00:00:00Z', shift: '30s' }] },
    }).on_call;
    expect(onCallAt(quick, new Date('2025-06-02T00:00:45Z'))).toEqual([{ rotation: 'r', analystId: 'a2' }]);
  });

  it('lets the last active override win within [from, to)', () => {
    const overrides = [
      { rotation: 'analyst-nights', analyst: 'a2', from: '2025-06-03T00:00:00Z', to: '2025-06-04T00:00:00Z' },
      { rotation: 'analyst-nights', analyst: 'a3', from: '2025-06-03T12:00:00Z', to: '2025-06-03T13:00:00Z' },
    ];
    const at = (iso: string) => onCallAt(onCall({ overrides }), new Date(iso))[0].analystId;
    expect([at('2025-06-03T11:00:00Z'), at('2025-06-03T12:30:00Z'), at('2025-06-03T13:00:00Z'), at('2025-06-04T00:00:00Z')]).toEqual([
      'a2',
      'a3',
      'a2',
      'a1',
    ]);
  });
});

describe(localTime.name, () => {
  it('gives the local day, date and minutes', () => {
    expect(localTime(new Date('2025-06-04T22:30:00Z'), 'Europe/Paris')).toEqual({ day: 'thu', date: '2025-06-05', minutes: 30 });
  });
});
