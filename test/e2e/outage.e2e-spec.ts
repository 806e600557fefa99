import { incidentWorkflowId } from '../../src/domain';
import { pollUntil } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { alert, startStack, Stack } from '../support/stack';

/**
 * Webhook outage: the receiver answers 503 from before the alert until the SLA steps are
 * recorded and a resolve has closed the task and its workflow, so the outage lasts as long
 * as those take (seconds here; the state, not a clock, ends it). A channel that is down
 * delays its own notices and nothing else; once it is back, every notice arrives exactly
 * once. The maximum age (10 minutes) is far above the outage, so none may fail.
 */
describe('webhook outage', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      name: 'outage',
      // P1: the assignee hears at the 2 s ack deadline, the lead a second later.
      sla: (doc) => {
        doc.priorities.P1 = { ack: '2s', resolve: '10m' };
        doc.escalation = {
          critical_notifies_executives: false,
          tiers: [
            { tier: 'assignee', repeat: 0 },
            { tier: 'team_lead', after: '1s' },
          ],
        };
      },
      env: { NOTIFY_MAX_BACKOFF_SECONDS: '1', NOTIFY_POLL_INTERVAL_MS: '100', NOTIFY_MAX_AGE_SECONDS: '600' },
    });
  });
  afterAll(async () => stack?.close());

  it('records SLA steps on time and closes on resolve while the webhook answers 503, then delivers every notice once', async () => {
    stack.webhook.failWith(503);
    const res = await stack.ingest('POST', '/v1/alerts', alert({ type: 'malware', severity: 'critical', sourceIp: uniqueIp() }));
    expect(res.status).toBe(202);
    expect(res.body.priority).toBe('P1');
    const incidentId: string = res.body.incidentId;
    const task = await stack.task(incidentId, (t) => t.assignee_id !== null, 'assignment');

    // Both SLA steps are recorded, the breach too, though the receiver has taken nothing.
    await pollUntil(
      () => stack.notifications(task.id),
      (n) => n.some((x) => x.key === 'breach:team_lead:0'),
      { what: 'the team lead step while the webhook is down', timeoutMs: 30_000 },
    );
    expect(stack.webhook.accepted()).toEqual([]);
    expect(stack.webhook.deliveries.length).toBeGreaterThan(0);

    // A resolve closes the task and ends the workflow with the receiver still down.
    const assignee = await stack.as(task.assignee_id);
    expect((await assignee('POST', `/v1/tasks/${task.id}/resolve`, { disposition: 'true_positive' })).status).toBe(200);
    await stack.task(incidentId, (t) => t.status === 'closed', 'closing');
    const handle = stack.temporal.workflow.getHandle(incidentWorkflowId(incidentId));
    await pollUntil(
      async () => (await handle.describe()).status.name,
      (s) => s === 'COMPLETED',
      { what: 'the workflow completed during the outage' },
    );
    expect(stack.webhook.accepted()).toEqual([]);
    const notices = await stack.notifications(task.id);
    expect(notices.map((n) => [n.key.replace(/:\d+$/, ''), n.sent])).toEqual([
      ['assignment', false],
      ['breach:assignee', false],
      ['breach:team_lead', false],
    ]);

    // The outage ends now, by the database's clock (the one every recorded time uses).
    const [{ now: outageEnded }] = await stack.db.query(`SELECT now() AS now`);
    stack.webhook.failWith(null);

    // Each SLA step was recorded at or after it was due and before the receiver came back.
    const steps = await stack.db.query(
      `SELECT a.after->>'step' AS step,
              a.occurred_at >= t.ack_deadline + (CASE a.after->>'step' WHEN 'breach:team_lead:0' THEN interval '1 second' ELSE interval '0' END) AS not_early,
              a.occurred_at < $2 AS during_outage
         FROM audit_log a JOIN tasks t ON t.id::text = a.subject_id
        WHERE a.subject_id = $1 AND a.action = 'task.escalated' ORDER BY a.occurred_at`,
      [task.id, outageEnded],
    );
    expect(steps).toEqual([
      { step: 'breach:assignee:0', not_early: true, during_outage: true },
      { step: 'breach:team_lead:0', not_early: true, during_outage: true },
    ]);
    const breaches = await stack.db.query(`SELECT kind, recorded_at < $2 AS during_outage FROM sla_breaches WHERE task_id = $1`, [
      task.id,
      outageEnded,
    ]);
    expect(breaches).toEqual([{ kind: 'ack', during_outage: true }]);

    // After recovery: every notice delivered, none failed, and the receiver took each exactly once.
    await pollUntil(
      () => stack.notifications(task.id),
      (n) => n.every((x) => x.sent),
      { what: 'every notice delivered after the outage', timeoutMs: 30_000 },
    );
    const [{ failed }] = await stack.db.query(
      `SELECT count(*)::int AS failed FROM notifications WHERE task_id = $1 AND channel = 'webhook' AND failed_at IS NOT NULL`,
      [task.id],
    );
    expect(failed).toBe(0);
    const keys = notices.map((n) => `task-${task.id}:${n.key}`);
    expect(stack.webhook.accepted().sort()).toEqual([...keys].sort());
    // The receiver did refuse during the outage: the first notice's first answer was the 503.
    expect(stack.webhook.answers(keys[0])[0]).toBe(503);
  });
});
