import { randomUUID } from 'node:crypto';
import { incidentWorkflowId } from '../../src/domain';
import { pollUntil } from '../support/harness';
import { recordHistory } from '../support/histories';
import { uniqueIp } from '../support/ips';
import { alert, startStack, Stack } from '../support/stack';

describe('analyst API: queue, acknowledge, reassign, comment, resolve, incidents', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ name: 'tasks' });
  });
  afterAll(async () => stack?.close());

  const open = async (fields: Record<string, unknown>) => {
    const res = await stack.ingest('POST', '/v1/alerts', alert({ sourceIp: uniqueIp(), ...fields }));
    expect(res.status).toBe(202);
    const task = await stack.task(res.body.incidentId, (t) => t.assignee_id !== null, 'assignment');
    return { incidentId: res.body.incidentId as string, task };
  };

  it("lists an analyst's open tasks by priority, then deadline", async () => {
    const medium = await open({ type: 'port_scan', severity: 'medium' });
    const high = await open({ type: 'sql_injection', severity: 'high' });
    const mediumLater = await open({ type: 'port_scan', severity: 'medium' });
    const lead = await stack.as(null, ['lead']);
    // Give all three to one analyst, whatever the rules chose.
    for (const t of [medium, high, mediumLater]) {
      if (t.task.assignee_id !== 'lucia.garcia')
        expect((await lead('POST', `/v1/tasks/${t.task.id}/reassign`, { to: 'lucia.garcia', reason: 'queue test' })).status).toBe(200);
    }
    const lucia = await stack.as('lucia.garcia');
    const queue = await lucia('GET', '/v1/tasks?assignee=me&status=open');
    expect(queue.status).toBe(200);
    const mine = queue.body.items.filter((t: { id: string }) => [medium, high, mediumLater].some((x) => x.task.id === t.id));
    expect(mine.map((t: { id: string }) => t.id)).toEqual([high.task.id, medium.task.id, mediumLater.task.id]);
    expect(mine[0]).toMatchObject({
      priority: 'P2',
      status: 'assigned',
      assignee: { id: 'lucia.garcia', name: 'Lucia Garcia', role: 'analyst' },
    });

    const page = await lucia('GET', '/v1/tasks?assignee=me&limit=1');
    expect(page.body.items).toHaveLength(1);
    const next = await lucia('GET', `/v1/tasks?assignee=me&limit=1&cursor=${page.body.nextCursor}`);
    expect(next.body.items[0].id).not.toBe(page.body.items[0].id);
  });

  it('acknowledges, reassigns with history, comments and resolves; the workflow closes the task', async () => {
    const { incidentId, task } = await open({ type: 'port_scan', severity: 'medium', host: 'web-1' });
    const first = task.assignee_id as string;
    const analyst = await stack.as(first);

    const ack = await analyst('POST', `/v1/tasks/${task.id}/ack`);
    expect(ack.body).toMatchObject({ status: 'acknowledged', assignee: { id: first } });
    expect((await analyst('POST', `/v1/tasks/${task.id}/ack`)).body.status).toBe('acknowledged');

    const moved = await analyst(
      'POST',
      `/v1/tasks/${task.id}/reassign`,
      { reason: 'going off shift' },
      { 'idempotency-key': 'handover-1' },
    );
    expect(moved.status).toBe(200);
    const second = moved.body.assignee.id;
    expect(second).not.toBe(first);
    // A new assignee acknowledges afresh.
    expect(moved.body).toMatchObject({ status: 'assigned', acknowledgedAt: null, assignee: { role: 'analyst' } });
    // Retrying the same request does not reassign again.
    expect(
      (await analyst('POST', `/v1/tasks/${task.id}/reassign`, { reason: 'going off shift' }, { 'idempotency-key': 'handover-1' })).body
        .assignee.id,
    ).toBe(second);

    // The task is the new assignee's now: they comment, and the analyst who handed it over no longer may.
    const resolver = await stack.as(second);
    expect((await analyst('POST', `/v1/tasks/${task.id}/comments`, { text: 'one more thing' })).status).toBe(403);
    const comment = await resolver('POST', `/v1/tasks/${task.id}/comments`, { text: 'Scanner is the new vulnerability appliance.' });
    expect(comment.status).toBe(201);
    expect(comment.body).toMatchObject({ author: `analyst:${second}`, text: 'Scanner is the new vulnerability appliance.' });

    // The workflow heard of the reassignment and told the new assignee.
    const notices = await pollUntil(
      () => stack.notifications(task.id),
      (n) => n.filter((x) => x.kind === 'assigned').length === 2,
      { what: 'the new assignee to be told' },
    );
    expect(notices.filter((x) => x.kind === 'assigned').map((x) => x.recipients)).toEqual([[first], [second]]);

    const detail = await analyst('GET', `/v1/tasks/${task.id}`);
    expect(detail.body.assignments.map((a: { analystId: string; via: string; actor: string }) => [a.analystId, a.via, a.actor])).toEqual([
      [first, 'role', 'workflow'],
      [second, 'role', `analyst:${first}`],
    ]);
    expect(detail.body.checklist.map((s: { id: string }) => s.id)).toEqual(
      expect.arrayContaining(['review-alerts', 'scan-origin', 'record-disposition']),
    );

    const resolved = await resolver('POST', `/v1/tasks/${task.id}/resolve`, { disposition: 'benign', resolution: 'Authorized scanner.' });
    expect(resolved.body).toMatchObject({ status: 'resolved', disposition: 'benign', resolution: 'Authorized scanner.' });
    expect((await resolver('POST', `/v1/tasks/${task.id}/resolve`, { disposition: 'benign' })).status).toBe(409);

    const closed = await stack.task(incidentId, (t) => t.status === 'closed', 'closing');
    expect(closed.closing_summary).toMatchObject({ disposition: 'benign', assignments: 2, slaBreaches: [], assignee: second });
    expect(await stack.status(incidentId)).toMatchObject({ state: 'closed', taskId: task.id });

    const incident = await analyst('GET', `/v1/incidents/${incidentId}`);
    expect(incident.status).toBe(200);
    expect(incident.body).toMatchObject({ id: incidentId, status: 'closed', host: 'web-1', alerts: [{ type: 'port_scan' }] });
    expect(incident.body.tasks).toEqual([
      expect.objectContaining({ id: task.id, status: 'closed', assignee: expect.objectContaining({ id: second }) }),
    ]);
    const actions = incident.body.timeline.map((e: { action: string }) => e.action);
    expect(actions).toEqual([
      'task.created',
      'task.assigned',
      'task.acknowledged',
      'task.assigned',
      'task.ack_deadline_reset',
      'task.commented',
      'task.resolved',
      'task.closed',
    ]);
    recordHistory(stack.env.TEMPORAL_ADDRESS, incidentWorkflowId(incidentId), 'incident-reassigned');
  });

  it('lists incidents with filters and cursor pages', async () => {
    const ip = uniqueIp();
    const a = await stack.ingest('POST', '/v1/alerts', alert({ type: 'sql_injection', severity: 'high', sourceIp: ip }));
    const analyst = await stack.as('lucia.garcia');
    const list = await analyst('GET', `/v1/incidents?sourceIp=${ip}&type=sql_injection&priority=P2`);
    expect(list.body).toEqual({
      items: [expect.objectContaining({ id: a.body.incidentId, sourceIp: ip, types: ['sql_injection'] })],
      nextCursor: null,
    });
    expect((await analyst('GET', `/v1/incidents?sourceIp=${ip}&severity=low`)).body.items).toEqual([]);

    const first = await analyst('GET', '/v1/incidents?limit=2');
    const second = await analyst('GET', `/v1/incidents?limit=2&cursor=${first.body.nextCursor}`);
    expect(first.body.items).toHaveLength(2);
    expect(second.body.items.map((i: { id: string }) => i.id)).not.toContain(first.body.items[0].id);
  });

  it('answers bad requests with problem+json naming the field', async () => {
    const { task } = await open({ type: 'port_scan', severity: 'medium' });
    // A lead key naming no analyst: it may act on any task, so each request reaches its validation.
    const robot = await stack.as(null, ['lead']);
    const cases: [string, string, unknown, number, string][] = [
      ['GET', '/v1/tasks?assignee=me', undefined, 400, 'query:assignee'],
      ['GET', '/v1/tasks?status=sleeping', undefined, 400, 'query:status'],
      ['GET', '/v1/tasks?cursor=nonsense', undefined, 400, 'query:cursor'],
      ['GET', '/v1/incidents?sourceIp=999.1.1.1', undefined, 400, 'query:sourceIp'],
      ['GET', '/v1/incidents?limit=5000', undefined, 400, 'query:limit'],
      ['GET', '/v1/tasks/not-a-uuid', undefined, 400, 'path:id'],
      ['GET', `/v1/tasks/${randomUUID()}`, undefined, 404, 'path:id'],
      ['GET', `/v1/incidents/${randomUUID()}`, undefined, 404, 'path:id'],
      ['POST', `/v1/tasks/${task.id}/resolve`, { disposition: 'maybe' }, 422, '/disposition'],
      ['POST', `/v1/tasks/${task.id}/resolve`, {}, 422, '/disposition'],
      ['POST', `/v1/tasks/${task.id}/reassign`, { to: 'nobody.here' }, 422, '/to'],
      ['POST', `/v1/tasks/${task.id}/reassign`, { to: task.assignee_id }, 409, '/to'],
      ['POST', `/v1/tasks/${task.id}/comments`, { text: '   ' }, 422, '/text'],
      ['POST', `/v1/tasks/${randomUUID()}/ack`, undefined, 404, 'path:id'],
    ];
    for (const [method, path, body, status, field] of cases) {
      const res = await robot(method, path, body);
      expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({
        path,
        status,
        type: expect.stringContaining('application/problem+json'),
      });
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    }
    // Ingest keys cannot work tasks.
    expect((await stack.ingest('GET', '/v1/tasks')).status).toBe(403);
    // Nothing above changed the task.
    expect((await robot('GET', `/v1/tasks/${task.id}`)).body).toMatchObject({ status: 'assigned', assignee: { id: task.assignee_id } });
  });
});
