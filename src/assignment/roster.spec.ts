import type { z } from 'zod';
import { chooseAssignee } from './assign';
import { assignmentFileSchema } from './assignment.schema';
import { applyOverride, freesCapacity, reachableIn, withOverrides, type AnalystOverride } from './roster';

type AnalystInput = NonNullable<z.input<typeof assignmentFileSchema>['analysts']>[number];

const analyst = (id: string, role: string, over: Partial<AnalystInput> = {}): AnalystInput => ({
  id,
  name: id,
  role,
  capacity: 2,
  ...over,
});

const config = (analysts: AnalystInput[]) =>
  assignmentFileSchema.parse({
    analysts,
    working_hours: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' },
  });

const ROSTER = config([analyst('a1', 'analyst'), analyst('a2', 'analyst'), analyst('l1', 'team_lead'), analyst('l2', 'team_lead')]);
const NOW = new Date('2025-06-04T10:00:00Z');
const TZ = 'UTC';
const none = { available: null, capacity: null, out_of_office_until: null };
const override = (id: string, over: Partial<Omit<AnalystOverride, 'id'>>): AnalystOverride => ({ id, ...none, ...over });
const pick = (overrides: AnalystOverride[], openTasks: Record<string, number> = {}) =>
  chooseAssignee({ config: withOverrides(ROSTER, overrides), role: 'analyst', alertTypes: [], openTasks, cursor: {}, now: NOW }).analystId;

describe(withOverrides.name, () => {
  it('is the file roster itself when nobody set anything', () => {
    expect(withOverrides(ROSTER, [])).toBe(ROSTER);
  });

  it('keeps an analyst marked unavailable at run time out of assignment', () => {
    expect(pick([override('a1', { available: false })])).toBe('a2');
  });

  it('brings back an analyst the file marks unavailable', () => {
    const file = config([analyst('a1', 'analyst', { available: false }), analyst('a2', 'analyst')]);
    const decide = (overrides: AnalystOverride[]) =>
      chooseAssignee({
        config: withOverrides(file, overrides),
        role: 'analyst',
        alertTypes: [],
        openTasks: { a2: 1 },
        cursor: {},
        now: NOW,
      }).analystId;
    expect([decide([]), decide([override('a1', { available: true })])]).toEqual(['a2', 'a1']);
  });

  it('assigns up to the run-time capacity', () => {
    expect([pick([override('a1', { capacity: 3 })], { a1: 2, a2: 2 }), pick([override('a1', { capacity: 1 })], { a1: 1, a2: 1 })]).toEqual([
      'a1',
      'a2',
    ]);
  });

  it('keeps an analyst out of office until the run-time end, not after', () => {
    const until = override('a1', { out_of_office_until: '2025-06-04T10:00:00+00:00' });
    const decide = (now: Date) =>
      chooseAssignee({ config: withOverrides(ROSTER, [until]), role: 'analyst', alertTypes: [], openTasks: {}, cursor: {}, now }).analystId;
    expect([decide(new Date(NOW.getTime() - 1)), decide(NOW)]).toEqual(['a2', 'a1']);
  });

  it("keeps the file's own absences beside the run-time one", () => {
    const file = config([analyst('a1', 'analyst', { out_of_office: [{ from: '2025-06-05', to: '2025-06-06' }] })]);
    expect(applyOverride(file.analysts[0], { ...none, out_of_office_until: '2025-06-04T12:00:00Z' }).out_of_office).toEqual([
      { from: '2025-06-05', to: '2025-06-06' },
      { from: '1970-01-01T00:00:00Z', to: '2025-06-04T12:00:00Z' },
    ]);
  });

  it('ignores settings of analysts no longer in the file', () => {
    expect(withOverrides(ROSTER, [override('gone', { available: true })]).analysts).toEqual(ROSTER.analysts);
  });
});

describe(reachableIn.name, () => {
  it('leaves out leads away at run time', () => {
    expect(reachableIn(withOverrides(ROSTER, [override('l1', { available: false })]), 'team_lead', NOW)).toEqual(['l2']);
  });

  it('leaves out leads out of office at run time', () => {
    expect(reachableIn(withOverrides(ROSTER, [override('l2', { out_of_office_until: '2025-06-05T00:00:00Z' })]), 'team_lead', NOW)).toEqual(
      ['l1'],
    );
  });

  it('tells every lead when none can be reached', () => {
    const away = [override('l1', { available: false }), override('l2', { available: false })];
    expect(reachableIn(withOverrides(ROSTER, away), 'team_lead', NOW)).toEqual(['l1', 'l2']);
  });
});

describe(freesCapacity.name, () => {
  const a1 = ROSTER.analysts[0];
  const with_ = (over: Partial<Omit<AnalystOverride, 'id'>>) => applyOverride(a1, { ...none, ...over });

  it.each([
    ['back available', with_({ available: false }), with_({ available: true })],
    ['capacity raised', a1, with_({ capacity: 3 })],
    ['out of office cleared', with_({ out_of_office_until: '2025-06-05T00:00:00Z' }), a1],
    [
      'out of office set to a time already past',
      with_({ out_of_office_until: '2025-06-05T00:00:00Z' }),
      with_({ out_of_office_until: '2025-06-01T00:00:00Z' }),
    ],
  ])('frees capacity: %s', (_, before, after) => {
    expect(freesCapacity(before, after, NOW, TZ)).toBe(true);
  });

  it.each([
    ['made unavailable', a1, with_({ available: false })],
    ['capacity lowered', a1, with_({ capacity: 1 })],
    ['out of office set', a1, with_({ out_of_office_until: '2025-06-05T00:00:00Z' })],
    ['capacity raised while unavailable', with_({ available: false }), with_({ available: false, capacity: 5 })],
    ['nothing changed', a1, a1],
  ])('frees nothing: %s', (_, before, after) => {
    expect(freesCapacity(before, after, NOW, TZ)).toBe(false);
  });
});
