import { pollUntil, RunningWorker, startWorker, untilFolded } from '../support/harness';
import { alert, startStack, Stack } from '../support/stack';

// Storm folding and priority lanes together, on the real api, outbox dispatcher, Temporal
// server and worker: a storm folds into a handful of incidents, and a critical alert posted
// while a storm's incidents are still being delivered overtakes them.
describe('alert storms', () => {
  let stack: Stack;
  let worker: RunningWorker | undefined;
  const TARGET = '192.0.2.50';

  beforeAll(async () => {
    stack = await startStack({
      name: 'storm',
      rules: (doc) => {
        doc.rules.unshift(
          {
            name: 'scan-storm',
            match: { type: 'port_scan' },
            action: 'correlate',
            priority: 'P4',
            correlate_by: ['sourceIp'],
            storm: { threshold: 5, within: '10m', quiet: '10m', key_by: ['destinationIp'] },
          },
          {
            name: 'probe-storm',
            match: { type: ['ssh_probe', 'high_load'] },
            action: 'correlate',
            priority: 'P3',
            correlate_by: ['sourceIp'],
            storm: { threshold: 20, within: '10m', quiet: '10m' },
          },
          {
            name: 'beacon-storm',
            match: { type: ['beacon', 'dns_noise'] },
            action: 'correlate',
            priority: 'P4',
            correlate_by: ['sourceIp'],
            storm: { threshold: 3, within: '2s', quiet: '2s' },
          },
          {
            name: 'sweep',
            match: { type: 'network_sweep' },
            action: 'correlate',
            priority: 'P4',
            correlate_by: ['sourceIp'],
            storm: { threshold: 300, within: '10m', quiet: '10m' },
          },
        );
      },
      // Room for every task, so the order of assignment shows the lanes and nothing else.
      assignment: (doc) => {
        for (const a of doc.analysts) if (a.capacity > 0) a.capacity = 10_000;
      },
      // The suite runs its worker itself, to hold it while a backlog builds.
      worker: false,
      // Pinned: it bounds how many storm tasks can be assigned ahead of the critical one.
      env: { WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20' },
    });
    worker = await startWorker(stack.env);
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
  });

  /** Polls until the outbox has started or signalled, in Temporal, every workflow it was given. */
  const delivered = (what: string) =>
    pollUntil(
      () => stack.db.query(`SELECT count(*)::int AS pending FROM outbox WHERE delivered_at IS NULL`),
      ([o]) => o.pending === 0,
      { what: `the outbox to deliver ${what} to Temporal`, timeoutMs: 60_000 },
    );

  /** Workflow tasks (the type Temporal describes by default) waiting in the suite's task queue, by priority key. */
  const backlog = async (): Promise<Record<string, number>> => {
    const { statsByPriorityKey } = await stack.temporal.workflowService.describeTaskQueue({
      namespace: stack.env.TEMPORAL_NAMESPACE,
      taskQueue: { name: stack.env.TEMPORAL_TASK_QUEUE },
      reportStats: true,
    });
    return Object.fromEntries(Object.entries(statsByPriorityKey ?? {}).map(([k, v]) => [k, Number(v.approximateBacklogCount ?? 0)]));
  };

  /** `count` alerts of `type`, each from its own source address in 10.<base>.0.0/16. */
  const burst = (type: string, base: number, count: number) =>
    Array.from({ length: count }, (_, i) =>
      alert({ type, severity: 'low', title: `${type} probe`, sourceIp: `10.${base}.${i >> 8}.${i & 255}`, destinationIp: TARGET }),
    );

  const post = async (alerts: Record<string, unknown>[]) => {
    for (let i = 0; i < alerts.length; i += 500) {
      const res = await stack.ingest('POST', '/v1/alerts', { alerts: alerts.slice(i, i + 500) });
      expect(res.status).toBe(202);
    }
  };

  it('folds a storm of 3,000 alerts from distinct addresses into its first incidents and one storm incident', async () => {
    await post(burst('port_scan', 1, 3000));

    const ids = await stack.db.query(`SELECT id FROM incidents WHERE opening_rule = 'scan-storm'`);
    await untilFolded(
      stack.db,
      ids.map((r: { id: string }) => r.id),
    );
    const incidents = await stack.db.query(
      `SELECT id, correlation_key, storm, alert_count, title FROM incidents WHERE opening_rule = 'scan-storm' ORDER BY first_seen_at, storm`,
    );
    expect(incidents.map((i: { storm: boolean; alert_count: number }) => [i.storm, i.alert_count])).toEqual([
      [false, 1],
      [false, 1],
      [false, 1],
      [false, 1],
      [false, 1],
      [true, 2995],
    ]);
    const storm = incidents[5];
    expect(storm.correlation_key).toBe(`storm=scan-storm|type=port_scan|source=test-sensor|destinationIp=${TARGET}`);
    expect(storm.title).toBe(
      `Alert storm: port_scan from test-sensor (rule scan-storm) on destinationIp ${TARGET} (first: port_scan probe)`,
    );

    // Outside the storm no incident mixes correlation keys: one source address each.
    const mixed = await stack.db.query(
      `SELECT a.incident_id FROM alerts a JOIN incidents i ON i.id = a.incident_id
        WHERE i.opening_rule = 'scan-storm' AND NOT i.storm GROUP BY a.incident_id HAVING count(DISTINCT a.source_ip) <> 1`,
    );
    expect(mixed).toEqual([]);

    // The storm's one task carries the storm checklist; its detail counts the sources.
    const task = await stack.task(storm.id, (t) => t.assignee_id !== null, 'assignment of the storm task');
    expect(task.checklist.map((s: { id: string }) => s.id)).toContain('storm-sources');
    const lead = await stack.as(null, ['lead']);
    const detail = await lead('GET', `/v1/incidents/${storm.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      storm: true,
      stormKind: { rule: 'scan-storm', type: 'port_scan', source: 'test-sensor' },
      priority: 'P4',
      alertCount: 2995,
      sourceIp: null,
    });
    expect(detail.body.stormSources.distinct).toBe(2995);
    expect(detail.body.stormSources.top).toHaveLength(10);
    expect(detail.body.tasks).toHaveLength(1);
  });

  it('folds only its own kind: another type from another monitor under the same rule gets an incident, task and workflow of its own', async () => {
    await post(burst('ssh_probe', 3, 300));
    const [storm] = await stack.db.query(`SELECT id FROM incidents WHERE opening_rule = 'probe-storm' AND storm`);
    expect(storm).toBeDefined();

    const other = await stack.ingest(
      'POST',
      '/v1/alerts',
      alert({
        source: 'alertmanager',
        type: 'high_load',
        severity: 'medium',
        title: 'HostHighLoad',
        host: 'web-7',
        sourceIp: '10.3.200.1',
      }),
    );
    const same = await stack.ingest('POST', '/v1/alerts', alert({ type: 'ssh_probe', title: 'ssh_probe probe', sourceIp: '10.3.200.2' }));
    expect([other.status, same.status]).toEqual([202, 202]);
    expect(same.body.incidentId).toBe(storm.id);
    expect(other.body.incidentId).not.toBe(storm.id);

    const [own] = await stack.db.query(`SELECT storm, correlation_key, types FROM incidents WHERE id = $1`, [other.body.incidentId]);
    expect(own).toEqual({ storm: false, correlation_key: 'sourceIp=10.3.200.1', types: ['high_load'] });
    // Its own workflow created its own task, and assigned it.
    const task = await stack.task(other.body.incidentId, (t) => t.assignee_id !== null, 'assignment of the high_load task');
    expect(task.incident_id).toBe(other.body.incidentId);
  });

  it('ends a storm once its own kind has been quiet for `quiet`, while other alerts of the rule keep arriving', async () => {
    // Threshold 3 within 2 s: one batch opens three incidents and folds the other two.
    await post(
      Array.from({ length: 5 }, (_, i) => alert({ type: 'beacon', severity: 'low', title: 'beacon', sourceIp: `10.4.0.${i + 1}` })),
    );
    const [storm] = await stack.db.query(`SELECT id FROM incidents WHERE opening_rule = 'beacon-storm' AND storm`);
    expect(storm).toBeDefined();

    // Another type of the same rule keeps arriving (one address, one incident) until the
    // beacons have been quiet for the storm's 2 s by the database's clock.
    await pollUntil(
      async () => {
        const res = await stack.ingest(
          'POST',
          '/v1/alerts',
          alert({ type: 'dns_noise', severity: 'low', title: 'noise', sourceIp: '10.4.1.1' }),
        );
        expect(res.status).toBe(202);
        const [row] = await stack.db.query(
          `SELECT now() - greatest(i.last_seen_at, (SELECT max(last_seen_at) FROM incident_deltas WHERE incident_id = i.id)) > interval '2 seconds' AS quiet
             FROM incidents i WHERE id = $1`,
          [storm.id],
        );
        return row.quiet as boolean;
      },
      (quiet) => quiet,
      { what: 'the beacon storm to be quiet for 2 s', intervalMs: 500 },
    );

    const next = await stack.ingest(
      'POST',
      '/v1/alerts',
      alert({ type: 'beacon', severity: 'low', title: 'beacon', sourceIp: '10.4.0.99' }),
    );
    expect(next.status).toBe(202);
    const [row] = await stack.db.query(`SELECT storm, correlation_key FROM incidents WHERE id = $1`, [next.body.incidentId]);
    expect(row).toEqual({ storm: false, correlation_key: 'sourceIp=10.4.0.99' });
  });

  it("assigns a critical alert posted behind a storm's backlog before nearly all of the backlog's tasks", async () => {
    // Hold the worker: the outbox still starts every workflow in Temporal, but nothing runs
    // them, so the storm's workflows are queued ahead of the critical's however fast the machine.
    await worker!.stop();
    worker = undefined;

    // 300 incidents open before this storm folds, plus the storm incident: 301 P4 workflows.
    await post(burst('network_sweep', 2, 1000));
    await delivered('the sweep storm');
    // The backlog: the storm's workflows all started in Temporal, none of them run.
    expect(
      await stack.db.query(
        `SELECT count(*)::int AS incidents, count(t.id)::int AS tasks
           FROM incidents i LEFT JOIN tasks t ON t.incident_id = i.id WHERE i.opening_rule = 'sweep'`,
      ),
    ).toEqual([{ incidents: 301, tasks: 0 }]);

    const critical = await stack.ingest(
      'POST',
      '/v1/alerts',
      alert({ type: 'privilege_escalation', severity: 'critical', title: 'Root shell on db-1', host: 'db-1' }),
    );
    expect(critical).toMatchObject({ status: 202, body: { priority: 'P1' } });
    // Its workflow started last, behind all 301 in arrival order. Wait until Temporal's task
    // queue holds its workflow task with the storm's (the outbox's signal returns before the
    // task reaches the queue), so the worker finds the whole backlog there when it starts.
    await delivered('the critical alert');
    await pollUntil(backlog, (b) => (b['1'] ?? 0) >= 1 && (b['4'] ?? 0) >= 301, {
      what: "the critical's and the storm's workflow tasks queued in Temporal",
      timeoutMs: 60_000,
      intervalMs: 250,
    });

    worker = await startWorker(stack.env);
    // Assignment runs under one lock and takes task_assignments ids under it, so the ids are
    // the order in which tasks were assigned: no clock involved.
    const [order] = await pollUntil(
      () =>
        stack.db.query(
          `WITH first AS (SELECT t.incident_id, min(a.id) AS id FROM tasks t JOIN task_assignments a ON a.task_id = t.id
                           WHERE a.analyst_id IS NOT NULL GROUP BY t.incident_id),
                critical AS (SELECT id FROM first WHERE incident_id = $1)
           SELECT (SELECT id FROM critical) AS critical, count(*)::int AS assigned,
                  count(*) FILTER (WHERE f.id < (SELECT id FROM critical))::int AS ahead
             FROM incidents i JOIN first f ON f.incident_id = i.id WHERE i.opening_rule = 'sweep'`,
          [critical.body.incidentId],
        ),
      ([o]) => o.critical !== null && o.assigned === 301,
      { what: 'the critical task and every task of the sweep storm to be assigned', timeoutMs: 180_000, intervalMs: 250 },
    );
    // Temporal hands out the critical's workflow task first (priorityKey 1 over 4, one task
    // queue partition), so the only storm tasks that can be assigned ahead of it are those
    // whose workflow tasks the worker took beside it: at most its workflow task slots less
    // the critical's own (a batch of assignments is planned most urgent first). Without the
    // priority, Temporal runs the queue in arrival order and nearly all 301 come first.
    expect(order.ahead).toBeLessThan(stack.env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS);
  }, 300_000);
});
