import { DataSource } from 'typeorm';
import { loadEnv } from '../../src/common/env';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { NotificationDispatcher } from '../../src/notifications/notification-dispatcher.service';
import { NotificationsService } from '../../src/notifications/notifications.service';
import { pollUntil } from '../support/harness';
import { isolatedDatabase } from '../support/isolated';
import { uniqueIp } from '../support/ips';
import { alert, startStack, Stack } from '../support/stack';

// Notices are recorded by the workflow's steps and delivered beside it by the worker's
// NotificationDispatcher: a channel that is down delays its own notices and nothing else.
describe('notices delivered beside the workflows', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      name: 'notices',
      // P1: acknowledge within 2 s; the assignee hears at 2 s, the lead at 3 s, executives at 4 s.
      sla: (doc) => {
        doc.priorities.P1 = { ack: '2s', resolve: '60s' };
        doc.escalation = {
          critical_notifies_executives: false,
          tiers: [
            { tier: 'assignee', repeat: 0 },
            { tier: 'team_lead', after: '1s' },
            { tier: 'executive', after: '2s', priorities: ['P1'] },
          ],
        };
      },
      env: { NOTIFY_MAX_BACKOFF_SECONDS: '1' },
    });
  });
  afterAll(async () => stack?.close());

  it('escalate on time while the webhook is down, and reach it once it is back', async () => {
    stack.webhook.failWith(503);
    const res = await stack.ingest('POST', '/v1/alerts', alert({ type: 'malware', severity: 'critical', sourceIp: uniqueIp() }));
    expect(res.status).toBe(202);
    const task = await stack.task(res.body.incidentId, (t) => t.assignee_id !== null, 'assignment');

    // Every step up to the executives is recorded although not one notice got through.
    const recorded = await pollUntil(
      () => stack.notifications(task.id),
      (n) => n.some((x) => x.key === 'breach:executive:0'),
      { what: 'the executive step while the webhook is down', timeoutMs: 30_000 },
    );
    expect(recorded.map((n) => [n.key.replace(/:\d+$/, ''), n.sent])).toEqual([
      ['assignment', false],
      ['breach:assignee', false],
      ['breach:team_lead', false],
      ['breach:executive', false],
    ]);
    const [{ errors }] = await stack.db.query(
      `SELECT array_agg(DISTINCT last_error) AS errors FROM notifications WHERE task_id = $1 AND attempts > 0`,
      [task.id],
    );
    expect(errors).toEqual([expect.stringMatching(/answered 503$/)]);

    stack.webhook.failWith(null);
    await pollUntil(
      () => stack.notifications(task.id),
      (n) => n.length === 4 && n.every((x) => x.sent),
      { what: 'every notice delivered after the webhook came back', timeoutMs: 30_000 },
    );
  });
});

describe('NotificationDispatcher', () => {
  let db: DataSource;
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  beforeAll(async () => {
    database = await isolatedDatabase();
    db = await new DataSource(dataSourceOptions(database.url, 2)).initialize();
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('backs a failing notice off, and marks it failed once it is older than NOTIFY_MAX_AGE_SECONDS', async () => {
    const env = loadEnv({ ...process.env, NOTIFY_MAX_AGE_SECONDS: '3600' });
    const failing = { name: 'down', send: () => Promise.reject(new Error('channel down')) };
    const dispatcher = new NotificationDispatcher(db, [failing], env, new NotificationsService(db));
    const key = 'notice';
    await db.query(
      `INSERT INTO notifications (key, kind, recipients, payload, created_at) VALUES
        ($1 || ':fresh', 'test', '{}', '{"title":"t","text":"t","data":{}}', now()),
        ($1 || ':old', 'test', '{}', '{"title":"t","text":"t","data":{}}', now() - interval '2 hours')`,
      [key],
    );
    expect(await dispatcher.deliverBatch()).toBe(2);
    // Both are backed off now: nothing to take.
    expect(await dispatcher.deliverBatch()).toBe(0);
    const rows = await db.query(
      `SELECT key, attempts, last_error, failed_at IS NOT NULL AS failed, available_at > now() AS backed_off, sent_at
         FROM notifications WHERE key LIKE $1 || ':%' ORDER BY key`,
      [key],
    );
    expect(rows).toEqual([
      { key: `${key}:fresh`, attempts: 1, last_error: 'channel down', failed: false, backed_off: true, sent_at: null },
      { key: `${key}:old`, attempts: 1, last_error: 'channel down', failed: true, backed_off: true, sent_at: null },
    ]);
  });
});
