import { pollUntil } from '../support/harness';
import { alert, startStack, Stack } from '../support/stack';

// Storm folding and priority lanes together, on the real api, outbox dispatcher, Temporal
// server and worker: a storm folds into a handful of incidents, and a critical alert posted
// while a storm's incidents are still being delivered overtakes them.
describe('alert storms', () => {
  let stack: Stack;
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
    });
  });
  afterAll(async () => stack?.close());

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
    expect(storm.correlation_key).toBe(`storm=scan-storm|destinationIp=${TARGET}`);

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
    expect(detail.body).toMatchObject({ storm: true, priority: 'P4', alertCount: 2995, sourceIp: null });
    expect(detail.body.stormSources.distinct).toBe(2995);
    expect(detail.body.stormSources.top).toHaveLength(10);
    expect(detail.body.tasks).toHaveLength(1);
  });

  it('assigns a critical alert posted behind a storm before the storm backlog is delivered', async () => {
    // 300 incidents open before this storm folds: a backlog of P4 workflows to deliver.
    await post(burst('network_sweep', 2, 1000));
    const critical = await stack.ingest(
      'POST',
      '/v1/alerts',
      alert({ type: 'privilege_escalation', severity: 'critical', title: 'Root shell on db-1', host: 'db-1' }),
    );
    expect(critical).toMatchObject({ status: 202, body: { priority: 'P1' } });

    const criticalTask = await stack.task(critical.body.incidentId, (t) => t.assignee_id !== null, 'assignment of the critical task');
    const backlog = await pollUntil(
      () =>
        stack.db.query(
          `SELECT count(t.id)::int AS tasks, count(*)::int AS incidents, max(t.created_at) AS last_task_at
             FROM incidents i LEFT JOIN tasks t ON t.incident_id = i.id WHERE i.opening_rule = 'sweep'`,
        ),
      ([b]) => b.incidents === 301 && b.tasks === 301,
      { what: 'every incident of the sweep storm to have its task', timeoutMs: 120_000, intervalMs: 250 },
    );
    // The critical task was assigned while storm incidents still waited for their tasks.
    expect(new Date(criticalTask.assigned_at).getTime()).toBeLessThan(new Date(backlog[0].last_task_at).getTime());
  });
});
