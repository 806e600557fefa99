import type { z } from 'zod';
import type { Priority } from '../domain';
import { assignmentFileSchema } from './assignment.schema';
import { planQueue, type QueuedTask, queueOrder } from './queue';

type AnalystInput = NonNullable<z.input<typeof assignmentFileSchema>['analysts']>[number];

const analyst = (id: string, role: string, capacity = 1, over: Partial<AnalystInput> = {}): AnalystInput => ({
  id,
  name: id,
  role,
  capacity,
  ...over,
});

// One analyst, one senior and one lead, each with room for one task.
const config = (analysts: AnalystInput[] = [analyst('a1', 'analyst'), analyst('s1', 'senior_analyst'), analyst('l1', 'team_lead')]) =>
  assignmentFileSchema.parse({
    analysts,
    working_hours: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' },
  });

const NOW = new Date('2025-06-04T10:00:00Z');
const task = (id: string, priority: Priority, minutesAgo: number, role = 'analyst'): QueuedTask => ({
  id,
  priority,
  openedAt: new Date(NOW.getTime() - minutesAgo * 60_000),
  role,
  alertTypes: [],
});

const plan = (tasks: QueuedTask[], openTasks: Record<string, number> = {}, c = config()) =>
  planQueue({ config: c, tasks, openTasks, cursor: {}, now: NOW });
const placed = (result: ReturnType<typeof plan>) =>
  result.placements.map((p) => [p.task.id, p.decision.analystId] as const).filter(([, who]) => who !== null);

describe(queueOrder.name, () => {
  it('puts the most urgent first, then the oldest, then by id', () => {
    const tasks = [task('c', 'P3', 60), task('a', 'P2', 1), task('e', 'P3', 90), task('d', 'P3', 60), task('b', 'P2', 5)];
    expect(tasks.sort(queueOrder).map((t) => t.id)).toEqual(['b', 'a', 'e', 'c', 'd']);
  });
});

describe(planQueue.name, () => {
  it('gives one free slot to the most urgent waiting task, then the oldest', () => {
    const waiting = [task('p3-old', 'P3', 90), task('p2-new', 'P2', 1), task('p2-old', 'P2', 30), task('p4', 'P4', 120)];
    // Only a1 has room.
    expect(placed(plan(waiting, { s1: 1, l1: 1 }))).toEqual([['p2-old', 'a1']]);
  });

  it('places as many as there are free slots, feeding each placement into the next', () => {
    const waiting = [task('t1', 'P3', 3), task('t2', 'P3', 2), task('t3', 'P3', 1), task('t4', 'P3', 0)];
    const result = plan(waiting);
    expect({ placed: placed(result), cursor: result.cursor }).toEqual({
      placed: [
        ['t1', 'a1'],
        ['t2', 's1'],
        ['t3', 'l1'],
      ],
      cursor: { analyst: 'a1', senior_analyst: 's1', team_lead: 'l1' },
    });
  });

  it('lets a task behind one that cannot be placed take a slot outside its chain', () => {
    // The senior and lead are full; a P2 for seniors waits, the P3 behind it takes the analyst.
    const waiting = [task('p2', 'P2', 10, 'senior_analyst'), task('p3', 'P3', 5)];
    expect(placed(plan(waiting, { s1: 1, l1: 1 }))).toEqual([['p3', 'a1']]);
  });

  it('overflows a waiting P1 that finds anyone present', () => {
    const result = plan([task('p1', 'P1', 1, 'team_lead'), task('p3', 'P3', 5)], { a1: 1, s1: 1, l1: 1 });
    expect(result.placements.map((p) => [p.task.id, p.decision.analystId, 'via' in p.decision ? p.decision.via : null])).toEqual([
      ['p1', 'l1', 'overflow'],
      ['p3', null, null],
    ]);
  });

  it('places nothing when the roster is full', () => {
    expect(placed(plan([task('t1', 'P2', 1), task('t2', 'P3', 1)], { a1: 1, s1: 1, l1: 1 }))).toEqual([]);
  });

  it('counts out-of-office analysts as having no room until their absence ends', () => {
    const c = config([analyst('a1', 'analyst', 1, { out_of_office: [{ from: '2025-06-01T00:00:00Z', to: '2025-06-04T10:00:00Z' }] })]);
    const before = planQueue({ config: c, tasks: [task('t', 'P3', 1)], openTasks: {}, cursor: {}, now: new Date(NOW.getTime() - 1000) });
    expect([placed(before), placed(plan([task('t', 'P3', 1)], {}, c))]).toEqual([[], [['t', 'a1']]]);
  });
});
