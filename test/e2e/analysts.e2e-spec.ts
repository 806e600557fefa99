import { pollUntil, startApi } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { alert, startStack, Stack } from '../support/stack';

// The analysts API: the roster with run-time availability, out-of-office and capacity, and
// each analyst's open load. A change that frees capacity gives it to the waiting tasks at
// once; every change is audited; a restart's roster sync keeps the run-time settings.

// One analyst with room for one task; the one senior is away in assignment.yaml; the
// leads and the executive take no tasks (the executive is also out of office), so
// whatever the analyst cannot take waits.
const roster = (doc: Record<string, unknown>) =>
  Object.assign(doc, {
    teams: [{ name: 'net', members: ['ana.one'] }],
    analysts: [
      { id: 'ana.one', name: 'Ana One', role: 'analyst', team: 'net', capacity: 1, expertise: ['port_scan'] },
      { id: 'sen.one', name: 'Sen One', role: 'senior_analyst', capacity: 2, available: false },
      { id: 'lead.one', name: 'Lead One', role: 'team_lead', capacity: 0 },
      { id: 'lead.two', name: 'Lead Two', role: 'team_lead', capacity: 0 },
      { id: 'exec.one', name: 'Exec One', role: 'executive', capacity: 0, out_of_office: [{ from: '2000-01-01', to: '2999-12-31' }] },
    ],
    on_call: { rotations: [], overrides: [] },
  });

const MEDIUM = { type: 'port_scan', severity: 'medium' }; // P3 for an analyst
const HIGH = { type: 'sql_injection', severity: 'high' }; // P2 for a senior analyst

interface TaskState {
  id: string;
  assignee_id: string | null;
  assignments: number;
}

describe('analysts API', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ name: 'analysts', assignment: roster });
  });
  afterAll(async () => stack?.close());

  /** Opens a task through the workflow and waits for its first assignment (someone, or nobody free). */
  const open = async (fields: Record<string, unknown>): Promise<TaskState> => {
    const res = await stack.ingest('POST', '/v1/alerts', alert({ sourceIp: uniqueIp(), ...fields }));
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${res.text}`);
    return pollUntil(
      async () =>
        (
          await stack.db.query<TaskState[]>(
            `SELECT t.id, t.assignee_id, (SELECT count(*)::int FROM task_assignments a WHERE a.task_id = t.id) AS assignments
               FROM tasks t WHERE t.incident_id = $1`,
            [res.body.incidentId],
          )
        )[0],
      (t) => t !== undefined && t.assignments > 0,
      { what: 'the first assignment', timeoutMs: 30_000 },
    );
  };

  const state = async (taskId: string) =>
    (
      await stack.db.query<{ assignee_id: string | null; actor: string }[]>(
        `SELECT t.assignee_id, (SELECT a.actor FROM task_assignments a WHERE a.task_id = t.id ORDER BY a.id DESC LIMIT 1) AS actor
           FROM tasks t WHERE t.id = $1`,
        [taskId],
      )
    )[0];

  const audit = (analystId: string) =>
    stack.db.query<{ actor: string; before: unknown; after: unknown }[]>(
      `SELECT actor, before, after FROM audit_log WHERE action = 'analyst.updated' AND subject_type = 'analyst' AND subject_id = $1 ORDER BY id`,
      [analystId],
    );

  it('lists every analyst with role, team, expertise, capacity, availability, out-of-office and open load', async () => {
    const ana = await stack.as('ana.one');
    const res = await ana('GET', '/v1/analysts');
    const person = (id: string, name: string, role: string, over: Record<string, unknown> = {}) => ({
      id,
      name,
      role,
      team: null,
      expertise: [],
      capacity: 0,
      available: true,
      outOfOffice: false,
      outOfOfficeUntil: null,
      openTasks: 0,
      overrides: { available: null, capacity: null },
      ...over,
    });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: {
        items: [
          person('ana.one', 'Ana One', 'analyst', { team: 'net', expertise: ['port_scan'], capacity: 1 }),
          person('exec.one', 'Exec One', 'executive', { outOfOffice: true }),
          person('lead.one', 'Lead One', 'team_lead'),
          person('lead.two', 'Lead Two', 'team_lead'),
          person('sen.one', 'Sen One', 'senior_analyst', { capacity: 2, available: false }),
        ],
        nextCursor: null,
      },
    });
  });

  it('pages the list by id', async () => {
    const ana = await stack.as('ana.one');
    const first = await ana('GET', '/v1/analysts?limit=2');
    const second = await ana('GET', `/v1/analysts?limit=2&cursor=${first.body.nextCursor}`);
    const third = await ana('GET', `/v1/analysts?limit=2&cursor=${second.body.nextCursor}`);
    expect([first, second, third].map((p) => [p.body.items.map((a: { id: string }) => a.id), p.body.nextCursor === null])).toEqual([
      [['ana.one', 'exec.one'], false],
      [['lead.one', 'lead.two'], false],
      [['sen.one'], true],
    ]);
  });

  it('refuses bad changes with problem+json naming the field', async () => {
    const lead = await stack.as(null, ['lead']);
    const cases: [string, unknown, number, string][] = [
      ['ana.one', {}, 422, '/'],
      ['ana.one', { capacity: -1 }, 422, '/capacity'],
      ['ana.one', { capacity: 1.5 }, 422, '/capacity'],
      ['ana.one', { available: 'yes' }, 422, '/available'],
      ['ana.one', { outOfOfficeUntil: 'next week' }, 422, '/outOfOfficeUntil'],
      ['ana.one', { outOfOfficeUntil: '2030-01-01T00:00:00' }, 422, '/outOfOfficeUntil'],
      ['nobody.here', { available: true }, 404, 'path:id'],
    ];
    const answers = [];
    for (const [id, body] of cases) {
      const res = await lead('PATCH', `/v1/analysts/${id}`, body);
      answers.push([
        id,
        body,
        res.status,
        res.headers.get('content-type')?.split(';')[0],
        res.body.errors?.map((e: { path: string }) => e.path),
      ]);
    }
    expect(answers).toEqual(cases.map(([id, body, status, path]) => [id, body, status, 'application/problem+json', [path]]));
    // None of them changed anything.
    expect(await audit('ana.one')).toEqual([]);
  });

  it('gives a waiting task to an analyst who raises their capacity, at once, and audits the change', async () => {
    const first = await open(MEDIUM);
    const waiting = await open(MEDIUM);
    expect([first.assignee_id, waiting.assignee_id]).toEqual(['ana.one', null]);

    const ana = await stack.as('ana.one');
    const res = await ana('PATCH', '/v1/analysts/ana.one', { capacity: 2 });
    // The queue placed the task in the PATCH's own transaction: it is assigned by the time the answer arrives.
    expect({
      status: res.status,
      answer: { capacity: res.body.capacity, openTasks: res.body.openTasks, overrides: res.body.overrides },
      task: await state(waiting.id),
      audit: await audit('ana.one'),
    }).toEqual({
      status: 200,
      answer: { capacity: 2, openTasks: 2, overrides: { available: null, capacity: 2 } },
      task: { assignee_id: 'ana.one', actor: 'queue' },
      audit: [
        {
          actor: 'analyst:ana.one',
          before: { available: null, capacity: null, outOfOfficeUntil: null },
          after: { available: null, capacity: 2, outOfOfficeUntil: null },
        },
      ],
    });
    // The workflow heard of it and told her.
    await pollUntil(
      () => stack.notifications(waiting.id),
      (n) => n.some((x) => x.kind === 'assigned' && x.sent && x.recipients.join() === 'ana.one'),
      { what: 'the assignment notice to ana.one', timeoutMs: 30_000 },
    );
  });

  it('tells only the leads reachable at run time when a task has nobody free', async () => {
    const lead = await stack.as('lead.one', ['lead']);
    expect((await lead('PATCH', '/v1/analysts/lead.two', { available: false })).status).toBe(200);
    const waiting = await open(HIGH);
    const notices = await pollUntil(
      () => stack.notifications(waiting.id),
      (n) => n.some((x) => x.kind === 'unassigned'),
      { what: 'the notice that nobody is free', timeoutMs: 30_000 },
    );
    expect(notices.filter((n) => n.kind === 'unassigned').map((n) => n.recipients)).toEqual([['lead.one']]);
  });

  it('gives a waiting task to an analyst who marks themself available, and audits the change', async () => {
    const waiting = await open(HIGH);
    expect(waiting.assignee_id).toBeNull();
    const senior = await stack.as('sen.one');
    const res = await senior('PATCH', '/v1/analysts/sen.one', { available: true });
    expect({
      status: res.status,
      available: res.body.available,
      task: await state(waiting.id),
      audit: await audit('sen.one'),
    }).toEqual({
      status: 200,
      available: true,
      task: { assignee_id: 'sen.one', actor: 'queue' },
      audit: [
        {
          actor: 'analyst:sen.one',
          before: { available: null, capacity: null, outOfOfficeUntil: null },
          after: { available: true, capacity: null, outOfOfficeUntil: null },
        },
      ],
    });
  });

  it('shows an out-of-office set at run time, and clears it', async () => {
    const ana = await stack.as('ana.one');
    const until = new Date(Date.now() + 86_400_000).toISOString();
    const away = await ana('PATCH', '/v1/analysts/ana.one', { outOfOfficeUntil: until });
    const back = await ana('PATCH', '/v1/analysts/ana.one', { outOfOfficeUntil: null });
    expect([
      [away.status, away.body.outOfOffice, away.body.outOfOfficeUntil],
      [back.status, back.body.outOfOffice, back.body.outOfOfficeUntil],
    ]).toEqual([
      [200, true, until],
      [200, false, null],
    ]);
  });

  it("keeps the run-time settings through a restart's roster sync", async () => {
    // A second api syncs assignment.yaml into the roster as it starts, as a restart does.
    const restarted = await startApi(stack.env);
    await restarted.close();
    const ana = await stack.as('ana.one');
    const items: { id: string; capacity: number; available: boolean }[] = (await ana('GET', '/v1/analysts')).body.items;
    expect(items.filter((a) => ['ana.one', 'lead.two', 'sen.one'].includes(a.id)).map((a) => [a.id, a.capacity, a.available])).toEqual([
      ['ana.one', 2, true],
      ['lead.two', 0, false],
      ['sen.one', 2, true],
    ]);
  });
});
