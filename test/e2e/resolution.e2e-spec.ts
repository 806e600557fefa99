import { randomUUID } from 'node:crypto';
import { incidentWorkflowId } from '../../src/domain';
import { pollUntil } from '../support/harness';
import { recordHistory } from '../support/histories';
import { uniqueIp } from '../support/ips';
import { startStack, Stack } from '../support/stack';

// Alertmanager's resolved notices on the real api, worker, Temporal and PostgreSQL: incident views
// say which alerts still fire, and a rule with `resolve_when_cleared` resolves the task once the
// monitors have resolved every alert of its incident, unless an analyst has acknowledged it.

/** Alerts labelled `job: cleared` match this rule; others fall through to the shipped rules. */
const clearingRule = {
  name: 'monitor-clears',
  match: { source: 'alertmanager', tags: 'job:cleared' },
  action: 'correlate',
  priority: 'P3',
  correlate_by: ['host'],
  assign_role: 'analyst',
  resolve_when_cleared: true,
};

/** One Alertmanager alert; the same `fingerprint` (and startsAt) is the same alert firing or resolved. */
const am = (fingerprint: string, labels: Record<string, string>) => ({
  status: 'firing',
  labels: { severity: 'warning', ...labels },
  annotations: { summary: `${labels.alertname} on ${labels.host ?? labels.src_ip}` },
  startsAt: '2025-01-01T00:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  fingerprint,
});
const resolvedOf = (a: ReturnType<typeof am>) => ({ ...a, status: 'resolved' as const, endsAt: '2025-01-01T00:05:00Z' });

describe('resolution by the monitor (Alertmanager resolved notices)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ name: 'resolution', rules: (doc) => doc.rules.unshift(clearingRule) });
  });
  afterAll(async () => stack?.close());

  const send = async (alerts: object[]) => {
    const res = await stack.ingest('POST', '/v1/alerts/alertmanager', { version: '4', groupKey: '{}:{}', receiver: 'warden', alerts });
    expect(res.status).toBe(202);
    return res.body.results as { index: number; status: string; alertId?: string; incidentId?: string }[];
  };

  /** Two alerts of one `job: cleared` incident on a host of its own, its task assigned. */
  const clearingIncident = async () => {
    const host = `node-${randomUUID().slice(0, 8)}`;
    const alerts = [
      am(randomUUID(), { alertname: 'NodeDown', job: 'cleared', host }),
      am(randomUUID(), { alertname: 'DiskFull', job: 'cleared', host }),
    ];
    const [first, second] = await send(alerts);
    expect(second.incidentId).toBe(first.incidentId);
    const incidentId = first.incidentId!;
    const task = await stack.task(incidentId, (t) => t.assignee_id !== null, 'assignment');
    return { incidentId, task, alerts };
  };

  const byId = (a: { id?: string }, b: { id?: string }) => (a.id! < b.id! ? -1 : 1);

  const taskOf = async (incidentId: string) =>
    (await stack.db.query(`SELECT status, disposition FROM tasks WHERE incident_id = $1`, [incidentId]))[0] as {
      status: string;
      disposition: string | null;
    };

  it('shows an alert fired and resolved in one request as resolved, with the incident counting firing and resolved alerts', async () => {
    const ip = uniqueIp();
    const x = am(randomUUID(), { alertname: 'PortScan', src_ip: ip });
    const y = am(randomUUID(), { alertname: 'SshProbe', src_ip: ip });
    const [fired, still] = await send([x, y, resolvedOf(x)]);
    expect(still.incidentId).toBe(fired.incidentId);

    const lead = await stack.as(null, ['lead']);
    const detail = (await lead('GET', `/v1/incidents/${fired.incidentId}`)).body;
    const listed = (await lead('GET', `/v1/incidents?sourceIp=${ip}`)).body.items;
    const stored = await stack.db.query(`SELECT id, resolved_at FROM alerts WHERE incident_id = $1`, [fired.incidentId]);
    const resolvedAt = (id: string) => stored.find((r: { id: string }) => r.id === id).resolved_at;
    expect({
      alerts: detail.alerts
        .map((a: any) => ({ id: a.id, status: a.status, resolvedAt: a.resolvedAt && new Date(a.resolvedAt).getTime() }))
        .sort(byId),
      detail: { firingAlerts: detail.firingAlerts, resolvedAlerts: detail.resolvedAlerts },
      listed: listed.map((i: any) => ({ id: i.id, firingAlerts: i.firingAlerts, resolvedAlerts: i.resolvedAlerts })),
    }).toEqual({
      alerts: [
        { id: fired.alertId, status: 'resolved', resolvedAt: new Date(resolvedAt(fired.alertId!)).getTime() },
        { id: still.alertId, status: 'firing', resolvedAt: null },
      ].sort(byId),
      detail: { firingAlerts: 1, resolvedAlerts: 1 },
      listed: [{ id: fired.incidentId, firingAlerts: 1, resolvedAlerts: 1 }],
    });
  });

  it('shows the same in the IP investigation: the alert resolved, the incident counting its firing and resolved alerts', async () => {
    const ip = uniqueIp();
    const x = am(randomUUID(), { alertname: 'PortScan', src_ip: ip });
    const y = am(randomUUID(), { alertname: 'SshProbe', src_ip: ip });
    const [fired, still] = await send([x, y, resolvedOf(x)]);

    const view = (await (await stack.as(null))('GET', `/v1/investigations/ip/${ip}`)).body;
    expect({
      alerts: view.alerts.items.map((a: any) => ({ id: a.id, status: a.status, resolved: a.resolvedAt !== null })).sort(byId),
      incidents: view.incidents.items.map((i: any) => ({ id: i.id, firingAlerts: i.firingAlerts, resolvedAlerts: i.resolvedAlerts })),
    }).toEqual({
      alerts: [
        { id: fired.alertId, status: 'resolved', resolved: true },
        { id: still.alertId, status: 'firing', resolved: false },
      ].sort(byId),
      incidents: [{ id: fired.incidentId, firingAlerts: 1, resolvedAlerts: 1 }],
    });
  });

  it('resolves the task as cleared_by_monitor, audited, once the monitor has resolved every alert of the incident', async () => {
    const { incidentId, task, alerts } = await clearingIncident();
    await send([resolvedOf(alerts[0])]);
    await send([resolvedOf(alerts[1])]);

    const closed = await stack.task(incidentId, (t) => t.status === 'closed', 'the cleared task closed');
    const audit = await stack.db.query(
      `SELECT actor, action, subject_type, after->>'disposition' AS disposition, after->>'taskResolved' AS task_resolved FROM audit_log
        WHERE (subject_id = $1 AND action = 'task.resolved') OR (subject_id = $2 AND action = 'incident.alerts_cleared') ORDER BY id`,
      [task.id, incidentId],
    );
    expect({ disposition: closed.disposition, summary: closed.closing_summary.disposition, audit }).toEqual({
      disposition: 'cleared_by_monitor',
      summary: 'cleared_by_monitor',
      audit: [
        { actor: 'monitor', action: 'incident.alerts_cleared', subject_type: 'incident', disposition: null, task_resolved: 'true' },
        { actor: 'monitor', action: 'task.resolved', subject_type: 'task', disposition: 'cleared_by_monitor', task_resolved: null },
      ],
    });
    // The workflow ends after the task closes: its whole history is recorded.
    await stack.temporal.workflow.getHandle(incidentWorkflowId(incidentId)).result();
    recordHistory(stack.env.TEMPORAL_ADDRESS, incidentWorkflowId(incidentId), 'incident-cleared');
  });

  it('leaves the task open while one alert of the incident still fires', async () => {
    const open = await clearingIncident();
    const control = await clearingIncident();
    // The same request resolves one of two alerts of the first, and both of the control's, in that order.
    await send([resolvedOf(open.alerts[0]), resolvedOf(control.alerts[0]), resolvedOf(control.alerts[1])]);

    await stack.task(control.incidentId, (t) => t.disposition === 'cleared_by_monitor', 'the control task cleared');
    expect(await taskOf(open.incidentId)).toEqual({ status: 'assigned', disposition: null });
  });

  it('leaves the task of a rule without resolve_when_cleared open when the monitor resolves every alert', async () => {
    const ip = uniqueIp();
    const plain = [am(randomUUID(), { alertname: 'PortScan', src_ip: ip }), am(randomUUID(), { alertname: 'SshProbe', src_ip: ip })];
    const [first] = await send(plain);
    await stack.task(first.incidentId!, (t) => t.assignee_id !== null, 'assignment');
    const control = await clearingIncident();
    await send([resolvedOf(plain[0]), resolvedOf(plain[1]), resolvedOf(control.alerts[0]), resolvedOf(control.alerts[1])]);

    await stack.task(control.incidentId, (t) => t.disposition === 'cleared_by_monitor', 'the control task cleared');
    expect(await taskOf(first.incidentId!)).toEqual({ status: 'assigned', disposition: null });
  });

  it('leaves an acknowledged task with its analyst when the monitor clears the incident', async () => {
    const host = `node-${randomUUID().slice(0, 8)}`;
    const z = am(randomUUID(), { alertname: 'NodeDown', job: 'cleared', host });
    const [fired] = await send([z]);
    const task = await stack.task(fired.incidentId!, (t) => t.assignee_id !== null, 'assignment');
    const analyst = await stack.as(task.assignee_id);
    expect((await analyst('POST', `/v1/tasks/${task.id}/ack`)).status).toBe(200);

    await send([resolvedOf(z)]);
    // The workflow looked at the cleared incident: its audit entry says the task was left open.
    const [cleared] = await pollUntil(
      () => stack.db.query(`SELECT after FROM audit_log WHERE subject_id = $1 AND action = 'incident.alerts_cleared'`, [fired.incidentId]),
      (rows) => rows.length > 0,
      { what: 'the clearing of the acknowledged incident', timeoutMs: 30_000 },
    );
    expect({ cleared: cleared.after, task: await taskOf(fired.incidentId!) }).toEqual({
      cleared: { firing: 0, resolved: 1, taskId: task.id, taskResolved: false, reason: 'acknowledged' },
      task: { status: 'acknowledged', disposition: null },
    });
  });

  it('refuses cleared_by_monitor from an analyst: 422 naming /disposition', async () => {
    const { task } = await clearingIncident();
    const lead = await stack.as(null, ['lead']);
    const res = await lead('POST', `/v1/tasks/${task.id}/resolve`, { disposition: 'cleared_by_monitor' });
    expect({
      status: res.status,
      type: res.headers.get('content-type'),
      paths: res.body.errors.map((e: { path: string }) => e.path),
    }).toEqual({
      status: 422,
      type: expect.stringContaining('application/problem+json'),
      paths: ['/disposition'],
    });
  });
});
