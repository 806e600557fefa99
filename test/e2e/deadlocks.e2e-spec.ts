import { pollUntil } from '../support/harness';
import { alert, startStack, Stack } from '../support/stack';

// Lock order under load (DESIGN.md, Under fire): ingest on overlapping correlation keys,
// digests gathered every few seconds and resolved (each locks all its incidents' keys),
// reassignments and resolves of incident tasks, and the workflows' assignments, all at
// once for 30 s. PostgreSQL counts every deadlock it breaks in pg_stat_database.

const LOAD_MS = 30_000;
const IPS = Array.from({ length: 24 }, (_, i) => `198.51.100.${i + 1}`);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];

describe('no deadlocks under concurrent ingest, digest resolves, reassigns and assignments', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      name: 'deadlocks',
      sla: (doc) => {
        doc.digest = { every: '3s' };
      },
    });
  });
  afterAll(async () => stack?.close());

  const deadlocks = async (): Promise<number> =>
    Number((await stack.db.query(`SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`))[0].deadlocks);

  it('answers every request without a 5xx, and PostgreSQL breaks no deadlock', async () => {
    const before = await deadlocks();
    const lead = await stack.as('marta.reyes', ['lead']);
    const statuses: Record<string, number[]> = { ingest: [], reassign: [], resolve: [], digestResolve: [] };
    const started = Date.now();
    // At least 30 s of load, and on until every kind of action has been served (digests come every 3 s).
    const served = (xs: number[]) => xs.some((s) => s < 300);
    const loading = () => Date.now() - started < LOAD_MS || !Object.values(statuses).every(served);

    // Each batch mixes alerts that correlate by source address (medium) with low ones that wait for a digest.
    const ingest = async () => {
      while (loading()) {
        const batch = Array.from({ length: 20 }, () =>
          alert({ type: 'port_scan', severity: pick(['medium', 'low', 'low']), sourceIp: pick(IPS), title: 'scan' }),
        );
        statuses.ingest.push((await stack.ingest('POST', '/v1/alerts', { alerts: batch })).status);
      }
    };
    const openTasks = (kind: 'incident' | 'digest') =>
      stack.db.query<{ id: string }[]>(
        `SELECT id FROM tasks WHERE kind = $1 AND status IN ('new', 'assigned', 'acknowledged') ORDER BY random() LIMIT 5`,
        [kind],
      );
    const act = async (kind: 'incident' | 'digest', action: 'reassign' | 'resolve', into: number[]) => {
      while (loading()) {
        const tasks = await openTasks(kind);
        if (tasks.length === 0) {
          await new Promise((r) => setTimeout(r, 50)); // nothing to act on yet: look again shortly
          continue;
        }
        const answers = await Promise.all(
          tasks.map((t) => lead('POST', `/v1/tasks/${t.id}/${action}`, action === 'resolve' ? { disposition: 'benign' } : {})),
        );
        into.push(...answers.map((a) => a.status));
      }
    };

    await Promise.all([
      ingest(),
      ingest(),
      ingest(),
      act('incident', 'reassign', statuses.reassign),
      act('incident', 'reassign', statuses.reassign),
      act('incident', 'resolve', statuses.resolve),
      act('digest', 'resolve', statuses.digestResolve),
      act('digest', 'resolve', statuses.digestResolve),
    ]);
    // Workflows go on assigning after the load stops; let the last assignments land.
    await pollUntil(
      () =>
        stack.db.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM task_assignments a WHERE a.task_id = t.id)`,
        ),
      ([r]) => r.n === 0,
      { what: 'every task to get its first assignment', timeoutMs: 60_000 },
    );

    expect({
      fiveHundreds: Object.values(statuses)
        .flat()
        .filter((s) => s >= 500).length,
      everyKindRan: Object.fromEntries(Object.entries(statuses).map(([k, xs]) => [k, served(xs)])),
      deadlocks: (await deadlocks()) - before,
    }).toEqual({
      fiveHundreds: 0,
      everyKindRan: { ingest: true, reassign: true, resolve: true, digestResolve: true },
      deadlocks: 0,
    });
  }, 180_000);
});
