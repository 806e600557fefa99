import { join } from 'node:path';
import type { z } from 'zod';
import { loadYamlFile } from '../common/config-files';
import type { Priority } from '../domain';
import {
  escalationPlan,
  escalationSchedule,
  pendingSteps,
  reassignedAckDeadline,
  reprioritize,
  slaBreaches,
  type SlaDeadlines,
  slaDeadlines,
  type TaskClock,
} from './sla';
import { DEFAULT_DEADLINES, type SlaConfig, slaFileSchema } from './sla.schema';

type FileInput = z.input<typeof slaFileSchema>;
type TierInput = NonNullable<NonNullable<FileInput['escalation']>['tiers']>[number];

const sla = (over: FileInput = {}): SlaConfig => slaFileSchema.parse(over);
const DEFAULTS = sla();

/** Deadlines and tiers in seconds, as the workflow tests run them. */
const FAST = sla({
  priorities: {
    P1: { ack: '2s', resolve: '10s' },
    P2: { ack: '4s', resolve: '20s' },
    P3: { ack: '8s', resolve: '40s' },
    P4: { ack: '16s', resolve: '80s' },
  },
  escalation: {
    tiers: [
      { tier: 'assignee', repeat: 1, every: '1s' },
      { tier: 'senior_analyst', after: '1s' },
      { tier: 'team_lead', after: '2s' },
      { tier: 'executive', after: '3s' },
    ],
  },
});

const tiersFile = (tiers: TierInput[], critical = true): FileInput => ({ escalation: { critical_notifies_executives: critical, tiers } });
const withTiers = (tiers: TierInput[], critical = true) => sla(tiersFile(tiers, critical));

const OPENED = new Date('2025-06-04T10:00:00Z');
const after = (seconds: number, from = OPENED) => new Date(from.getTime() + seconds * 1000);

/** Issues as `path: message`. */
const problems = (file: FileInput) => {
  const result = slaFileSchema.safeParse(file);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('slaFileSchema', () => {
  it('reads an empty file as the classic targets and four tiers', () => {
    expect(DEFAULTS.priorities).toEqual(DEFAULT_DEADLINES);
    expect(DEFAULTS.escalation.critical_notifies_executives).toBe(true);
    expect(DEFAULTS.escalation.tiers.map((t) => t.tier)).toEqual(['assignee', 'senior_analyst', 'team_lead', 'executive']);
  });

  it('ships config/sla.yaml equal to those defaults', () => {
    expect(loadYamlFile(join(__dirname, '..', '..', 'config', 'sla.yaml'), slaFileSchema)).toEqual(DEFAULTS);
  });

  it('keeps the default for a priority left out', () => {
    const file = sla({ priorities: { P1: { ack: '30s', resolve: '5m' } } });
    expect(file.priorities).toEqual({ ...DEFAULT_DEADLINES, P1: { ack: 30, resolve: 300 } });
  });

  it('reads durations in seconds', () => {
    expect(FAST.priorities.P1).toEqual({ ack: 2, resolve: 10 });
  });

  describe('rejects', () => {
    it.each([
      [
        'a resolve shorter than the ack',
        { priorities: { P4: { ack: '8d', resolve: '7d' } } },
        'priorities.P4.resolve: must not be shorter than ack',
      ],
      [
        'a lower priority with a tighter ack',
        { priorities: { P3: { ack: '30m', resolve: '3d' } } },
        "priorities.P3.ack: must not be shorter than P2's",
      ],
      [
        'a lower priority with a tighter resolve',
        { priorities: { P4: { ack: '1d', resolve: '2d' } } },
        "priorities.P4.resolve: must not be shorter than P3's",
      ],
      [
        'a bad duration',
        { priorities: { P1: { ack: 'soon', resolve: '4h' } } },
        'priorities.P1.ack: "soon" is not a duration (examples: 30s, 5m, 1h, 2d)',
      ],
      ['an unknown priority', { priorities: { P5: { ack: '1h', resolve: '1d' } } } as FileInput, 'priorities: Unrecognized key: "P5"'],
    ] as [string, FileInput, string][])('%s', (_what, file, problem) => {
      expect(problems(file)).toEqual([problem]);
    });

    it('a duplicate tier', () => {
      expect(problems(tiersFile([{ tier: 'team_lead' }, { tier: 'team_lead' }, { tier: 'executive' }]))).toEqual([
        'escalation.tiers.1.tier: duplicate tier "team_lead"',
      ]);
    });

    it('a role on the assignee tier', () => {
      expect(problems(tiersFile([{ tier: 'assignee', role: 'analyst' }], false))).toEqual([
        'escalation.tiers.0.role: the assignee tier notifies the assignee and takes no role',
      ]);
    });

    it('a repeat without an interval', () => {
      expect(problems(tiersFile([{ tier: 'assignee', repeat: 2 }], false))).toEqual([
        'escalation.tiers.0.every: is required when repeat is above 0',
      ]);
    });

    it('a tier earlier than the one before it', () => {
      expect(
        problems(
          tiersFile([
            { tier: 'team_lead', after: '30m' },
            { tier: 'executive', after: '10m' },
          ]),
        ),
      ).toEqual(['escalation.tiers.1.after: must not be earlier than tier "team_lead"']);
    });

    it('critical_notifies_executives without an executive tier', () => {
      expect(problems(tiersFile([{ tier: 'team_lead' }]))).toEqual([
        'escalation.critical_notifies_executives: needs a tier named "executive"',
      ]);
    });

    it('a negative repeat', () => {
      expect(problems(tiersFile([{ tier: 'executive', repeat: -1 }]))[0]).toMatch(/^escalation.tiers.0.repeat/);
    });
  });

  it('accepts no executive tier when P1 does not notify executives', () => {
    expect(problems(tiersFile([{ tier: 'team_lead' }], false))).toEqual([]);
  });
});

describe(slaDeadlines.name, () => {
  it.each([
    ['P1', 15 * 60, 4 * 3600],
    ['P2', 3600, 86_400],
    ['P3', 4 * 3600, 3 * 86_400],
    ['P4', 86_400, 7 * 86_400],
  ] as [Priority, number, number][])('counts %s from the opening', (priority, ack, resolve) => {
    expect(slaDeadlines(priority, OPENED, DEFAULTS)).toEqual({ ackBy: after(ack), resolveBy: after(resolve) });
  });

  it('works in seconds', () => {
    expect(slaDeadlines('P1', OPENED, FAST)).toEqual({
      ackBy: new Date('2025-06-04T10:00:02Z'),
      resolveBy: new Date('2025-06-04T10:00:10Z'),
    });
  });

  it('keeps fractions of a second', () => {
    const quick = sla({ priorities: { P1: { ack: '250ms', resolve: '1s' } } });
    expect(slaDeadlines('P1', OPENED, quick).ackBy.getTime() - OPENED.getTime()).toBe(250);
  });
});

describe(escalationPlan.name, () => {
  const summary = (priority: Priority, config: SlaConfig) => escalationPlan(priority, config).map((s) => `${s.at} ${s.tier} ${s.kind}`);

  it('orders every notice of a P1 by time, executives at once', () => {
    expect(summary('P1', DEFAULTS)).toEqual([
      '0 executive critical',
      '900 assignee breach',
      '1500 assignee repeat',
      '1800 senior_analyst breach',
      '2100 assignee repeat',
      '2700 senior_analyst repeat',
      '2700 team_lead breach',
      '4500 team_lead repeat',
      '4500 executive breach',
    ]);
  });

  it('gives roles, with null for the assignee', () => {
    const roles = new Map(escalationPlan('P1', DEFAULTS).map((s) => [s.tier, s.role]));
    expect(Object.fromEntries(roles)).toEqual({
      executive: 'executive',
      assignee: null,
      senior_analyst: 'senior_analyst',
      team_lead: 'team_lead',
    });
  });

  it('notifies the role a tier names', () => {
    expect(escalationPlan('P2', withTiers([{ tier: 'leads', role: 'team_lead' }], false))).toEqual([
      { tier: 'leads', role: 'team_lead', kind: 'breach', at: 3600 },
    ]);
  });

  it('does not notify executives at once below P1', () => {
    expect(summary('P2', DEFAULTS)[0]).toBe('3600 assignee breach');
    expect(summary('P2', DEFAULTS)).toContain('7200 executive breach');
  });

  it('leaves out tiers limited to other priorities', () => {
    expect(summary('P3', DEFAULTS).some((s) => s.includes('executive'))).toBe(false);
  });

  it('does not notify executives at once when not configured', () => {
    const quiet = sla({ escalation: { critical_notifies_executives: false } });
    expect(summary('P1', quiet)[0]).toBe('900 assignee breach');
  });

  describe('repeat cap', () => {
    const count = (repeat: number) => escalationPlan('P4', withTiers([{ tier: 'assignee', repeat, every: '1h' }], false)).length;

    it('notifies once without repeats', () => {
      expect(count(0)).toBe(1);
    });

    it('notifies at most repeat + 1 times', () => {
      expect(count(3)).toBe(4);
    });

    it('spaces repeats `every` apart', () => {
      const plan = escalationPlan('P4', withTiers([{ tier: 'assignee', repeat: 2, every: '1h' }], false));
      expect(plan.map((s) => s.at)).toEqual([86_400, 90_000, 93_600]);
    });
  });

  it('runs in seconds for tests: an unacknowledged P1 reaches an executive within seconds', () => {
    expect(summary('P1', FAST)).toEqual([
      '0 executive critical',
      '2 assignee breach',
      '3 assignee repeat',
      '3 senior_analyst breach',
      '4 team_lead breach',
      '5 executive breach',
    ]);
  });
});

describe(escalationSchedule.name, () => {
  it('places the plan after the opening', () => {
    const deadlines = slaDeadlines('P1', OPENED, FAST);
    expect(escalationSchedule('P1', deadlines, OPENED, FAST).map((s) => s.notifyAt)).toEqual([0, 2, 3, 3, 4, 5].map((s) => after(s)));
  });

  it('runs the new plan after a rise, keeping the heads-up at the opening', () => {
    // Opened as P2 (ack at 4s), then raised to P1: the ack deadline is now at 2s.
    const deadlines = reprioritize(slaDeadlines('P2', OPENED, FAST), 'P2', 'P1', OPENED, FAST);
    const schedule = escalationSchedule('P1', deadlines, OPENED, FAST);
    expect(schedule.map((s) => [s.kind, s.tier, s.notifyAt])).toEqual([
      ['critical', 'executive', after(0)],
      ['breach', 'assignee', after(2)],
      ['repeat', 'assignee', after(3)],
      ['breach', 'senior_analyst', after(3)],
      ['breach', 'team_lead', after(4)],
      ['breach', 'executive', after(5)],
    ]);
  });

  it('shifts every notice with a deadline kept from a higher priority', () => {
    // Was P1 (ack at 2s), dropped to P3 and kept its deadlines; its plan now runs from 2s.
    const deadlines = slaDeadlines('P1', OPENED, FAST);
    expect(escalationSchedule('P3', deadlines, OPENED, FAST)[0]).toMatchObject({ tier: 'assignee', notifyAt: after(2) });
  });
});

describe(reprioritize.name, () => {
  const at = (priority: Priority) => slaDeadlines(priority, OPENED, DEFAULTS);

  it('brings deadlines forward when the priority rises', () => {
    expect(reprioritize(at('P3'), 'P3', 'P1', OPENED, DEFAULTS)).toEqual(at('P1'));
  });

  it('keeps deadlines when the priority falls', () => {
    expect(reprioritize(at('P1'), 'P1', 'P4', OPENED, DEFAULTS)).toEqual(at('P1'));
  });

  it('keeps deadlines when the priority stays', () => {
    expect(reprioritize(at('P2'), 'P2', 'P2', OPENED, DEFAULTS)).toEqual(at('P2'));
  });

  it('keeps an earlier deadline on a rise', () => {
    // P1, then P3 (kept P1's deadlines), then P2: P1's earlier deadlines stay.
    const kept = reprioritize(at('P1'), 'P1', 'P3', OPENED, DEFAULTS);
    expect(reprioritize(kept, 'P3', 'P2', OPENED, DEFAULTS)).toEqual(at('P1'));
  });

  it('takes the earlier of each deadline on its own', () => {
    const mixed: SlaDeadlines = { ackBy: after(60), resolveBy: after(30 * 86_400) };
    expect(reprioritize(mixed, 'P4', 'P2', OPENED, DEFAULTS)).toEqual({ ackBy: after(60), resolveBy: after(86_400) });
  });

  it('counts from the opening, so a late rise can land in the past', () => {
    const raisedAt = after(20 * 60);
    const moved = reprioritize(at('P4'), 'P4', 'P1', OPENED, DEFAULTS);
    expect(moved.ackBy.getTime()).toBeLessThan(raisedAt.getTime());
  });

  it('works in seconds', () => {
    expect(reprioritize(slaDeadlines('P4', OPENED, FAST), 'P4', 'P2', OPENED, FAST)).toEqual({ ackBy: after(4), resolveBy: after(20) });
  });

  it('does not change the deadlines it was given', () => {
    const before = at('P3');
    const copy = { ...before };
    reprioritize(before, 'P3', 'P1', OPENED, DEFAULTS);
    expect(before).toEqual(copy);
  });
});

describe(slaBreaches.name, () => {
  const deadlines = slaDeadlines('P1', OPENED, FAST); // ack at 2s, resolve at 10s

  it('is empty before the deadlines', () => {
    expect(slaBreaches(deadlines, {}, after(2))).toEqual([]);
  });

  it('counts an unacknowledged task past its ack deadline', () => {
    expect(slaBreaches(deadlines, {}, after(3))).toEqual(['ack']);
  });

  it('does not count an acknowledgement in time', () => {
    expect(slaBreaches(deadlines, { acknowledgedAt: after(1) }, after(5))).toEqual([]);
  });

  it('counts a late acknowledgement', () => {
    expect(slaBreaches(deadlines, { acknowledgedAt: after(3) }, after(5))).toEqual(['ack']);
  });

  it('treats a resolution in time as the acknowledgement', () => {
    expect(slaBreaches(deadlines, { resolvedAt: after(1) }, after(60))).toEqual([]);
  });

  it('counts both past the resolve deadline', () => {
    expect(slaBreaches(deadlines, {}, after(11))).toEqual(['ack', 'resolve']);
    expect(slaBreaches(deadlines, { acknowledgedAt: after(1), resolvedAt: after(12) }, after(60))).toEqual(['resolve']);
  });
});

describe('pendingSteps', () => {
  const clock = (over: Partial<TaskClock> = {}): TaskClock => ({
    priority: 'P1',
    openedAt: OPENED,
    deadlines: slaDeadlines('P1', OPENED, FAST),
    acknowledged: false,
    resolved: false,
    ...over,
  });
  const at = (seconds: number) => new Date(OPENED.getTime() + seconds * 1000);

  it('lists every notice of an open P1 with stable keys, soonest first, the resolve deadline last', () => {
    expect(pendingSteps(clock(), FAST, new Set()).map((s) => [s.key, s.role, s.notifyAt])).toEqual([
      ['critical:executive:0', 'executive', at(0)],
      ['breach:assignee:0', null, at(2)],
      ['repeat:assignee:1', null, at(3)],
      ['breach:senior_analyst:0', 'senior_analyst', at(3)],
      ['breach:team_lead:0', 'team_lead', at(4)],
      ['breach:executive:0', 'executive', at(5)],
      ['resolve_breach', null, at(10)],
    ]);
  });

  it('leaves out what was sent', () => {
    const sent = new Set(['critical:executive:0', 'breach:assignee:0']);
    expect(pendingSteps(clock(), FAST, sent)[0].key).toBe('repeat:assignee:1');
  });

  it('keeps only the resolve deadline once acknowledged, and nothing once resolved', () => {
    expect(pendingSteps(clock({ acknowledged: true }), FAST, new Set()).map((s) => s.key)).toEqual(['resolve_breach']);
    expect(pendingSteps(clock({ acknowledged: true, resolved: true }), FAST, new Set())).toEqual([]);
  });

  it('keeps the keys of steps already sent when a priority rise moves the deadlines', () => {
    const p3 = clock({ priority: 'P3', deadlines: slaDeadlines('P3', OPENED, FAST) });
    const sentAtP3 = new Set(
      pendingSteps(p3, FAST, new Set())
        .slice(0, 1)
        .map((s) => s.key),
    );
    expect([...sentAtP3]).toEqual(['breach:assignee:0']);
    const p1 = clock({ priority: 'P1', deadlines: reprioritize(p3.deadlines, 'P3', 'P1', OPENED, FAST) });
    const keys = pendingSteps(p1, FAST, sentAtP3).map((s) => s.key);
    expect(keys).not.toContain('breach:assignee:0');
    expect(keys).toContain('critical:executive:0');
  });
});

describe(reassignedAckDeadline.name, () => {
  const SIX_HOURS = after(6 * 3600);
  const p3 = slaDeadlines('P3', OPENED, DEFAULTS);

  it("gives the new assignee the priority's ack window from the reassignment", () => {
    expect(reassignedAckDeadline('P3', p3, SIX_HOURS, DEFAULTS)).toEqual(after(4 * 3600, SIX_HOURS));
  });

  it('takes the window sla.yaml sets for reassignments', () => {
    expect(reassignedAckDeadline('P3', p3, SIX_HOURS, sla({ reassignment: { ack: '30m' } }))).toEqual(after(30 * 60, SIX_HOURS));
  });

  it('never goes past the resolve deadline', () => {
    const late = after(3 * 86_400 - 60);
    expect(reassignedAckDeadline('P3', p3, late, DEFAULTS)).toEqual(p3.resolveBy);
  });

  it('leaves no escalation step of the old deadline due at the reassignment', () => {
    const ackBy = reassignedAckDeadline('P3', p3, SIX_HOURS, DEFAULTS);
    const clock: TaskClock = { priority: 'P3', openedAt: OPENED, deadlines: { ...p3, ackBy }, acknowledged: false, resolved: false };
    const due = pendingSteps(clock, DEFAULTS, new Set()).filter((s) => s.notifyAt.getTime() <= SIX_HOURS.getTime());
    expect(due).toEqual([]);
  });
});
