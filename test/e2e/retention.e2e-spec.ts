import { randomUUID } from 'node:crypto';
import { RetentionService } from '../../src/privacy/retention.service';
import { WorkerMetrics } from '../../src/stats/metrics/worker-metrics';
import { testEnv } from '../support/harness';
import { alert, startStack, type Stack } from '../support/stack';

/**
 * Retention prunes delivered rows, the links of long-resolved incidents and sessions that are over,
 * and only those, and counts each pruning. The pass runs here by hand: the stack's own worker keeps
 * everything (its retentions and session limits are far longer), so no verdict waits on the worker's timer.
 */
describe('retention', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      name: 'retention',
      env: {
        NOTIFY_RETENTION_HOURS: '100000',
        OUTBOX_RETENTION_HOURS: '100000',
        INTEGRATION_LINKS_RETENTION_HOURS: '100000',
        SESSION_IDLE_SECONDS: '100000000',
        SESSION_MAX_HOURS: '100000',
      },
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  const incident = async (sourceIp: string) => {
    const res = await stack.ingest('POST', '/v1/alerts', alert({ sourceIp, severity: 'high', title: `retention ${sourceIp}` }));
    const { incidentId } = res.body as { incidentId: string };
    const task = await stack.task(incidentId);
    return { incidentId, taskId: task.id as string };
  };

  it('deletes delivered notices and outbox rows past their retention, the links of incidents resolved that long ago and sessions that are over, and counts them', async () => {
    const old = await incident('198.18.7.1');
    const recent = await incident('198.18.7.2');
    await stack.db.query(`UPDATE incidents SET resolved_at = now() - interval '800 hours' WHERE id = $1`, [old.incidentId]);
    await stack.db.query(`UPDATE tasks SET resolved_at = now() - interval '800 hours' WHERE id = $1`, [old.taskId]);
    await stack.db.query(`UPDATE incidents SET resolved_at = now() - interval '1 hour' WHERE id = $1`, [recent.incidentId]);

    const key = `retention:${randomUUID()}`;
    await stack.db.query(
      `INSERT INTO notifications (key, channel, kind, sent_at, failed_at, available_at) VALUES
         ($1 || ':a', 'log', 'assigned', now() - interval '200 hours', NULL, now()),
         ($1 || ':b', 'log', 'assigned', now() - interval '200 hours', NULL, now()),
         ($1 || ':c', 'slack', 'assigned', now() - interval '169 hours', NULL, now()),
         ($1 || ':kept-recent', 'log', 'assigned', now() - interval '167 hours', NULL, now()),
         ($1 || ':kept-failed', 'log', 'assigned', NULL, now() - interval '200 hours', now()),
         ($1 || ':kept-pending', 'log', 'assigned', NULL, NULL, 'infinity')`,
      [key],
    );
    const outboxIncident = randomUUID();
    await stack.db.query(
      `INSERT INTO outbox (incident_id, kind, payload, delivered_at, available_at) VALUES
         ($1, 'alerts_changed', '{"n":"old-1"}', now() - interval '200 hours', now()),
         ($1, 'alerts_changed', '{"n":"old-2"}', now() - interval '169 hours', now()),
         ($1, 'alerts_changed', '{"n":"kept-recent"}', now() - interval '1 hour', now()),
         ($1, 'alerts_changed', '{"n":"kept-pending"}', NULL, 'infinity')`,
      [outboxIncident],
    );
    const [oldReply, recentReply] = [randomUUID(), randomUUID()];
    await stack.db.query(
      `INSERT INTO integration_links (channel, subject_id, external_id, created_at) VALUES
         ('slack', $1, '1.1', now()), ('jira', $2, 'SOC-1', now()), ('slack', $3, '1.2', now()), ('jira', $4, 'SOC-2', now()),
         ('slack:reply', $5, 'C1/1.3', now() - interval '200 hours'), ('slack:reply', $6, 'C1/1.4', now() - interval '1 hour')`,
      [old.incidentId, old.taskId, recent.incidentId, recent.taskId, oldReply, recentReply],
    );

    // With the defaults the pass below runs with: 30 minutes idle, 12 hours at most.
    const analyst = `retention-${randomUUID()}`;
    await stack.db.query(
      `INSERT INTO sessions (token_hash, analyst_id, scopes, via, csrf_secret, created_at, last_seen_at, ended_at) VALUES
         ($1 || ':signed-out', $1, '{analyst}', 'oidc', 's', now() - interval '1 hour', now() - interval '1 minute', now() - interval '1 minute'),
         ($1 || ':idle', $1, '{analyst}', 'oidc', 's', now() - interval '1 hour', now() - interval '31 minutes', NULL),
         ($1 || ':too-old', $1, '{analyst}', 'key', 's', now() - interval '13 hours', now() - interval '1 minute', NULL),
         ($1 || ':kept-in-use', $1, '{analyst}', 'oidc', 's', now() - interval '11 hours', now() - interval '29 minutes', NULL),
         ($1 || ':kept-new', $1, '{analyst}', 'key', 's', now(), now(), NULL)`,
      [analyst],
    );

    const metrics = new WorkerMetrics();
    const retention = new RetentionService(stack.db, testEnv(), metrics);
    expect(await retention.prune()).toEqual({ notifications: 3, outbox: 2, integration_links: 3, sessions: 3 });

    const notices = await stack.db.query(`SELECT key FROM notifications WHERE key LIKE $1 || ':%' ORDER BY key`, [key]);
    expect(notices.map((r: { key: string }) => r.key.slice(key.length + 1))).toEqual(['kept-failed', 'kept-pending', 'kept-recent']);
    const outbox = await stack.db.query(`SELECT payload->>'n' AS n FROM outbox WHERE incident_id = $1 ORDER BY id`, [outboxIncident]);
    expect(outbox.map((r: { n: string }) => r.n)).toEqual(['kept-recent', 'kept-pending']);
    const links = await stack.db.query(
      `SELECT channel, external_id FROM integration_links WHERE subject_id = ANY($1::uuid[]) ORDER BY external_id`,
      [[old.incidentId, old.taskId, recent.incidentId, recent.taskId, oldReply, recentReply]],
    );
    expect(links).toEqual([
      { channel: 'slack', external_id: '1.2' },
      { channel: 'slack:reply', external_id: 'C1/1.4' },
      { channel: 'jira', external_id: 'SOC-2' },
    ]);

    const sessions = await stack.db.query(`SELECT token_hash FROM sessions WHERE analyst_id = $1 ORDER BY token_hash`, [analyst]);
    expect(sessions.map((r: { token_hash: string }) => r.token_hash.slice(analyst.length + 1))).toEqual(['kept-in-use', 'kept-new']);

    const text = await metrics.registry.metrics();
    expect(text).toContain('warden_pruned_rows_total{kind="notifications"} 3');
    expect(text).toContain('warden_pruned_rows_total{kind="outbox"} 2');
    expect(text).toContain('warden_pruned_rows_total{kind="integration_links"} 3');
    expect(text).toContain('warden_pruned_rows_total{kind="sessions"} 3');
  });
});
