import { incidentWorkflowId } from '../../src/domain';
import { pollUntil } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { kill, launch, Launched } from '../support/processes';
import { alert, startStack, Stack } from '../support/stack';

// P1 must be acknowledged within 4 s; then the assignee, senior analysts, the team lead
// and executives hear, two seconds apart.
const sla = (doc: Record<string, any>) => {
  doc.priorities = {
    P1: { ack: '4s', resolve: '5m' },
    P2: { ack: '5m', resolve: '10m' },
    P3: { ack: '10m', resolve: '20m' },
    P4: { ack: '20m', resolve: '40m' },
  };
  doc.escalation = {
    critical_notifies_executives: true,
    tiers: [
      { tier: 'assignee' },
      { tier: 'senior_analyst', after: '2s' },
      { tier: 'team_lead', after: '4s' },
      { tier: 'executive', after: '6s' },
    ],
  };
};

describe('a worker process killed in the middle of an incident workflow', () => {
  let stack: Stack;
  let worker: Launched | undefined;

  beforeAll(async () => {
    // A killed worker's leased notices come back to the next one after the lease (which must have room for one webhook call).
    stack = await startStack({
      name: 'crash',
      sla,
      worker: false,
      env: { NOTIFY_LEASE_SECONDS: '3', NOTIFY_WEBHOOK_TIMEOUT_SECONDS: '1' },
    });
  });
  afterAll(async () => {
    if (worker) kill(worker);
    await stack?.close();
  });

  const startWorkerProcess = () => {
    const e = stack.env;
    return launch('worker.ts', {
      DATABASE_URL: e.DATABASE_URL,
      TEMPORAL_ADDRESS: e.TEMPORAL_ADDRESS,
      TEMPORAL_TASK_QUEUE: e.TEMPORAL_TASK_QUEUE,
      WARDEN_CONFIG_DIR: e.WARDEN_CONFIG_DIR,
      NOTIFY_WEBHOOK_URL: e.NOTIFY_WEBHOOK_URL!,
      NOTIFY_WEBHOOK_SECRET: e.NOTIFY_WEBHOOK_SECRET!,
      NOTIFY_LEASE_SECONDS: String(e.NOTIFY_LEASE_SECONDS),
      NOTIFY_WEBHOOK_TIMEOUT_SECONDS: String(e.NOTIFY_WEBHOOK_TIMEOUT_SECONDS),
      LOG_LEVEL: 'warn',
    });
  };
  const killWorker = async () => {
    const w = worker!;
    const exited = new Promise((resolve) => w.child.once('exit', resolve));
    kill(w);
    await exited;
    worker = undefined;
  };

  it('still makes exactly one task, one assignment and one notification per step', async () => {
    // First crash: while the workflow waits on the ack-deadline timer.
    worker = startWorkerProcess();
    const res = await stack.ingest(
      'POST',
      '/v1/alerts',
      alert({ type: 'malware', severity: 'critical', sourceIp: uniqueIp(), host: 'ws-crash' }),
    );
    expect(res.status).toBe(202);
    const { incidentId } = res.body;
    const taskRow = await stack.task(incidentId, (t) => t.assignee_id !== null);
    await pollUntil(
      () => stack.notifications(taskRow.id),
      (n) => n.some((x) => x.key === 'critical:executive:0' && x.sent),
      { what: 'the executives told at once', timeoutMs: 30_000 },
    );
    const held = stack.webhook.holdNext((d) => d.id.endsWith(':breach:senior_analyst:0'));
    await killWorker();

    // Second crash: while the senior analysts' notice is on the wire.
    worker = startWorkerProcess();
    const first = await held;
    await killWorker();
    stack.webhook.release();
    worker = startWorkerProcess();

    const sent = await pollUntil(
      () => stack.notifications(taskRow.id),
      (n) => n.some((x) => x.key === 'breach:executive:0') && n.every((x) => x.sent),
      {
        what: 'the executive tier, and the notice cut off by the crash, after the second restart',
        timeoutMs: 90_000,
      },
    );

    const count = async (sql: string) => (await stack.db.query(sql, [incidentId, taskRow.id]))[0].n;
    expect(await count(`SELECT count(*)::int AS n FROM tasks WHERE incident_id = $1 AND $2::uuid IS NOT NULL`)).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM task_assignments WHERE task_id = $2 AND $1::uuid IS NOT NULL`)).toBe(1);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM audit_log WHERE subject_id = $2::text AND action = 'task.assigned' AND $1::uuid IS NOT NULL`,
      ),
    ).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM sla_breaches WHERE task_id = $2 AND $1::uuid IS NOT NULL`)).toBe(1);
    const [assignment] = await stack.db.query(`SELECT id FROM task_assignments WHERE task_id = $1`, [taskRow.id]);
    expect(sent.map((n) => n.key)).toEqual([
      `assignment:${assignment.id}`,
      'critical:executive:0',
      'breach:assignee:0',
      'breach:senior_analyst:0',
      'breach:team_lead:0',
      'breach:executive:0',
    ]);

    // The notice cut off by the first crash was sent again under the same delivery id,
    // so the receiver can tell the repeat; every step reached it, and nothing else did.
    const deliveries = stack.webhook.deliveries.filter((d) => d.body.taskId === taskRow.id);
    expect(first.id).toBe(`task-${taskRow.id}:breach:senior_analyst:0`);
    expect(deliveries.filter((d) => d.id === first.id).length).toBeGreaterThanOrEqual(2);
    expect(new Set(deliveries.map((d) => d.id))).toEqual(new Set(sent.map((n) => `task-${taskRow.id}:${n.key}`)));
    expect(deliveries.every((d) => d.signed)).toBe(true);

    // One workflow run throughout.
    const description = await stack.temporal.workflow.getHandle(incidentWorkflowId(incidentId)).describe();
    expect(description.status.name).toBe('RUNNING');
  }, 180_000);
});
