import { incidentWorkflowId } from '../../src/domain';
import { pollUntil, untilFolded } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { alert, startStack, Stack } from '../support/stack';

// Counters live in Postgres; the workflow hears only of meaningful changes (a new type,
// a severity or priority rise, a count milestone), so its history stays small.
describe('workflow history under a flood of correlated alerts', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ name: 'history' });
  });
  afterAll(async () => stack?.close());

  it('keeps 10,000 alerts in one incident under 1,000 history events', async () => {
    const ip = uniqueIp();
    let incidentId: string | undefined;
    for (let batch = 0; batch < 10; batch++) {
      // Severity rises halfway; users repeat, so many alerts are duplicates of earlier ones.
      const high = batch >= 5;
      const alerts = Array.from({ length: 1000 }, (_, i) =>
        alert({
          type: 'failed_login',
          severity: high ? 'high' : 'medium',
          sourceIp: ip,
          user: high ? `h${(batch * 1000 + i) % 2000}` : `m${i % 500}`,
          title: 'SSH login failed',
        }),
      );
      const res = await stack.ingest('POST', '/v1/alerts', alerts);
      expect(res.status).toBe(202);
      const ids = new Set(res.body.results.map((r: { incidentId: string }) => r.incidentId));
      expect(ids.size).toBe(1);
      incidentId ??= [...ids][0] as string;
      expect(ids.has(incidentId)).toBe(true);
    }
    await untilFolded(stack.db, [incidentId!]);
    const [incident] = await stack.db.query(`SELECT alert_count, priority FROM incidents WHERE id = $1`, [incidentId]);
    expect(incident.alert_count).toBe(10_000);

    const status = await pollUntil(
      () => stack.status(incidentId!),
      (s) => s.alertCount === 10_000,
      { what: 'the 10,000 milestone signal', timeoutMs: 30_000 },
    );
    expect(status).toMatchObject({ severity: 'high', priority: 'P2' });
    const handle = stack.temporal.workflow.getHandle(incidentWorkflowId(incidentId!));
    const during = (await handle.describe()).historyLength;

    const [task] = await stack.db.query(`SELECT id, assignee_id FROM tasks WHERE incident_id = $1`, [incidentId]);
    const analyst = await stack.as(task.assignee_id);
    expect((await analyst('POST', `/v1/tasks/${task.id}/resolve`, { disposition: 'true_positive' })).status).toBe(200);
    await handle.result();
    const after = (await handle.describe()).historyLength;
    console.log(
      `10,000 alerts in one incident: ${status.changes} alertsChanged signals; history ${during} events while open, ${after} when closed`,
    );
    expect(after).toBeLessThan(1000);
  }, 120_000);
});
