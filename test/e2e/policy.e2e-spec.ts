import { recordHistory } from '../support/histories';
import { pollUntil, untilFolded } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { alert, startStack, Stack } from '../support/stack';

// The default policy table (DESIGN.md, Configuration as code) with the shipped rules.yaml
// and assignment.yaml, end to end: alert in, task assigned to the right role.
describe('default policy table, end to end', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ name: 'policy', sla: (doc) => (doc.digest = { every: '2s' }) });
  });
  afterAll(async () => stack?.close());

  const assignedRole = async (fields: Record<string, unknown>) => {
    const res = await stack.ingest('POST', '/v1/alerts', alert({ sourceIp: uniqueIp(), ...fields }));
    expect(res.status).toBe(202);
    const task = await stack.task(res.body.incidentId, (t) => t.assignee_id !== null, 'assignment');
    const [analyst] = await stack.db.query(`SELECT role FROM analysts WHERE id = $1`, [task.assignee_id]);
    return { role: analyst.role, priority: task.priority, incidentId: res.body.incidentId, task };
  };

  it.each([
    ['critical', { type: 'malware', severity: 'critical' }, 'team_lead', 'P1'],
    ['SQL injection', { type: 'sql_injection', severity: 'medium' }, 'senior_analyst', 'P2'],
    ['privilege escalation', { type: 'privilege_escalation', severity: 'medium', host: 'db-2' }, 'senior_analyst', 'P2'],
    ['other high', { type: 'c2_beacon', severity: 'high' }, 'senior_analyst', 'P2'],
    ['medium', { type: 'dns_tunneling', severity: 'medium' }, 'analyst', 'P3'],
  ])('%s goes to a %s', async (_, fields, role, priority) => {
    expect(await assignedRole(fields)).toMatchObject({ role, priority });
  });

  it('repeated failed logins from one IP become one correlated task for an analyst', async () => {
    const ip = uniqueIp();
    const logins = Array.from({ length: 5 }, (_, i) =>
      alert({ type: 'failed_login', severity: 'medium', sourceIp: ip, user: `admin${i}`, title: 'SSH login failed' }),
    );
    const res = await stack.ingest('POST', '/v1/alerts', logins);
    const incidents = new Set(res.body.results.map((r: { incidentId: string }) => r.incidentId));
    expect(incidents.size).toBe(1);
    const [incidentId] = [...incidents] as string[];
    const task = await stack.task(incidentId, (t) => t.assignee_id !== null, 'assignment');
    const [analyst] = await stack.db.query(`SELECT role, expertise FROM analysts WHERE id = $1`, [task.assignee_id]);
    expect(analyst.role).toBe('analyst');
    // Expertise wins within the role: these two analysts know failed logins.
    expect(analyst.expertise).toContain('failed_login');
    expect(['lucia.garcia', 'jonas.muller']).toContain(task.assignee_id);
    expect(await stack.db.query(`SELECT count(*)::int AS n FROM tasks WHERE incident_id = $1`, [incidentId])).toEqual([{ n: 1 }]);
    await untilFolded(stack.db, [incidentId]);
    expect((await stack.db.query(`SELECT alert_count FROM incidents WHERE id = $1`, [incidentId]))[0].alert_count).toBe(5);
  });

  it('low severity goes into a digest task for a junior analyst', async () => {
    const res = await stack.ingest('POST', '/v1/alerts', [
      alert({ type: 'port_scan', severity: 'low', sourceIp: uniqueIp() }),
      alert({ type: 'dns_tunneling', severity: 'low', sourceIp: uniqueIp() }),
    ]);
    const ids = res.body.results.map((r: { incidentId: string }) => r.incidentId);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['new', 'new']);
    // No task of its own: the digest schedule gathers it.
    const incidents = await pollUntil(
      () => stack.db.query(`SELECT id, digest_task_id FROM incidents WHERE id = ANY($1::uuid[])`, [ids]),
      (rows) => rows.length === 2 && rows.every((r: { digest_task_id: string | null }) => r.digest_task_id !== null),
      { what: 'the digest to gather both incidents', timeoutMs: 30_000 },
    );
    const digestIds = new Set(incidents.map((r: { digest_task_id: string }) => r.digest_task_id));
    for (const id of digestIds) {
      const digest = await pollUntil(
        () => stack.db.query(`SELECT t.*, a.role FROM tasks t LEFT JOIN analysts a ON a.id = t.assignee_id WHERE t.id = $1`, [id]),
        ([t]) => t?.assignee_id !== null,
        {
          what: 'the digest assigned',
        },
      );
      expect(digest[0]).toMatchObject({
        kind: 'digest',
        incident_id: null,
        priority: 'P4',
        assign_role: 'junior_analyst',
        role: 'junior_analyst',
        status: 'assigned',
      });
      recordHistory(stack.env.TEMPORAL_ADDRESS, digest[0].digest_key, 'digest');
    }
    expect(await stack.db.query(`SELECT count(*)::int AS n FROM tasks WHERE incident_id = ANY($1::uuid[])`, [ids])).toEqual([{ n: 0 }]);
    const notices = await pollUntil(
      () => stack.notifications([...digestIds][0] as string),
      (n) => n.length === 1 && n[0].sent,
      { what: 'the digest notice' },
    );
    expect(notices[0].kind).toBe('digest');
  });
});
