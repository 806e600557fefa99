import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WorkerModule } from '../../src/temporal/worker.module';
import { createApiKey } from '../../src/auth/api-keys.service';
import { client, pollUntil, RunningApi, startApi } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { testConfigDir } from '../support/isolated';
import { alert, FirstAssignment, startStack, Stack } from '../support/stack';

// The capacity queue (DESIGN.md, Under fire: Capacity) on small rosters: a P1 goes above
// capacity, a freed slot goes to the head of the queue, replicas never double-book, and
// the worker's sweep assigns when an absence ends.

type Roster = { id: string; role: string; capacity: number; out_of_office?: { from: string; to: string }[] }[];

/** Replaces the shipped team with `analysts` (no teams, nobody on call). */
const roster =
  (analysts: Roster, queue?: { sweep_every: string }) =>
  (doc: Record<string, unknown>): void => {
    Object.assign(doc, { analysts: analysts.map((a) => ({ name: a.id, ...a })), teams: [], on_call: { rotations: [], overrides: [] } });
    if (queue) doc.queue = queue;
  };

type TaskState = FirstAssignment;

/** Sends one alert as a new incident and waits for its workflow's first assignment (someone, or nobody free). */
async function openTask(stack: Stack, fields: Record<string, unknown>): Promise<TaskState> {
  const res = await stack.ingest('POST', '/v1/alerts', alert({ sourceIp: uniqueIp(), ...fields }));
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${res.text}`);
  return stack.firstAssignments([res.body.incidentId]).then(([t]) => t);
}

const assigneeOf = async (stack: Stack, taskId: string): Promise<string | null> =>
  (await stack.db.query<{ assignee_id: string | null }[]>(`SELECT assignee_id FROM tasks WHERE id = $1`, [taskId]))[0].assignee_id;

const MEDIUM = { type: 'port_scan', severity: 'medium' }; // P3 for an analyst
const HIGH = { type: 'c2_beacon', severity: 'high' }; // P2 for a senior analyst
const CRITICAL = { type: 'malware', severity: 'critical' }; // P1 for the team lead

describe('capacity queue', () => {
  describe('overflow', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await startStack({
        name: 'capacity-overflow',
        assignment: roster([
          { id: 'lead.one', role: 'team_lead', capacity: 1 },
          { id: 'lead.two', role: 'team_lead', capacity: 1 },
          { id: 'exec.one', role: 'executive', capacity: 0 },
        ]),
      });
    });
    afterAll(async () => stack?.close());

    it('assigns a P1 above capacity when the roster is full and tells the leads', async () => {
      await openTask(stack, CRITICAL); // lead.one's one slot
      await openTask(stack, CRITICAL); // lead.two's
      const p1 = await openTask(stack, CRITICAL);
      const [assignment] = await stack.db.query<{ id: string; analyst_id: string; via: string; reason: string }[]>(
        `SELECT id, analyst_id, via, reason FROM task_assignments WHERE task_id = $1`,
        [p1.id],
      );
      const key = `task-${p1.id}:assignment:${assignment.id}`;
      const delivery = await pollUntil(
        async () => stack.webhook.deliveries.find((d) => d.body.key === key),
        (d) => d !== undefined,
        { what: 'the overflow notice at the webhook' },
      );
      expect({
        assignee: p1.assignee_id,
        via: assignment.via,
        reason: assignment.reason,
        notice: { kind: delivery!.body.kind, recipients: [...delivery!.body.recipients].sort(), title: delivery!.body.title },
      }).toEqual({
        assignee: 'lead.one',
        via: 'overflow',
        reason: expect.stringMatching(/^overflow: P1 never waits for capacity .*1 of 1 open tasks/),
        notice: {
          kind: 'assigned',
          recipients: ['lead.one', 'lead.two'],
          title: expect.stringContaining('assigned to lead.one above capacity'),
        },
      });
    });
  });

  describe('a waiting task whose priority rises to P1', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await startStack({
        name: 'capacity-rise',
        // No sweep within the test: only the rise itself can place the waiting task.
        assignment: roster(
          [
            { id: 'ana.one', role: 'analyst', capacity: 1 },
            { id: 'exec.one', role: 'executive', capacity: 0 },
          ],
          { sweep_every: '1h' },
        ),
        rules: (doc) => {
          doc.rules.unshift(
            {
              name: 'login-burst',
              match: { type: 'failed_login', threshold: { count: 3, within: '5m', by: 'sourceIp' } },
              action: 'correlate',
              priority: 'P1',
              correlate_by: ['sourceIp'],
              assign_role: 'analyst',
            },
            {
              name: 'logins',
              match: { type: 'failed_login' },
              action: 'correlate',
              priority: 'P3',
              correlate_by: ['sourceIp'],
              assign_role: 'analyst',
            },
          );
        },
      });
    });
    afterAll(async () => stack?.close());

    it('is placed above capacity as soon as it is a P1, without waiting for a freed slot', async () => {
      await openTask(stack, MEDIUM); // ana.one's one slot
      const ip = uniqueIp();
      // Distinct users, so no login is a repeat of another.
      const login = (i: number) => alert({ type: 'failed_login', sourceIp: ip, user: `user${i}`, title: 'SSH login failed' });
      const waiting = await openTask(stack, { type: 'failed_login', sourceIp: ip, user: 'user0', title: 'SSH login failed' });
      expect([waiting.priority, waiting.assignee_id]).toEqual(['P3', null]);

      // The third failed login from the address is a burst: the incident, and its waiting task, become P1.
      const burst = await stack.ingest('POST', '/v1/alerts', [login(1), login(2)]);
      expect(burst.body.results.map((r: { incidentId: string }) => r.incidentId)).toEqual([waiting.incident_id, waiting.incident_id]);
      const placed = await stack.task(waiting.incident_id, (t) => t.assignee_id !== null, 'the risen task to be assigned');
      const [assignment] = await stack.db.query<{ analyst_id: string; via: string; actor: string }[]>(
        `SELECT analyst_id, via, actor FROM task_assignments WHERE task_id = $1 AND analyst_id IS NOT NULL`,
        [waiting.id],
      );
      expect({ priority: placed.priority, assignment }).toEqual({
        priority: 'P1',
        assignment: { analyst_id: 'ana.one', via: 'overflow', actor: 'queue' },
      });
    });
  });

  describe('a resolve frees a slot', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await startStack({
        name: 'capacity-drain',
        assignment: roster([
          { id: 'ana.one', role: 'analyst', capacity: 1 },
          { id: 'sen.one', role: 'senior_analyst', capacity: 1 },
          { id: 'exec.one', role: 'executive', capacity: 0 },
        ]),
      });
    });
    afterAll(async () => stack?.close());

    it('goes to the most urgent, then oldest, waiting task, and its workflow tells the new assignee', async () => {
      await openTask(stack, MEDIUM); // ana.one's slot
      const busy = await openTask(stack, HIGH); // sen.one's slot
      // Waiting, in this order of age: an old P3, a P2, a newer P3, a newer P2.
      const waiting: TaskState[] = [];
      for (const fields of [MEDIUM, HIGH, MEDIUM, HIGH]) waiting.push(await openTask(stack, fields));

      const senior = await stack.as('sen.one');
      const resolved = await senior('POST', `/v1/tasks/${busy.id}/resolve`, { disposition: 'benign' });
      const notices = await pollUntil(
        () => stack.notifications(waiting[1].id),
        (n) => n.some((x) => x.kind === 'assigned' && x.sent),
        { what: 'the notice for the drained task' },
      );
      const [drained] = await stack.db.query<{ analyst_id: string; actor: string; via: string }[]>(
        `SELECT analyst_id, actor, via FROM task_assignments WHERE task_id = $1 AND analyst_id IS NOT NULL`,
        [waiting[1].id],
      );
      expect({
        resolved: resolved.status,
        waitingPriorities: waiting.map((t) => [t.priority, t.assignee_id]),
        assigneesAfter: await Promise.all(waiting.map((t) => assigneeOf(stack, t.id))),
        drained,
        notice: notices.filter((x) => x.kind === 'assigned').map((x) => x.recipients),
      }).toEqual({
        resolved: 200,
        waitingPriorities: [
          ['P3', null],
          ['P2', null],
          ['P3', null],
          ['P2', null],
        ],
        assigneesAfter: [null, 'sen.one', null, null],
        drained: { analyst_id: 'sen.one', actor: 'queue', via: 'role' },
        notice: [['sen.one']],
      });
    });
  });

  describe('two api replicas', () => {
    const CAPACITY = 2;
    const ANALYSTS = ['ana.one', 'ana.two', 'ana.three'];
    let stack: Stack;
    let second: RunningApi;

    beforeAll(async () => {
      stack = await startStack({
        name: 'capacity-replicas',
        assignment: roster([
          ...ANALYSTS.map((id) => ({ id, role: 'analyst', capacity: CAPACITY })),
          { id: 'exec.one', role: 'executive', capacity: 0 },
        ]),
      });
      second = await startApi(stack.env);
    });
    afterAll(async () => {
      await second?.close();
      await stack?.close();
    });

    /** The most open tasks each analyst ever held, replaying assignments and resolves in the order they committed. */
    async function peakLoad(): Promise<Record<string, number>> {
      // Every assignment and every resolve writes its audit row under the one assignment lock, so ids follow commit order.
      const events = await stack.db.query<{ action: string; subject_id: string; after: { assignee?: string } }[]>(
        `SELECT action, subject_id, after FROM audit_log WHERE subject_type = 'task' AND action IN ('task.assigned', 'task.resolved') ORDER BY id`,
      );
      const holder = new Map<string, string>();
      const load: Record<string, number> = {};
      const peak: Record<string, number> = {};
      for (const e of events) {
        const previous = holder.get(e.subject_id);
        if (previous) load[previous]--;
        holder.delete(e.subject_id);
        if (e.action === 'task.assigned' && e.after.assignee) {
          const who = e.after.assignee;
          holder.set(e.subject_id, who);
          load[who] = (load[who] ?? 0) + 1;
          peak[who] = Math.max(peak[who] ?? 0, load[who]);
        }
      }
      return peak;
    }

    it('resolving concurrently never books an analyst above capacity and gives each waiting task one assignment', async () => {
      const total = ANALYSTS.length * CAPACITY * 3;
      const res = await stack.ingest(
        'POST',
        '/v1/alerts',
        Array.from({ length: total }, () => alert({ ...MEDIUM, sourceIp: uniqueIp() })),
      );
      const tasks = await stack.firstAssignments(res.body.results.map((r: { incidentId: string }) => r.incidentId));
      const waiting = tasks.filter((t) => t.assignee_id === null).map((t) => t.id);

      const leadKey = (await createApiKey(stack.db, 'lead', ['lead'])).key;
      const replicas = [client(stack.api.url, leadKey), client(second.url, leadKey)];
      // Rounds: every assigned task is resolved at once, alternating between the replicas,
      // until nothing waits; each resolve drains the queue in its own transaction.
      const answers: number[] = [];
      for (let round = 0; round < total; round++) {
        const [{ left }] = await stack.db.query<{ left: number }[]>(`SELECT count(*)::int AS left FROM tasks WHERE assignee_id IS NULL`);
        const assigned = await stack.db.query<{ id: string }[]>(`SELECT id FROM tasks WHERE status = 'assigned'`);
        if (left === 0 || assigned.length === 0) break;
        const results = await Promise.all(
          assigned.map((t, i) => replicas[i % 2]('POST', `/v1/tasks/${t.id}/resolve`, { disposition: 'benign' })),
        );
        answers.push(...results.map((r) => r.status));
      }

      const perTask = await stack.db.query<{ n: number }[]>(
        `SELECT count(a.id)::int AS n FROM unnest($1::uuid[]) AS w(id)
           LEFT JOIN task_assignments a ON a.task_id = w.id AND a.analyst_id IS NOT NULL GROUP BY w.id`,
        [waiting],
      );
      expect({
        waited: waiting.length,
        resolves: new Set(answers),
        peak: await peakLoad(),
        assignmentsPerWaitingTask: perTask.map((r) => r.n),
      }).toEqual({
        waited: total - ANALYSTS.length * CAPACITY,
        resolves: new Set([200]),
        peak: Object.fromEntries(ANALYSTS.map((id) => [id, CAPACITY])),
        assignmentsPerWaitingTask: waiting.map(() => 1),
      });
    });
  });

  describe('the worker sweep', () => {
    let stack: Stack;
    let sweeper: INestApplicationContext | undefined;
    let config: { dir: string; remove(): void } | undefined;
    /** The roster with ana.one away until `to`. */
    const awayUntil = (to: string) =>
      roster(
        [
          { id: 'ana.one', role: 'analyst', capacity: 1, out_of_office: [{ from: '2025-01-01T00:00:00Z', to }] },
          { id: 'exec.one', role: 'executive', capacity: 0 },
        ],
        { sweep_every: '1s' },
      );

    beforeAll(async () => {
      // The stack's own worker sees her away for good, so only the sweeper below can give her the task.
      stack = await startStack({ name: 'capacity-sweep', assignment: awayUntil('2100-01-01T00:00:00Z') });
    });
    afterAll(async () => {
      await sweeper?.close();
      config?.remove();
      await stack?.close();
    });

    it('assigns a waiting task once an out-of-office ends, and its workflow tells the analyst', async () => {
      const task = await openTask(stack, MEDIUM);
      expect(task.assignee_id).toBeNull();
      // A second worker whose roster has her back two seconds from now, whenever the task started waiting.
      const backAt = new Date(Date.now() + 2000);
      config = testConfigDir({ assignment: awayUntil(backAt.toISOString()) });
      sweeper = await NestFactory.createApplicationContext(WorkerModule.forRoot({ ...stack.env, WARDEN_CONFIG_DIR: config.dir }), {
        logger: false,
      });
      const notices = await pollUntil(
        () => stack.notifications(task.id),
        (n) => n.some((x) => x.kind === 'assigned' && x.sent),
        { what: 'the notice after the absence ended', timeoutMs: 30_000 },
      );
      const [drained] = await stack.db.query<{ analyst_id: string; actor: string; assigned_at: Date }[]>(
        `SELECT analyst_id, actor, assigned_at FROM task_assignments WHERE task_id = $1 AND analyst_id IS NOT NULL`,
        [task.id],
      );
      expect({
        drained: { analyst: drained.analyst_id, actor: drained.actor, afterReturn: drained.assigned_at >= backAt },
        notice: notices.filter((x) => x.kind === 'assigned').map((x) => x.recipients),
      }).toEqual({
        drained: { analyst: 'ana.one', actor: 'queue', afterReturn: true },
        notice: [['ana.one']],
      });
    });
  });
});
