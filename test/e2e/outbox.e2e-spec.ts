import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { OutboxDispatcher } from '../../src/outbox/outbox-dispatcher.service';
import { incidentWorkflowId } from '../../src/domain';
import {
  client,
  createKey,
  pollUntil,
  RunningApi,
  RunningWorker,
  startApi,
  startWorker,
  testEnv,
  uniqueTaskQueue,
} from '../support/harness';
import { uniqueIp } from '../support/ips';
import { isolatedDatabase } from '../support/isolated';
import { TcpProxy } from '../support/tcp-proxy';

const root = join(__dirname, '..', '..');

/** The CLI as an operator runs it, against `databaseUrl`. */
const warden = (databaseUrl: string, ...args: string[]) =>
  promisify(execFile)(process.execPath, ['-r', 'ts-node/register', join(root, 'src', 'cli', 'warden.ts'), ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });

describe('outbox delivery to incident workflows', () => {
  const temporalAddress = process.env.TEMPORAL_ADDRESS!;
  const proxy = new TcpProxy('127.0.0.1', Number(temporalAddress.split(':')[1]));
  const taskQueue = uniqueTaskQueue('outbox');
  let api: RunningApi;
  let worker: RunningWorker;
  let db: DataSource;
  let temporal: Client;
  let connection: Connection;
  let http: ReturnType<typeof client>;
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;

  beforeAll(async () => {
    // A database of its own: a dispatcher delivers every pending row it finds.
    database = await isolatedDatabase();
    await proxy.start();
    // The api reaches Temporal through a proxy the test can cut; the worker talks to it directly.
    const env = testEnv({
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: `127.0.0.1:${proxy.port}`,
      TEMPORAL_TASK_QUEUE: taskQueue,
      OUTBOX_DISPATCHER_ENABLED: 'true',
      OUTBOX_POLL_INTERVAL_MS: '100',
      OUTBOX_MAX_BACKOFF_SECONDS: '1',
    });
    api = await startApi(env);
    worker = await startWorker(testEnv({ DATABASE_URL: database.url, TEMPORAL_TASK_QUEUE: taskQueue }));
    db = await new DataSource(dataSourceOptions(env.DATABASE_URL, 2)).initialize();
    connection = await Connection.connect({ address: temporalAddress });
    temporal = new Client({ connection });
    http = client(api.url, await createKey(env, ['ingest']));
  });
  afterAll(async () => {
    await api?.close();
    await worker?.stop();
    await connection?.close();
    await db?.destroy();
    await proxy.stop();
    await database?.drop();
  });

  const post = async (body: Record<string, unknown>) => {
    const res = await http('POST', '/v1/alerts', { source: 'ids-1', type: 'port_scan', severity: 'medium', title: 'Port scan', ...body });
    expect(res.status).toBe(202);
    return res.body as { alertId: string; incidentId: string; status: string };
  };
  const status = (incidentId: string) =>
    temporal.workflow.getHandle(incidentWorkflowId(incidentId)).query<{ changes: number; severity: string; alertCount: number }>('status');

  it('starts the workflow for a new incident and signals only meaningful changes, never once per duplicate', async () => {
    const sourceIp = uniqueIp();
    const { incidentId } = await post({ sourceIp });
    expect(
      await pollUntil(
        () => status(incidentId),
        (s) => s.changes === 1,
        { what: 'workflow started' },
      ),
    ).toMatchObject({ severity: 'medium' });

    // 25 repeats signal once, when the count passes the milestone of 10.
    for (let i = 0; i < 25; i++) expect((await post({ sourceIp })).status).toBe('duplicate');
    await pollUntil(
      () => status(incidentId),
      (s) => s.changes === 2,
      { what: 'count milestone signalled' },
    );
    expect(
      await db.query(
        `SELECT payload->'changes'->'countMilestone' AS milestone FROM outbox WHERE incident_id = $1 AND kind = 'alerts_changed'`,
        [incidentId],
      ),
    ).toEqual([{ milestone: 10 }]);
    await post({ sourceIp, severity: 'high', type: 'web_attack', title: 'XSS' });
    const after = await pollUntil(
      () => status(incidentId),
      (s) => s.changes === 3,
      { what: 'severity rise signalled' },
    );
    expect(after).toMatchObject({ severity: 'high', alertCount: 27 });

    const history = await temporal.workflow.getHandle(incidentWorkflowId(incidentId)).fetchHistory();
    const signals = history.events!.filter((e) => e.workflowExecutionSignaledEventAttributes);
    expect(signals).toHaveLength(3);
    const pending = await db.query('SELECT count(*)::int AS n FROM outbox WHERE incident_id = $1 AND delivered_at IS NULL', [incidentId]);
    expect(pending).toEqual([{ n: 0 }]);
  });

  it('accepts alerts while Temporal is unreachable and delivers every pending row once it is back', async () => {
    await proxy.stop();
    const accepted = [];
    for (let i = 0; i < 5; i++) accepted.push(await post({ sourceIp: uniqueIp(), title: `during outage ${i}` }));
    const ids = accepted.map((a) => a.incidentId);
    // The dispatcher tried, failed and backed off every row; nothing was lost.
    await pollUntil(
      () =>
        db.query(
          'SELECT count(*)::int AS n, max(attempts)::int AS attempts FROM outbox WHERE incident_id = ANY($1::uuid[]) AND delivered_at IS NULL AND last_error IS NOT NULL',
          [ids],
        ),
      ([r]) => r.n === 5 && r.attempts >= 1,
      { what: 'failed delivery attempts recorded' },
    );
    expect(await db.query('SELECT count(*)::int AS n FROM alerts WHERE id = ANY($1::uuid[])', [accepted.map((a) => a.alertId)])).toEqual([
      { n: 5 },
    ]);

    await proxy.start();
    await pollUntil(
      () => db.query('SELECT count(*)::int AS n FROM outbox WHERE incident_id = ANY($1::uuid[]) AND delivered_at IS NOT NULL', [ids]),
      ([r]) => r.n === 5,
      { timeoutMs: 30_000, what: 'outbox drained after Temporal came back' },
    );
    for (const id of ids)
      expect(
        await pollUntil(
          () => status(id),
          (s) => s.changes === 1,
          { what: `workflow ${id}` },
        ),
      ).toBeTruthy();
  });
});

/**
 * The dispatcher batch by batch, with no worker on the task queue: workflows are only started
 * and signalled, and their histories show exactly which rows reached them.
 */
describe('outbox leases and dead letters', () => {
  const taskQueue = uniqueTaskQueue('outbox-lease');
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  let db: DataSource;
  let connection: Connection;
  const dispatchers: OutboxDispatcher[] = [];

  beforeAll(async () => {
    database = await isolatedDatabase();
    db = await new DataSource(dataSourceOptions(database.url, 2)).initialize();
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  });
  afterEach(async () => {
    // Nothing a test left pending may reach the next one's dispatcher.
    await db.query(`UPDATE outbox SET delivered_at = now() WHERE delivered_at IS NULL`);
    for (const d of dispatchers.splice(0)) await d.onModuleDestroy();
  });
  afterAll(async () => {
    await connection?.close();
    await db?.destroy();
    await database?.drop();
  });

  /** A dispatcher that is not started: the test calls deliverBatch. */
  function dispatcher(overrides: Record<string, string> = {}, temporal = new Client({ connection })) {
    const env = testEnv({ DATABASE_URL: database.url, TEMPORAL_TASK_QUEUE: taskQueue, OUTBOX_MAX_BACKOFF_SECONDS: '1', ...overrides });
    const d = new OutboxDispatcher(temporal, env);
    dispatchers.push(d);
    return d;
  }

  /** One incident's rows in order; returns their ids. */
  async function write(incidentId: string, kinds: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const kind of kinds) {
      const [{ id }] = await db.query(`INSERT INTO outbox (incident_id, kind, priority) VALUES ($1, $2, 'P3') RETURNING id`, [
        incidentId,
        kind,
      ]);
      ids.push(String(id));
    }
    return ids;
  }

  /** The outbox ids an incident's workflow was signalled with, in order. */
  async function signalled(incidentId: string): Promise<string[]> {
    const history = await new Client({ connection }).workflow.getHandle(incidentWorkflowId(incidentId)).fetchHistory();
    return history
      .events!.filter((e) => e.workflowExecutionSignaledEventAttributes)
      .map((e) => {
        const [payload] = e.workflowExecutionSignaledEventAttributes!.input!.payloads!;
        return String((JSON.parse(Buffer.from(payload.data!).toString()) as { outboxId: number }).outboxId);
      });
  }

  const rowsOf = (ids: string[]) =>
    db.query(
      `SELECT id::text, delivered_at IS NOT NULL AS delivered, attempts, failures, last_error, available_at <= now() AS available,
              dead_lettered_at IS NOT NULL AS dead FROM outbox WHERE id = ANY($1::bigint[]) ORDER BY id`,
      [ids],
    );

  it('starts no signal the lease has no room for, and hands the rows not started back at once', async () => {
    const incidentId = randomUUID();
    const ids = await write(incidentId, Array(6).fill('alerts_changed'));
    // Every signal takes its whole timeout (2 s) by the dispatcher's clock; the lease is 10 s.
    const temporal = new Client({ connection });
    let now = 0;
    const started: number[] = [];
    const signal = temporal.workflow.signalWithStart.bind(temporal.workflow);
    jest.spyOn(temporal.workflow, 'signalWithStart').mockImplementation(async (workflow, options) => {
      started.push(now);
      try {
        return await signal(workflow, options);
      } finally {
        now += 2000;
      }
    });
    const d = dispatcher({ OUTBOX_LEASE_SECONDS: '10', OUTBOX_SIGNAL_TIMEOUT_SECONDS: '2', OUTBOX_CONCURRENCY: '1' }, temporal);
    d.clock = () => now;

    expect(await d.deliverBatch()).toBe(6);
    // Signals start at 0, 2, 4 and 6 s; at 8 s only 2 s of the lease are left, less than a signal may take plus the margin.
    expect(started).toEqual([0, 2000, 4000, 6000]);
    expect(await signalled(incidentId)).toEqual(ids.slice(0, 4));
    const handedBack = { delivered: false, attempts: 0, failures: 0, last_error: null, available: true, dead: false };
    expect(await rowsOf(ids)).toEqual([
      ...ids.slice(0, 4).map((id) => expect.objectContaining({ id, delivered: true, attempts: 1 })),
      ...ids.slice(4).map((id) => ({ id, ...handedBack })),
    ]);

    // Another replica takes the rest at once (no waiting out the lease), and every row reached the workflow exactly once.
    expect(await dispatcher().deliverBatch()).toBe(2);
    expect(await signalled(incidentId)).toEqual(ids);
  });

  it("dead-letters a row refused OUTBOX_MAX_FAILURES times, and the incident's later rows go on without it", async () => {
    const incidentId = randomUUID();
    // A kind this version does not know, as a newer replica might write, then an ordinary change.
    const [unknown, later] = await write(incidentId, ['containment_requested', 'alerts_changed']);
    const d = dispatcher({ OUTBOX_MAX_FAILURES: '3' });
    // While the first row is retried, the row behind it waits its turn: never tried.
    await d.deliverBatch();
    expect(await rowsOf([unknown, later])).toEqual([
      expect.objectContaining({ id: unknown, delivered: false, attempts: 1, failures: 1, dead: false }),
      expect.objectContaining({ id: later, delivered: false, attempts: 0, failures: 0, dead: false }),
    ]);
    await pollUntil(
      async () => {
        await d.deliverBatch();
        return rowsOf([unknown, later]);
      },
      ([first, second]) => first.dead && second.delivered,
      { what: 'the unknown kind dead-lettered and the later row delivered' },
    );
    expect(await rowsOf([unknown, later])).toEqual([
      {
        id: unknown,
        delivered: false,
        attempts: 3,
        failures: 3,
        last_error: 'unknown outbox kind "containment_requested"',
        available: false,
        dead: true,
      },
      expect.objectContaining({ id: later, delivered: true, attempts: 1, failures: 0, dead: false }),
    ]);
    expect(await signalled(incidentId)).toEqual([later]);
    // Out of the line for good: no batch takes it again.
    expect(await d.deliverBatch()).toBe(0);
  });

  it('dead-letters rows Temporal refuses, and `warden outbox redrive` delivers them once the cause is fixed', async () => {
    const incidentId = randomUUID();
    const [id] = await write(incidentId, ['incident_opened']);
    // A replica configured with a namespace Temporal does not have: every signal is refused.
    const misconfigured = dispatcher(
      { OUTBOX_MAX_FAILURES: '2' },
      new Client({ connection, namespace: `no-such-namespace-${randomUUID()}` }),
    );
    const [dead] = await pollUntil(
      async () => {
        await misconfigured.deliverBatch();
        return rowsOf([id]);
      },
      ([row]) => row.dead,
      { what: 'the refused row dead-lettered' },
    );
    expect(dead).toMatchObject({ delivered: false, attempts: 2, failures: 2, dead: true, last_error: expect.stringMatching(/namespace/i) });

    // Fixed, the operator re-drives the row; a correctly configured replica delivers it, once.
    const redriven = await warden(database.url, 'outbox', 'redrive', '--id', id);
    expect(redriven.stdout.trim()).toBe(id);
    expect(redriven.stderr).toContain('re-driven 1 dead-lettered outbox row(s)');
    expect(await rowsOf([id])).toEqual([expect.objectContaining({ delivered: false, failures: 0, available: true, dead: false })]);
    expect(await dispatcher().deliverBatch()).toBe(1);
    expect(await rowsOf([id])).toEqual([expect.objectContaining({ delivered: true, dead: false })]);
    expect(await signalled(incidentId)).toEqual([id]);

    // Only dead letters are re-driven.
    await expect(warden(database.url, 'outbox', 'redrive', '--id', id)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`--id: no dead-lettered outbox row ${id}`),
    });
  });
});
