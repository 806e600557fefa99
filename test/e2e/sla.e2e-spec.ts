import { alert, startStack, Stack } from '../support/stack';
import { pollUntil } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { recordHistory } from '../support/histories';
import { incidentWorkflowId } from '../../src/domain';

// SLA in seconds: P1 must be acknowledged within 2 s. Unacknowledged, the assignee hears
// at 2 s and 3 s, senior analysts at 3 s, the team lead at 4 s, executives at 5 s; with
// critical_notifies_executives they also hear at once.
const fastSla = (doc: Record<string, any>) => {
  doc.priorities = {
    P1: { ack: '2s', resolve: '60s' },
    P2: { ack: '60s', resolve: '120s' },
    P3: { ack: '120s', resolve: '240s' },
    P4: { ack: '240s', resolve: '480s' },
  };
  doc.escalation = {
    critical_notifies_executives: true,
    tiers: [
      { tier: 'assignee', repeat: 1, every: '1s' },
      { tier: 'senior_analyst', after: '1s' },
      { tier: 'team_lead', after: '2s' },
      { tier: 'executive', after: '3s', priorities: ['P1', 'P2'] },
    ],
  };
};

describe('SLA timers and escalation (real worker, Temporal and Postgres; SLA in seconds)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ name: 'sla', sla: fastSla });
  });
  afterAll(async () => stack?.close());

  const critical = async () => {
    const res = await stack.ingest(
      'POST',
      '/v1/alerts',
      alert({ type: 'malware', severity: 'critical', sourceIp: uniqueIp(), host: 'ws-17' }),
    );
    expect(res.status).toBe(202);
    return res.body as { incidentId: string; priority: string };
  };

  it('escalates an unacknowledged P1 tier by tier up to an executive, recording the breach once', async () => {
    const { incidentId, priority } = await critical();
    expect(priority).toBe('P1');
    const task = await stack.task(incidentId, (t) => t.assignee_id !== null, 'assignment');
    expect(task).toMatchObject({ priority: 'P1', assign_role: 'team_lead', assignee_id: 'marta.reyes', status: 'assigned' });

    const sent = await pollUntil(
      () => stack.notifications(task.id),
      (n) => n.some((x) => x.key === 'breach:executive:0' && x.sent),
      {
        what: 'the executive tier',
        timeoutMs: 30_000,
      },
    );
    const [assignment] = await stack.db.query(`SELECT id FROM task_assignments WHERE task_id = $1`, [task.id]);
    expect(sent.map((n) => [n.key, n.kind, n.recipients])).toEqual([
      [`assignment:${assignment.id}`, 'assigned', ['marta.reyes']],
      ['critical:executive:0', 'critical', ['david.chen']],
      ['breach:assignee:0', 'escalation', ['marta.reyes']],
      ['repeat:assignee:1', 'escalation', ['marta.reyes']],
      ['breach:senior_analyst:0', 'escalation', ['chidi.okafor', 'sara.lindqvist']],
      ['breach:team_lead:0', 'escalation', ['marta.reyes']],
      ['breach:executive:0', 'escalation', ['david.chen']],
    ]);
    expect(sent.every((n) => n.sent)).toBe(true);

    const breaches = await stack.db.query(`SELECT kind, priority FROM sla_breaches WHERE task_id = $1`, [task.id]);
    expect(breaches).toEqual([{ kind: 'ack', priority: 'P1' }]);
    // The webhook got every step, signed, under the step's key.
    const delivered = stack.webhook.deliveries.filter((d) => d.body.taskId === task.id);
    expect(delivered.every((d) => d.signed)).toBe(true);
    expect(new Set(delivered.map((d) => d.id))).toEqual(new Set(sent.map((n) => `task-${task.id}:${n.key}`)));
    expect((await stack.status(incidentId)).escalations).toEqual(expect.arrayContaining(['breach:executive:0']));

    // Resolving ends the workflow, which closes the task with its summary.
    const lead = await stack.as('marta.reyes');
    expect(
      (await lead('POST', `/v1/tasks/${task.id}/resolve`, { disposition: 'true_positive', resolution: 'Reimaged ws-17.' })).status,
    ).toBe(200);
    const closed = await stack.task(incidentId, (t) => t.status === 'closed', 'closing');
    expect(closed.closing_summary).toMatchObject({
      disposition: 'true_positive',
      slaBreaches: ['ack'],
      assignments: 1,
      timeToAcknowledgeSeconds: null,
    });
    expect(await stack.status(incidentId)).toMatchObject({ state: 'closed' });
    recordHistory(stack.env.TEMPORAL_ADDRESS, incidentWorkflowId(incidentId), 'incident-escalated');
  });

  it('schedules nothing but the resolve deadline once a task is acknowledged in time', async () => {
    // A P2 (ack within 60 s) acknowledged at once: in time on any machine, with no race against the deadline.
    const res = await stack.ingest(
      'POST',
      '/v1/alerts',
      alert({ type: 'c2_beacon', severity: 'high', sourceIp: uniqueIp(), host: 'ws-18' }),
    );
    expect(res.body.priority).toBe('P2');
    const incidentId: string = res.body.incidentId;
    const task = await stack.task(incidentId, (t) => t.assignee_id !== null, 'assignment');
    const analyst = await stack.as(task.assignee_id);
    const ack = await analyst('POST', `/v1/tasks/${task.id}/ack`);
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ id: task.id, status: 'acknowledged', assignee: { id: task.assignee_id } });

    // The workflow's next wait after hearing of the ack runs to the resolve deadline: no escalation step is left.
    const firesAt = await stack.waitAfterSignal(incidentId, 'acknowledge');
    const [row] = await stack.db.query(`SELECT ack_deadline, resolve_deadline FROM tasks WHERE id = $1`, [task.id]);
    expect({
      waitsForResolveDeadline: firesAt.getTime() >= new Date(row.resolve_deadline).getTime(),
      escalations: (await stack.notifications(task.id)).map((n) => n.key).filter((k) => /^(breach|repeat)/.test(k)),
      breaches: await stack.db.query(`SELECT kind FROM sla_breaches WHERE task_id = $1`, [task.id]),
    }).toEqual({ waitsForResolveDeadline: true, escalations: [], breaches: [] });

    expect((await analyst('POST', `/v1/tasks/${task.id}/resolve`, { disposition: 'benign' })).status).toBe(200);
    await stack.task(incidentId, (t) => t.status === 'closed', 'closing');
    recordHistory(stack.env.TEMPORAL_ADDRESS, incidentWorkflowId(incidentId), 'incident-acknowledged');
  });

  it('brings deadlines forward when correlated alerts raise the priority', async () => {
    const ip = uniqueIp();
    const login = (i: number) =>
      alert({ type: 'failed_login', severity: 'medium', sourceIp: ip, user: `user${i}`, title: 'SSH login failed' });
    const first = await stack.ingest('POST', '/v1/alerts', login(0));
    expect(first.body).toMatchObject({ priority: 'P3' });
    const before = await stack.task(first.body.incidentId, (t) => t.assignee_id !== null);
    expect(before.priority).toBe('P3');

    // The tenth failed login in five minutes is a burst: P2.
    const burst = await stack.ingest(
      'POST',
      '/v1/alerts',
      Array.from({ length: 9 }, (_, i) => login(i + 1)),
    );
    expect(burst.body.results.every((r: { incidentId: string }) => r.incidentId === first.body.incidentId)).toBe(true);
    const after = await stack.task(first.body.incidentId, (t) => t.priority === 'P2', 'reprioritized task');
    expect(new Date(after.ack_deadline).getTime()).toBe(new Date(before.opened_at).getTime() + 60_000);
    expect(new Date(after.ack_deadline).getTime()).toBeLessThan(new Date(before.ack_deadline).getTime());
    const [audit] = await stack.db.query(`SELECT before, after FROM audit_log WHERE subject_id = $1 AND action = 'task.reprioritized'`, [
      after.id,
    ]);
    expect(audit).toMatchObject({ before: { priority: 'P3' }, after: { priority: 'P2' } });
  });

  it('gives a task reassigned after its ack a fresh ack deadline: one notice to the new assignee, no burst, no breach', async () => {
    const res = await stack.ingest('POST', '/v1/alerts', alert({ type: 'port_scan', severity: 'medium', sourceIp: uniqueIp() }));
    expect(res.body.priority).toBe('P3');
    const incidentId: string = res.body.incidentId;
    const task = await stack.task(incidentId, (t) => t.assignee_id !== null, 'assignment');
    expect((await (await stack.as(task.assignee_id))('POST', `/v1/tasks/${task.id}/ack`)).status).toBe(200);
    await pollUntil(
      () => stack.status(incidentId),
      (s) => s.state === 'acknowledged',
      { what: 'the workflow to hear of the ack' },
    );
    // Time travel in the database: the task opened an hour ago and was acknowledged 10 s after it
    // opened, so its 120 s ack deadline and every escalation step after it lie long past.
    await stack.db.query(
      `UPDATE tasks SET opened_at = opened_at - interval '1 hour', ack_deadline = ack_deadline - interval '1 hour',
              acknowledged_at = opened_at - interval '1 hour' + interval '10 seconds' WHERE id = $1`,
      [task.id],
    );

    const lead = await stack.as('marta.reyes', ['lead']);
    const reassigned = await lead('POST', `/v1/tasks/${task.id}/reassign`, { reason: 'shift change' });
    expect(reassigned.status).toBe(200);
    const newAssignee: string = reassigned.body.assignee.id;
    // Once the workflow waits again it has decided its next step; a burst would have fired before that.
    await stack.waitAfterSignal(incidentId, 'reassign');

    const [assignment] = await stack.db.query(
      `SELECT a.id, extract(epoch FROM t.ack_deadline - a.assigned_at)::int AS ack_window
         FROM task_assignments a JOIN tasks t ON t.id = a.task_id WHERE a.task_id = $1 ORDER BY a.id DESC LIMIT 1`,
      [task.id],
    );
    expect({
      newAssignee: newAssignee !== task.assignee_id,
      ackWindowFromReassignment: assignment.ack_window,
      toNewAssignee: (await stack.notifications(task.id)).filter((n) => n.recipients.includes(newAssignee)).map((n) => n.key),
      escalations: (await stack.status(incidentId)).escalations,
      breaches: await stack.db.query(`SELECT kind FROM sla_breaches WHERE task_id = $1`, [task.id]),
    }).toEqual({
      newAssignee: true,
      ackWindowFromReassignment: 120,
      toNewAssignee: [`assignment:${assignment.id}`],
      escalations: [],
      breaches: [],
    });
  });
});
