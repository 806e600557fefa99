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

    // 25 repeats signal once, when the count reaches the milestone of 10.
    for (let i = 0; i < 25; i++) expect((await post({ sourceIp })).status).toBe('duplicate');
    expect(
      await pollUntil(
        () => status(incidentId),
        (s) => s.changes === 2,
        { what: 'count milestone signalled' },
      ),
    ).toMatchObject({ alertCount: 10 });
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

  it('prunes delivered rows past the retention, and only those', async () => {
    const { incidentId } = await post({ sourceIp: uniqueIp(), title: 'to prune' });
    await pollUntil(
      () => db.query('SELECT delivered_at FROM outbox WHERE incident_id = $1', [incidentId]),
      ([r]) => !!r?.delivered_at,
      { what: 'delivered' },
    );
    const [{ id: pending }] = await db.query(
      `INSERT INTO outbox (incident_id, kind, available_at) VALUES ($1, 'alerts_changed', now() + interval '1 day') RETURNING id`,
      [incidentId],
    );
    await db.query(`UPDATE outbox SET delivered_at = now() - interval '400 hours' WHERE incident_id = $1 AND delivered_at IS NOT NULL`, [
      incidentId,
    ]);
    const dispatcher = api.app.get(OutboxDispatcher);
    expect(await dispatcher.prune()).toBeGreaterThanOrEqual(1);
    expect(await db.query('SELECT id FROM outbox WHERE incident_id = $1', [incidentId])).toEqual([{ id: pending }]);
    await db.query('DELETE FROM outbox WHERE id = $1', [pending]);
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
