import { z } from 'zod';
import { durationSchema } from '../common/duration';
import { PRIORITIES, type Priority } from '../domain';

/** The escalation chain, lowest first: assignment falls back up it when a role has nobody free. */
export const DEFAULT_ROLES = ['junior_analyst', 'analyst', 'senior_analyst', 'team_lead', 'executive'];
/** The role told when nobody is free to take a task, and when a resolve deadline passes. */
export const LEAD_ROLE = 'team_lead';
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const name = z.string().min(1);

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const timeZone = z.string().refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Paris');

/** `HH:MM`, 24-hour; `24:00` ends a day. */
const clock = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a time of day HH:MM such as 08:00');

export const clockMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
export const isDateOnly = (v: string): boolean => DATE_ONLY.test(v);

/** An instant with its offset, so it never depends on the server's zone. */
const instant = z.iso.datetime({ offset: true, error: 'must be a date-time with an offset, such as 2025-06-02T18:00:00Z' });

/** A whole local day (`2025-12-24`) or an exact instant (`2025-12-24T13:00:00+01:00`). */
const dayOrInstant = z
  .string()
  .refine(
    (v) => z.iso.date().safeParse(v).success || instant.safeParse(v).success,
    'must be a date (2025-12-24) or a date-time with an offset (2025-12-24T13:00:00Z)',
  );

/** Start of a bound for ordering checks: a date-only bound starts at its UTC midnight, close enough to catch reversed ranges. */
const boundMs = (v: string) => Date.parse(isDateOnly(v) ? `${v}T00:00:00Z` : v);

const absenceSchema = z
  .object({
    /** Date-only bounds are whole local days in the analyst's time zone, both inclusive. */
    from: dayOrInstant,
    to: dayOrInstant,
    reason: z.string().optional(),
  })
  .strict();

const analystSchema = z
  .object({
    id: name,
    name,
    role: name,
    team: name.optional(),
    /** Alert types this analyst is good at; they get those first within their role. */
    expertise: z.array(name).default([]),
    /** Most open tasks at once; 0 means never assigned (an escalation contact only). */
    capacity: z.number().int().min(0),
    available: z.boolean().default(true),
    out_of_office: z.array(absenceSchema).default([]),
    /** Reads date-only out_of_office entries; defaults to working_hours.timezone. */
    timezone: timeZone.optional(),
    /** Their Slack user id (U…): their buttons and slash commands act as them, executives get DMs. */
    slack: z
      .string()
      .regex(/^[UW][A-Z0-9]{2,20}$/, 'must be a Slack user id (U…)')
      .optional(),
    /** Their Jira account id: the issue's assignee, and their Jira changes act as them. */
    jira: z.string().min(1).max(128).optional(),
    /** Their subject (`sub`) at the OpenID provider: signing in to the workspace with it acts as them. */
    oidc_sub: z.string().min(1).max(255).optional(),
    /** Their email: signing in with it, verified by the provider, acts as them when no `oidc_sub` matched. */
    email: z.email({ error: 'must be an email address' }).max(254).optional(),
  })
  .strict();

const teamSchema = z.object({ name, members: z.array(name).default([]) }).strict();

/**
 * Shift n (counting from 0 at `start`) belongs to analysts[n mod length]; before
 * `start` the rotation is not active. One rotation per layer, e.g. one for analysts
 * and one for leads.
 */
const rotationSchema = z
  .object({
    name,
    analysts: z.array(name).min(1),
    start: instant,
    shift: durationSchema.default(7 * 86_400),
  })
  .strict();

/** Takes a rotation's shift for [from, to), e.g. a swap or cover; the last listed wins. */
const overrideSchema = z.object({ rotation: name, analyst: name, from: instant, to: instant }).strict();

const onCallSchema = z
  .object({
    rotations: z.array(rotationSchema).default([]),
    overrides: z.array(overrideSchema).default([]),
  })
  .strict();

/** The team's hours. Outside them the on-call analysts are preferred. A shift across midnight is not supported: on-call covers nights. */
const workingHoursSchema = z
  .object({
    days: z.array(z.enum(WEEKDAYS)).default(['mon', 'tue', 'wed', 'thu', 'fri']),
    start: clock.default('08:00'),
    end: clock.default('18:00'),
    timezone: timeZone.default('UTC'),
  })
  .strict();

/** Priorities that never wait for capacity: they go above it to the best candidate, and the leads are told. */
const overflowSchema = z
  .object({
    priorities: z.array(z.enum(PRIORITIES)).default((): Priority[] => ['P1']),
  })
  .strict();

/** The capacity queue: tasks nobody could take wait here, most urgent and oldest first. */
const queueSchema = z
  .object({
    /** How often the worker looks again, for what no event announces (an out-of-office that ends). */
    sweep_every: durationSchema.default(30),
  })
  .strict();

export const assignmentFileSchema = z
  .object({
    roles: z
      .array(name)
      .min(1)
      .default(() => [...DEFAULT_ROLES]),
    teams: z.array(teamSchema).default([]),
    analysts: z.array(analystSchema).default([]),
    on_call: onCallSchema.prefault({}),
    working_hours: workingHoursSchema.prefault({}),
    overflow: overflowSchema.prefault({}),
    queue: queueSchema.prefault({}),
  })
  .strict()
  .superRefine((file, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const duplicates = <T>(items: T[], key: (item: T) => string, path: (i: number) => (string | number)[], what: string) => {
      const seen = new Set<string>();
      items.forEach((item, i) => {
        if (seen.has(key(item))) issue(path(i), `duplicate ${what} "${key(item)}"`);
        seen.add(key(item));
      });
    };
    duplicates(
      file.roles,
      (r) => r,
      (i) => ['roles', i],
      'role',
    );
    duplicates(
      file.teams,
      (t) => t.name,
      (i) => ['teams', i, 'name'],
      'team',
    );
    duplicates(
      file.analysts,
      (a) => a.id,
      (i) => ['analysts', i, 'id'],
      'analyst id',
    );
    for (const id of ['slack', 'jira'] as const) {
      const mapped = file.analysts.flatMap((a, i) => (a[id] === undefined ? [] : [{ i, value: a[id] }]));
      duplicates(
        mapped,
        (m) => m.value,
        (k) => ['analysts', mapped[k].i, id],
        `${id === 'slack' ? 'Slack user' : 'Jira account'} id`,
      );
    }
    // Sign-in: an OIDC subject as the provider issues it, an email whatever its case.
    const signInIds = [
      { id: 'oidc_sub', what: 'OIDC subject', norm: (v: string) => v },
      { id: 'email', what: 'email', norm: (v: string) => v.toLowerCase() },
    ] as const;
    for (const { id, what, norm } of signInIds) {
      const mapped = file.analysts.flatMap((a, i) => (a[id] === undefined ? [] : [{ i, value: norm(a[id]) }]));
      duplicates(
        mapped,
        (m) => m.value,
        (k) => ['analysts', mapped[k].i, id],
        what,
      );
    }
    duplicates(
      file.on_call.rotations,
      (r) => r.name,
      (i) => ['on_call', 'rotations', i, 'name'],
      'rotation',
    );

    const roles = new Set(file.roles);
    const teams = new Set(file.teams.map((t) => t.name));
    const analysts = new Map(file.analysts.map((a) => [a.id, a]));
    const rotations = new Set(file.on_call.rotations.map((r) => r.name));
    const unknownAnalyst = (id: string) => `unknown analyst "${id}"`;

    file.analysts.forEach((a, i) => {
      if (!roles.has(a.role)) issue(['analysts', i, 'role'], `unknown role "${a.role}"; roles are ${file.roles.join(', ')}`);
      if (a.team !== undefined && !teams.has(a.team)) issue(['analysts', i, 'team'], `unknown team "${a.team}"`);
      a.out_of_office.forEach((off, k) => {
        if (boundMs(off.to) < boundMs(off.from)) issue(['analysts', i, 'out_of_office', k, 'to'], 'must not be before from');
      });
    });
    file.teams.forEach((t, i) =>
      t.members.forEach((id, j) => {
        const member = analysts.get(id);
        if (!member) issue(['teams', i, 'members', j], unknownAnalyst(id));
        else if (member.team !== undefined && member.team !== t.name)
          issue(['teams', i, 'members', j], `analyst "${id}" belongs to team "${member.team}"`);
      }),
    );
    file.on_call.rotations.forEach((r, i) =>
      r.analysts.forEach((id, j) => {
        if (!analysts.has(id)) issue(['on_call', 'rotations', i, 'analysts', j], unknownAnalyst(id));
      }),
    );
    file.on_call.overrides.forEach((o, i) => {
      if (!rotations.has(o.rotation)) issue(['on_call', 'overrides', i, 'rotation'], `unknown rotation "${o.rotation}"`);
      if (!analysts.has(o.analyst)) issue(['on_call', 'overrides', i, 'analyst'], unknownAnalyst(o.analyst));
      if (Date.parse(o.to) <= Date.parse(o.from)) issue(['on_call', 'overrides', i, 'to'], 'must be after from');
    });
    const hours = file.working_hours;
    if (clockMinutes(hours.end) <= clockMinutes(hours.start))
      issue(['working_hours', 'end'], 'must be after start (on-call covers nights)');
  });

export type AssignmentConfig = z.output<typeof assignmentFileSchema>;
/** Nest injection token of config/assignment.yaml. */
export const ASSIGNMENT_CONFIG = Symbol('ASSIGNMENT_CONFIG');
export type AnalystConfig = AssignmentConfig['analysts'][number];
export type Absence = AnalystConfig['out_of_office'][number];
export type OnCallConfig = AssignmentConfig['on_call'];
export type WorkingHours = AssignmentConfig['working_hours'];
