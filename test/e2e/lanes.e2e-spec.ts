import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { incidentWorkflowId, type Priority } from '../../src/domain';
import { OutboxDispatcher } from '../../src/outbox/outbox-dispatcher.service';
import { enqueue } from '../../src/outbox/outbox';
import { client, createKey, pollUntil, RunningApi, startApi, testEnv, uniqueTaskQueue } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { isolatedDatabase } from '../support/isolated';

/**
 * Priority lanes in the outbox: P1 rows are leased and delivered before an older backlog of
 * P3/P4 rows, each incident's rows in id order, and the workflow starts at the Temporal
 * priority of its incident. No worker polls the suite's task queue: the workflows are only
 * started and signalled, and the order of deliveries is what the dispatcher's Temporal client
 * was asked to do, call by call.
 */
describe('outbox priority lanes', () => {
  const taskQueue = uniqueTaskQueue('lanes');
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  let db: DataSource;
  let connection: Connection;
  let api: RunningApi;
  const dispatchers: OutboxDispatcher[] = [];

  beforeAll(async () => {
    database = await isolatedDatabase();
    db = await new DataSource(dataSourceOptions(database.url, 2)).initialize();
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    // The api's own dispatcher stays off: each test drives one of its own, batch by batch.
    api = await startApi(testEnv({ DATABASE_URL: database.url, TEMPORAL_TASK_QUEUE: taskQueue }));
  });
  afterEach(async () => {
    // Nothing a test left pending may reach the next one's dispatcher.
    await db.query(`UPDATE outbox SET delivered_at = now() WHERE delivered_at IS NULL`);
    for (const d of dispatchers.splice(0)) await d.onModuleDestroy();
  });
  afterAll(async () => {
    await api?.close();
    await connection?.close();
    await db?.destroy();
    await database?.drop();
  });

  /** A dispatcher (not started: the test calls deliverBatch) whose signalWithStart calls are recorded in order. */
  function dispatcher(overrides: Record<string, string> = {}) {
    const temporal = new Client({ connection });
    const calls: { outboxId: number; incidentId: string }[] = [];
    let inFlight = 0;
    let peak = 0;
    const fail = new Set<number>();
    const original = temporal.workflow.signalWithStart.bind(temporal.workflow);
    jest.spyOn(temporal.workflow, 'signalWithStart').mockImplementation(async (workflow, options) => {
      const { outboxId } = options.signalArgs![0] as { outboxId: number };
      calls.push({ outboxId, incidentId: (options.args![0] as { incidentId: string }).incidentId });
      if (fail.delete(outboxId)) throw new Error(`refused ${outboxId}`);
      peak = Math.max(peak, ++inFlight);
      try {
        return await original(workflow, options);
      } finally {
        inFlight--;
      }
    });
    const env = testEnv({
      DATABASE_URL: database.url,
      TEMPORAL_TASK_QUEUE: taskQueue,
      OUTBOX_MAX_BACKOFF_SECONDS: '1',
      ...overrides,
    });
    const d = new OutboxDispatcher(temporal, env);
    dispatchers.push(d);
    return {
      calls,
      fail,
      peak: () => peak,
      temporal,
      /** Delivers batch after batch until nothing is left that is due now. */
      async drain() {
        while ((await d.deliverBatch()) > 0);
      },
      deliverBatch: () => d.deliverBatch(),
    };
  }

  /** Rows through the one writer, in the order given; returns their ids. */
  async function write(rows: { incidentId: string; priority?: Priority }[]): Promise<number[]> {
    const [{ max }] = await db.query(`SELECT coalesce(max(id), 0)::int AS max FROM outbox`);
    for (const r of rows) await enqueue(db, [{ incidentId: r.incidentId, kind: 'alerts_changed', payload: {}, priority: r.priority }]);
    const written = await db.query(`SELECT id::int AS id FROM outbox WHERE id > $1 ORDER BY id`, [max]);
    return written.map((w: { id: number }) => w.id);
  }

  it('leases and delivers a P1 row before an older backlog of P3 and P4 rows, and starts its workflow at priority 1', async () => {
    const backlog = Array.from({ length: 12 }, (_, i) => ({ incidentId: randomUUID(), priority: (i % 2 ? 'P4' : 'P3') as Priority }));
    const backlogIds = await write(backlog);
    const urgent = { incidentId: randomUUID(), priority: 'P1' as Priority };
    const [urgentId] = await write([urgent]);
    expect(urgentId).toBeGreaterThan(Math.max(...backlogIds));

    // One at a time and 5 per lease: the order of signals is the order of the lanes.
    const d = dispatcher({ OUTBOX_BATCH_SIZE: '5', OUTBOX_CONCURRENCY: '1' });
    expect(await d.deliverBatch()).toBe(5);
    expect(d.calls[0]).toEqual({ outboxId: urgentId, incidentId: urgent.incidentId });
    await d.drain();

    const p3 = backlogIds.filter((_, i) => backlog[i].priority === 'P3');
    const p4 = backlogIds.filter((_, i) => backlog[i].priority === 'P4');
    expect(d.calls.map((c) => c.outboxId)).toEqual([urgentId, ...p3, ...p4]);
    expect(await db.query(`SELECT count(*)::int AS n FROM outbox WHERE delivered_at IS NULL`)).toEqual([{ n: 0 }]);

    // Temporal got each incident's priority: P1 → 1, P3 → 3, P4 → 4.
    const startedAt = async (incidentId: string) => {
      const history = await d.temporal.workflow.getHandle(incidentWorkflowId(incidentId)).fetchHistory();
      return history.events![0].workflowExecutionStartedEventAttributes!.priority?.priorityKey;
    };
    expect(await startedAt(urgent.incidentId)).toBe(1);
    expect(await startedAt(backlog[0].incidentId)).toBe(3);
    expect(await startedAt(backlog[1].incidentId)).toBe(4);
  });

  it("writes a row in its incident's lane, and raises the incident's older pending rows when its priority rises", async () => {
    const http = client(api.url, await createKey(testEnv({ DATABASE_URL: database.url }), ['ingest']));
    const res = await http('POST', '/v1/alerts', {
      source: 'ids-1',
      type: 'port_scan',
      severity: 'medium',
      title: 'scan',
      sourceIp: uniqueIp(),
    });
    expect(res.status).toBe(202);
    const { incidentId, priority } = res.body as { incidentId: string; priority: Priority };
    // The ingest transaction wrote the incident's opening row in the incident's lane.
    expect(await db.query(`SELECT priority FROM outbox WHERE incident_id = $1`, [incidentId])).toEqual([{ priority }]);

    await db.query(`UPDATE incidents SET priority = 'P4' WHERE id = $1`, [incidentId]);
    await db.query(`UPDATE outbox SET priority = 'P4' WHERE incident_id = $1`, [incidentId]);
    await write([{ incidentId }]);
    await db.query(`UPDATE incidents SET priority = 'P1' WHERE id = $1`, [incidentId]);
    await write([{ incidentId }]);
    expect(await db.query(`SELECT priority FROM outbox WHERE incident_id = $1 ORDER BY id`, [incidentId])).toEqual([
      { priority: 'P1' },
      { priority: 'P1' },
      { priority: 'P1' },
    ]);
    // A row without an incident row falls in the last lane.
    const orphan = randomUUID();
    await write([{ incidentId: orphan }]);
    expect(await db.query(`SELECT priority FROM outbox WHERE incident_id = $1`, [orphan])).toEqual([{ priority: 'P4' }]);
  });

  it("delivers several incidents at once, each incident's rows in id order", async () => {
    const incidents = Array.from({ length: 6 }, () => randomUUID());
    // Interleaved: a, b, c, …, a, b, c, … three rounds.
    const ids = await write([0, 1, 2].flatMap(() => incidents.map((incidentId) => ({ incidentId, priority: 'P3' as Priority }))));
    const d = dispatcher({ OUTBOX_BATCH_SIZE: '100', OUTBOX_CONCURRENCY: '4' });
    await d.drain();

    expect(d.calls.map((c) => c.outboxId).sort((a, b) => a - b)).toEqual(ids);
    for (const incidentId of incidents) {
      const own = d.calls.filter((c) => c.incidentId === incidentId).map((c) => c.outboxId);
      expect(own).toEqual([...own].sort((a, b) => a - b));
      expect(own).toHaveLength(3);
    }
    expect(d.peak()).toBe(4);
  });

  it("holds back a failed row's incident, and only that incident, until the row is delivered", async () => {
    const [stuck, other] = [randomUUID(), randomUUID()];
    const [first, second, otherId] = await write([
      { incidentId: stuck, priority: 'P2' },
      { incidentId: stuck, priority: 'P2' },
      { incidentId: other, priority: 'P2' },
    ]);
    const d = dispatcher({ OUTBOX_CONCURRENCY: '2' });
    d.fail.add(first);
    await d.deliverBatch();
    // The failed row backs off; the row behind it, never tried, waits behind it; the other incident went through.
    expect(d.calls.map((c) => c.outboxId).sort()).toEqual([first, otherId].sort());
    const pending = await db.query(`SELECT id::int AS id, attempts, last_error FROM outbox WHERE delivered_at IS NULL ORDER BY id`);
    expect(pending).toEqual([
      { id: first, attempts: 1, last_error: `refused ${first}` },
      { id: second, attempts: 0, last_error: null },
    ]);

    // Once the backoff runs out, both go, the older one first.
    await pollUntil(
      async () => {
        await d.deliverBatch();
        return db.query(`SELECT count(*)::int AS n FROM outbox WHERE delivered_at IS NULL`);
      },
      ([r]) => r.n === 0,
      { what: 'held-back rows delivered after the backoff' },
    );
    expect(d.calls.filter((c) => c.incidentId === stuck).map((c) => c.outboxId)).toEqual([first, first, second]);
  });
});
