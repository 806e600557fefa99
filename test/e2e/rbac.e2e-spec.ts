import { randomUUID } from 'node:crypto';
import { createApiKey } from '../../src/auth/api-keys.service';
import { client } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { alert, FirstAssignment, startStack, Stack } from '../support/stack';

// Who may call what (DESIGN.md, HTTP contract): every route of the api, called with no key,
// a revoked key, each scope, and an analyst on their own task and on another's. Acting on a
// task (ack, resolve, reassign, comment) is for its assignee, an analyst of its role while
// it is unassigned, or a lead; reading is open to the analyst scope.

/**
 * `robot`: an analyst-scope key that names no analyst. `analyst`: ana.one on a route with no
 * owner; `analyst:own` and `analyst:other`: ana.one on her own task (or herself) and on
 * ana.two's task (or ana.two).
 */
type Caller = 'none' | 'revoked' | 'ingest' | 'robot' | 'analyst' | 'analyst:own' | 'analyst:other' | 'lead' | 'admin';

interface Route {
  method: string;
  path: string;
  /** The request this caller sends: the path with its ids, and a valid body. */
  request(caller: Caller, expected: number): Promise<{ path: string; body?: unknown }>;
  expected: Partial<Record<Caller, number>>;
}

// Port scans go to ana.one and DNS tunnelling to ana.two (expertise); SQL injection waits for
// a senior, and the only one, sen.one, is away, so those tasks stay unassigned in their role.
const roster = (doc: Record<string, unknown>) =>
  Object.assign(doc, {
    analysts: [
      { id: 'ana.one', name: 'Ana One', role: 'analyst', capacity: 100, expertise: ['port_scan'] },
      { id: 'ana.two', name: 'Ana Two', role: 'analyst', capacity: 100, expertise: ['dns_tunneling'] },
      { id: 'sen.one', name: 'Sen One', role: 'senior_analyst', capacity: 5, available: false },
      { id: 'lead.one', name: 'Lead One', role: 'team_lead', capacity: 0 },
      { id: 'exec.one', name: 'Exec One', role: 'executive', capacity: 0 },
    ],
    teams: [],
    on_call: { rotations: [], overrides: [] },
  });

const MINE = { type: 'port_scan', severity: 'medium' };
const THEIRS = { type: 'dns_tunneling', severity: 'medium' };
const WAITING = { type: 'sql_injection', severity: 'high' };

/** Readable by every analyst-scope key; closed to monitors and to callers with no valid key. */
const read = { none: 401, revoked: 401, ingest: 403, robot: 200, analyst: 200, lead: 200, admin: 200 };
/** Acting on a task: its assignee or a lead. */
const act = (ok: number) => ({
  none: 401,
  revoked: 401,
  ingest: 403,
  robot: 403,
  'analyst:own': ok,
  'analyst:other': 403,
  lead: ok,
  admin: ok,
});
const ingest = { none: 401, revoked: 401, ingest: 202, robot: 403, analyst: 403, lead: 403, admin: 202 };
const leadOnly = (ok: number) => ({ none: 401, revoked: 401, ingest: 403, robot: 403, analyst: 403, lead: ok, admin: ok });

type TaskRow = FirstAssignment;

describe('RBAC matrix', () => {
  let stack: Stack;
  let clients: Record<Caller, ReturnType<typeof client>>;
  /** Tasks nobody has touched, by assignee; a row that changes its task takes one of its own. */
  const fresh: Record<'ana.one' | 'ana.two' | 'waiting', TaskRow[]> = { 'ana.one': [], 'ana.two': [], waiting: [] };
  let shared: { mine: TaskRow; theirs: TaskRow; silenceId: string };

  /** Opens one task per alert through the workflow and waits for each one's first assignment. */
  const open = async (fields: Record<string, unknown>[]): Promise<TaskRow[]> => {
    const res = await stack.ingest(
      'POST',
      '/v1/alerts',
      fields.map((f) => alert({ sourceIp: uniqueIp(), ...f })),
    );
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${res.text}`);
    const incidentIds: string[] = res.body.results.map((r: { incidentId: string }) => r.incidentId);
    return stack.firstAssignments(incidentIds);
  };

  const silence = async (): Promise<string> => {
    const res = await clients.lead('POST', '/v1/silences', { matchers: [{ name: 'sourceIp', value: uniqueIp() }], durationSeconds: 600 });
    if (res.status !== 201) throw new Error(`silence answered ${res.status}: ${res.text}`);
    return res.body.id;
  };

  /** The task a row acts on: ana.two's for `analyst:other`, ana.one's otherwise; untouched when the row may change it. */
  const taskFor = (caller: Caller, method: string, expected: number): TaskRow => {
    const theirs = caller === 'analyst:other';
    if (method === 'GET' || expected >= 300) return theirs ? shared.theirs : shared.mine;
    const task = fresh[theirs ? 'ana.two' : 'ana.one'].pop();
    if (!task) throw new Error('no untouched task left for this row');
    return task;
  };

  const taskRoute = (method: string, action: string, body: unknown, expected: Partial<Record<Caller, number>>): Route => ({
    method,
    path: `/v1/tasks/{id}${action}`,
    request: async (caller, status) => ({ path: `/v1/tasks/${taskFor(caller, method, status).id}${action}`, body }),
    expected,
  });

  const ROUTES: Route[] = [
    {
      method: 'POST',
      path: '/v1/alerts',
      request: async () => ({ path: '/v1/alerts', body: alert({ sourceIp: uniqueIp() }) }),
      expected: ingest,
    },
    {
      method: 'POST',
      path: '/v1/alerts/{format}',
      request: async () => ({
        path: '/v1/alerts/falco',
        body: {
          uuid: randomUUID(),
          output: 'A shell was spawned in a container with an attached terminal',
          priority: 'Warning',
          rule: 'Terminal shell in container',
          time: new Date().toISOString(),
          output_fields: { 'container.name': 'nginx', 'proc.name': 'bash' },
          hostname: 'k8s-node-1',
        },
      }),
      expected: ingest,
    },
    { method: 'GET', path: '/v1/tasks', request: async () => ({ path: '/v1/tasks?status=all' }), expected: read },
    taskRoute('GET', '', undefined, { ...act(200), robot: 200, 'analyst:other': 200 }),
    taskRoute('POST', '/ack', undefined, act(200)),
    taskRoute('POST', '/resolve', { disposition: 'benign', resolution: 'RBAC matrix' }, act(200)),
    taskRoute('POST', '/reassign', { reason: 'RBAC matrix' }, act(200)),
    taskRoute('POST', '/comments', { text: 'RBAC matrix' }, act(201)),
    { method: 'GET', path: '/v1/incidents', request: async () => ({ path: '/v1/incidents' }), expected: read },
    {
      method: 'GET',
      path: '/v1/incidents/{id}',
      request: async () => ({ path: `/v1/incidents/${shared.mine.incident_id}` }),
      expected: read,
    },
    { method: 'GET', path: '/v1/analysts', request: async () => ({ path: '/v1/analysts' }), expected: read },
    {
      method: 'PATCH',
      path: '/v1/analysts/{id}',
      // ana.one changes herself as `analyst:own`; everyone else changes ana.two.
      request: async (caller) => ({ path: `/v1/analysts/${caller === 'analyst:own' ? 'ana.one' : 'ana.two'}`, body: { capacity: 100 } }),
      expected: { ...act(200), robot: 403 },
    },
    {
      method: 'POST',
      path: '/v1/silences',
      request: async () => ({ path: '/v1/silences', body: { matchers: [{ name: 'sourceIp', value: uniqueIp() }], durationSeconds: 60 } }),
      expected: leadOnly(201),
    },
    { method: 'GET', path: '/v1/silences', request: async () => ({ path: '/v1/silences' }), expected: read },
    {
      method: 'GET',
      path: '/v1/silences/{id}',
      request: async () => ({ path: `/v1/silences/${shared.silenceId}` }),
      expected: read,
    },
    {
      method: 'DELETE',
      path: '/v1/silences/{id}',
      request: async () => ({ path: `/v1/silences/${await silence()}` }),
      expected: leadOnly(200),
    },
    {
      method: 'GET',
      path: '/health',
      request: async () => ({ path: '/health' }),
      expected: { none: 200, revoked: 200, ingest: 200, robot: 200, analyst: 200, lead: 200, admin: 200 },
    },
  ];

  /** Rows that change their task take an untouched one: how many each analyst's pool needs. */
  const untouched = (theirs: boolean) =>
    ROUTES.filter((r) => r.path.startsWith('/v1/tasks/') && r.method !== 'GET').reduce(
      (n, r) => n + Object.entries(r.expected).filter(([caller, status]) => status < 300 && (caller === 'analyst:other') === theirs).length,
      0,
    );

  beforeAll(async () => {
    stack = await startStack({
      name: 'rbac',
      assignment: roster,
      rules: (doc) => {
        doc.defaults.storm = false;
      },
    });
    const revoked = await createApiKey(stack.db, 'revoked', ['admin']);
    // Revoked before its first use, so no cached lookup outlives it.
    await stack.db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [revoked.id]);
    const analyst = await stack.as('ana.one');
    clients = {
      none: client(stack.api.url),
      revoked: client(stack.api.url, revoked.key),
      ingest: stack.ingest,
      robot: await stack.as(null),
      analyst,
      'analyst:own': analyst,
      'analyst:other': analyst,
      lead: await stack.as(null, ['lead']),
      admin: await stack.as(null, ['admin']),
    };
    // One shared task each, and ana.one's untouched ones: the matrix's and the Idempotency-Key tests'.
    const mine = untouched(false) + 1 + 2;
    const theirs = untouched(true) + 1;
    const tasks = await open([...Array(mine).fill(MINE), ...Array(theirs).fill(THEIRS), WAITING, WAITING]);
    const assignees = tasks.map((t) => t.assignee_id);
    // The roster decides deterministically; anything else means the fixtures are wrong, not the access rules.
    expect(assignees).toEqual([...Array(mine).fill('ana.one'), ...Array(theirs).fill('ana.two'), null, null]);
    fresh['ana.one'] = tasks.slice(1, mine);
    fresh['ana.two'] = tasks.slice(mine + 1, mine + theirs);
    fresh.waiting = tasks.slice(mine + theirs);
    shared = { mine: tasks[0], theirs: tasks[mine], silenceId: await silence() };
  });
  afterAll(async () => stack?.close());

  describe.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', (_, route) => {
    it.each(Object.entries(route.expected) as [Caller, number][])('answers %s with %i', async (caller, expected) => {
      const { path, body } = await route.request(caller, expected);
      const res = await clients[caller](route.method, path, body);
      if (expected < 300)
        expect({ status: res.status, body: res.status === expected ? 'ok' : res.text }).toEqual({ status: expected, body: 'ok' });
      else
        expect({
          status: res.status,
          type: res.headers.get('content-type'),
          paths: res.body?.errors?.map((e: { path: string }) => e.path),
        }).toEqual({
          status: expected,
          type: expect.stringContaining('application/problem+json'),
          paths: ['header:authorization'],
        });
    });
  });

  describe('Idempotency-Key on reassign', () => {
    const reassign = (taskId: string, body: unknown, key: string) =>
      clients.analyst('POST', `/v1/tasks/${taskId}/reassign`, body, { 'idempotency-key': key });

    it("answers the assignee's retry with the first result, though the task is no longer hers", async () => {
      const task = fresh['ana.one'].pop()!;
      const first = await reassign(task.id, { reason: 'end of shift' }, 'handover-1');
      const retry = await reassign(task.id, { reason: 'end of shift' }, 'handover-1');
      expect([first.status, first.body.assignee?.id, retry.status, retry.body.assignee?.id]).toEqual([200, 'ana.two', 200, 'ana.two']);
    });

    it('refuses a key reused with a different body with 422 naming the header', async () => {
      const task = fresh['ana.one'].pop()!;
      expect((await reassign(task.id, { reason: 'end of shift' }, 'handover-2')).status).toBe(200);
      const reused = await reassign(task.id, { reason: 'something else' }, 'handover-2');
      expect({ status: reused.status, errors: reused.body.errors }).toEqual({
        status: 422,
        errors: [{ path: 'header:idempotency-key', message: 'this Idempotency-Key was already used with a different request body' }],
      });
    });

    it('refuses a key longer than 200 characters with 400 naming the header', async () => {
      const res = await reassign(shared.mine.id, { reason: 'too long' }, 'k'.repeat(201));
      expect({ status: res.status, paths: res.body.errors.map((e: { path: string }) => e.path) }).toEqual({
        status: 400,
        paths: ['header:idempotency-key'],
      });
    });
  });

  describe('a task nobody holds yet', () => {
    it('may be acknowledged by an analyst of the role it waits for', async () => {
      const senior = await stack.as('sen.one');
      const res = await senior('POST', `/v1/tasks/${fresh.waiting[0].id}/ack`);
      expect({ status: res.status, task: res.body.status }).toEqual({ status: 200, task: 'acknowledged' });
    });

    it('may not be acted on by an analyst of another role', async () => {
      const res = await clients.analyst('POST', `/v1/tasks/${fresh.waiting[1].id}/comments`, { text: 'not my role' });
      expect({ status: res.status, detail: res.body.detail }).toEqual({
        status: 403,
        detail: expect.stringContaining('the task waits for the senior_analyst role; ana.one is analyst'),
      });
    });
  });
});
