import { join } from 'node:path';
import type { z } from 'zod';
import { loadYamlFile } from '../common/config-files';
import { assignmentFileSchema, DEFAULT_ROLES } from './assignment.schema';

type FileInput = z.input<typeof assignmentFileSchema>;
type AnalystInput = NonNullable<FileInput['analysts']>[number];

const analyst = (id: string, over: Partial<AnalystInput> = {}): AnalystInput => ({ id, name: id, role: 'analyst', capacity: 5, ...over });

/** The paths of every issue, formatted like `analysts.2.role`. */
const problems = (file: FileInput) => {
  const result = assignmentFileSchema.safeParse(file);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};

describe('assignmentFileSchema', () => {
  describe('defaults', () => {
    it('reads an empty file as the default chain, no analysts, weekday office hours in UTC and P1 overflow', () => {
      expect(assignmentFileSchema.parse({})).toEqual({
        roles: DEFAULT_ROLES,
        teams: [],
        analysts: [],
        on_call: { rotations: [], overrides: [] },
        working_hours: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00', timezone: 'UTC' },
        overflow: { priorities: ['P1'] },
        queue: { sweep_every: 30 },
      });
    });

    it('reads overflow priorities and the queue sweep interval', () => {
      const file = assignmentFileSchema.parse({ overflow: { priorities: [] }, queue: { sweep_every: '2s' } });
      expect([file.overflow, file.queue]).toEqual([{ priorities: [] }, { sweep_every: 2 }]);
    });

    it('rejects an unknown overflow priority and a bad sweep interval, naming the path', () => {
      const file = { overflow: { priorities: ['P0'] }, queue: { sweep_every: 'soon' } } as unknown as FileInput;
      expect(problems(file).map((p) => p.path)).toEqual(['overflow.priorities.0', 'queue.sweep_every']);
    });

    it('fills analyst defaults', () => {
      expect(assignmentFileSchema.parse({ analysts: [analyst('a')] }).analysts[0]).toEqual({
        id: 'a',
        name: 'a',
        role: 'analyst',
        capacity: 5,
        expertise: [],
        available: true,
        out_of_office: [],
      });
    });

    it('gives a rotation a weekly shift', () => {
      const file = assignmentFileSchema.parse({
        analysts: [analyst('a')],
        on_call: { rotations: [{ name: 'r', analysts: ['a'], start: '2025-01-06T18:00:00Z' }] },
      });
      expect(file.on_call.rotations[0].shift).toBe(7 * 86_400);
    });
  });

  it('accepts the shipped config/assignment.yaml with the team the design describes', () => {
    const file = loadYamlFile(join(__dirname, '..', '..', 'config', 'assignment.yaml'), assignmentFileSchema);
    const count = (role: string) => file.analysts.filter((a) => a.role === role).length;
    expect(file.roles).toEqual(DEFAULT_ROLES);
    expect([count('junior_analyst'), count('analyst'), count('senior_analyst'), count('team_lead'), count('executive')]).toEqual([
      2, 3, 2, 1, 1,
    ]);
    expect(file.analysts.filter((a) => a.role === 'executive').every((a) => a.capacity === 0)).toBe(true);
  });

  describe('references', () => {
    it('rejects an analyst with an unknown role, naming the path', () => {
      const file = { analysts: [analyst('a'), analyst('b'), analyst('c', { role: 'intern' })] };
      expect(problems(file)).toEqual([
        { path: 'analysts.2.role', message: expect.stringMatching(/unknown role "intern".*junior_analyst/) },
      ]);
    });

    it('checks roles against a custom chain', () => {
      expect(problems({ roles: ['tier1', 'tier2'], analysts: [analyst('a', { role: 'tier1' }), analyst('b')] })).toEqual([
        { path: 'analysts.1.role', message: expect.stringContaining('"analyst"') },
      ]);
    });

    it('rejects an analyst in an unknown team', () => {
      expect(problems({ analysts: [analyst('a', { team: 'red' })] })).toEqual([{ path: 'analysts.0.team', message: 'unknown team "red"' }]);
    });

    it('rejects an unknown team member', () => {
      expect(problems({ teams: [{ name: 'blue', members: ['a', 'ghost'] }], analysts: [analyst('a')] })).toEqual([
        { path: 'teams.0.members.1', message: 'unknown analyst "ghost"' },
      ]);
    });

    it('rejects a member whose own team says otherwise', () => {
      const file = { teams: [{ name: 'blue' }, { name: 'red', members: ['a'] }], analysts: [analyst('a', { team: 'blue' })] };
      expect(problems(file)).toEqual([{ path: 'teams.1.members.0', message: 'analyst "a" belongs to team "blue"' }]);
    });

    it('rejects an unknown analyst in a rotation', () => {
      const file = {
        analysts: [analyst('a')],
        on_call: { rotations: [{ name: 'r', analysts: ['a', 'ghost'], start: '2025-01-06T18:00:00Z' }] },
      };
      expect(problems(file)).toEqual([{ path: 'on_call.rotations.0.analysts.1', message: 'unknown analyst "ghost"' }]);
    });

    it('rejects an override of an unknown rotation or analyst', () => {
      const file = {
        analysts: [analyst('a')],
        on_call: { overrides: [{ rotation: 'r', analyst: 'ghost', from: '2025-06-01T00:00:00Z', to: '2025-06-02T00:00:00Z' }] },
      };
      expect(problems(file).map((p) => p.path)).toEqual(['on_call.overrides.0.rotation', 'on_call.overrides.0.analyst']);
    });
  });

  describe('duplicates', () => {
    it.each([
      ['roles', { roles: ['a', 'b', 'a'] }, 'roles.2'],
      ['teams', { teams: [{ name: 't' }, { name: 't' }] }, 'teams.1.name'],
      ['analyst ids', { analysts: [analyst('a'), analyst('a')] }, 'analysts.1.id'],
      [
        'rotations',
        {
          analysts: [analyst('a')],
          on_call: { rotations: [1, 2].map(() => ({ name: 'r', analysts: ['a'], start: '2025-01-06T00:00:00Z' })) },
        },
        'on_call.rotations.1.name',
      ],
    ] as [string, FileInput, string][])('rejects duplicate %s', (_what, file, path) => {
      expect(problems(file)).toEqual([{ path, message: expect.stringMatching(/^duplicate/) }]);
    });
  });

  describe('times', () => {
    it('rejects an unknown time zone', () => {
      expect(problems({ working_hours: { timezone: 'Mars/Olympus' } })).toEqual([
        { path: 'working_hours.timezone', message: expect.stringMatching(/IANA/) },
      ]);
    });

    it('rejects a malformed time of day', () => {
      expect(problems({ working_hours: { start: '8am' } })[0].path).toBe('working_hours.start');
    });

    it('rejects working hours that end before they start', () => {
      expect(problems({ working_hours: { start: '18:00', end: '08:00' } })).toEqual([
        { path: 'working_hours.end', message: expect.stringMatching(/after start/) },
      ]);
    });

    it('accepts 24:00 as the end of the day', () => {
      expect(problems({ working_hours: { start: '00:00', end: '24:00' } })).toEqual([]);
    });

    it('rejects an out-of-office range that ends before it starts', () => {
      const file = { analysts: [analyst('a', { out_of_office: [{ from: '2025-06-10', to: '2025-06-09' }] })] };
      expect(problems(file)).toEqual([{ path: 'analysts.0.out_of_office.0.to', message: 'must not be before from' }]);
    });

    it('accepts a one-day absence and date-time bounds', () => {
      const off = [
        { from: '2025-06-10', to: '2025-06-10' },
        { from: '2025-06-11T12:00:00+02:00', to: '2025-06-11T18:00:00+02:00' },
      ];
      expect(problems({ analysts: [analyst('a', { out_of_office: off })] })).toEqual([]);
    });

    it('rejects a date-time without an offset', () => {
      const file = { analysts: [analyst('a')], on_call: { rotations: [{ name: 'r', analysts: ['a'], start: '2025-01-06T18:00:00' }] } };
      expect(problems(file)[0].path).toBe('on_call.rotations.0.start');
    });

    it('rejects an override that ends before it starts', () => {
      const file = {
        analysts: [analyst('a')],
        on_call: {
          rotations: [{ name: 'r', analysts: ['a'], start: '2025-01-06T18:00:00Z' }],
          overrides: [{ rotation: 'r', analyst: 'a', from: '2025-06-02T00:00:00Z', to: '2025-06-01T00:00:00Z' }],
        },
      };
      expect(problems(file)).toEqual([{ path: 'on_call.overrides.0.to', message: 'must be after from' }]);
    });
  });

  describe('sign-in ids', () => {
    it('rejects one email for two analysts whatever its case, and one OIDC subject for two', () => {
      const file = {
        analysts: [
          analyst('a', { email: 'Ana@Example.org', oidc_sub: 'sub-1' }),
          analyst('b', { email: 'ana@example.org', oidc_sub: 'sub-2' }),
          analyst('c', { oidc_sub: 'sub-1' }),
        ],
      };
      expect(problems(file)).toEqual([
        { path: 'analysts.2.oidc_sub', message: 'duplicate OIDC subject "sub-1"' },
        { path: 'analysts.1.email', message: 'duplicate email "ana@example.org"' },
      ]);
    });

    it('tells OIDC subjects apart by case, as providers issue them', () => {
      expect(problems({ analysts: [analyst('a', { oidc_sub: 'Sub' }), analyst('b', { oidc_sub: 'sub' })] })).toEqual([]);
    });

    it('rejects an email that is not one', () => {
      expect(problems({ analysts: [analyst('a', { email: 'ana at example' })] })).toEqual([
        { path: 'analysts.0.email', message: 'must be an email address' },
      ]);
    });
  });

  it('rejects unknown keys', () => {
    expect(problems({ analysts: [{ ...analyst('a'), skills: ['x'] } as AnalystInput] })[0].path).toBe('analysts.0');
  });

  it('rejects a negative capacity', () => {
    expect(problems({ analysts: [analyst('a', { capacity: -1 })] })[0].path).toBe('analysts.0.capacity');
  });
});
