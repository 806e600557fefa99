import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { loadEnv } from '../../src/common/env';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { NotificationDispatcher } from '../../src/notifications/notification-dispatcher.service';
import { NotificationsService } from '../../src/notifications/notifications.service';
import { DeliveryError, OutgoingNotification } from '../../src/notifications/notifier';
import { pollUntil } from '../support/harness';
import { isolatedDatabase } from '../support/isolated';
import { uniqueIp } from '../support/ips';
import { alert, startStack, Stack } from '../support/stack';

const root = join(__dirname, '..', '..');

/** The CLI as an operator runs it, against `databaseUrl`. */
const warden = (databaseUrl: string, ...args: string[]) =>
  promisify(execFile)(process.execPath, ['-r', 'ts-node/register', join(root, 'src', 'cli', 'warden.ts'), ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });

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
      `SELECT array_agg(DISTINCT last_error) AS errors FROM notifications WHERE task_id = $1 AND channel = 'webhook' AND attempts > 0`,
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

describe('a notice the channel refuses', () => {
  let stack: Stack;

  beforeAll(async () => {
    // Backoff of a second: a retry, were there one, would come at once.
    stack = await startStack({ name: 'notices-refused', env: { NOTIFY_MAX_BACKOFF_SECONDS: '1', NOTIFY_POLL_INTERVAL_MS: '100' } });
  });
  afterAll(async () => stack?.close());

  const noticeRow = async (taskId: string) =>
    (
      await stack.db.query(
        `SELECT key, attempts, last_error, sent_at IS NOT NULL AS sent, failed_at IS NOT NULL AS failed FROM notifications WHERE task_id = $1 AND channel = 'webhook'`,
        [taskId],
      )
    )[0];

  it('is tried exactly once on a 400, marked failed with the error and shown on the incident; redrive delivers it once', async () => {
    stack.webhook.failWith(400);
    const res = await stack.ingest('POST', '/v1/alerts', alert({ type: 'port_scan', severity: 'medium', sourceIp: uniqueIp() }));
    expect(res.status).toBe(202);
    const incidentId: string = res.body.incidentId;
    const task = await stack.task(incidentId, (t) => t.status !== 'new', 'assignment');

    // Failed for good at its first answer: a failed notice is never leased again, so one attempt is all it gets.
    const failed = await pollUntil(
      () => noticeRow(task.id),
      (n) => n?.failed === true,
      { what: 'the refused notice marked failed' },
    );
    expect(failed).toEqual({
      key: failed.key,
      attempts: 1,
      last_error: `webhook ${new URL(stack.env.NOTIFY_WEBHOOK_URL!).origin} answered 400`,
      sent: false,
      failed: true,
    });
    expect(stack.webhook.answers(failed.key)).toEqual([400]);

    // The incident shows it, with its error, and counts it.
    const analyst = await stack.as(null);
    const detail = await analyst('GET', `/v1/incidents/${incidentId}`);
    expect(detail.status).toBe(200);
    expect(detail.body.failedNotices).toBe(1);
    // One row per channel: the log took it, the webhook refused it.
    const webhookNotices = (body: { notices: { channel: string; failedAt: string | null }[] }) =>
      body.notices.filter((n) => n.channel === 'webhook');
    expect(webhookNotices(detail.body)).toEqual([
      expect.objectContaining({ key: failed.key, taskId: task.id, status: 'failed', attempts: 1, error: failed.last_error, sentAt: null }),
    ]);
    expect(typeof webhookNotices(detail.body)[0].failedAt).toBe('string');

    // The receiver is fixed; the operator re-drives the incident's failed notices.
    stack.webhook.failWith(null);
    const redriven = await warden(stack.env.DATABASE_URL, 'notices', 'redrive', '--incident', incidentId);
    expect(redriven.stdout.trim().split('\n')).toEqual([`${failed.key} (webhook)`]);
    expect(redriven.stderr).toContain('re-driven 1 failed notice(s)');

    const sent = await pollUntil(
      () => noticeRow(task.id),
      (n) => n.sent === true,
      { what: 'the re-driven notice delivered' },
    );
    expect(sent).toEqual({ key: failed.key, attempts: 2, last_error: null, sent: true, failed: false });
    // Sent notices are never leased again: one refusal and one delivery, and no more.
    expect(stack.webhook.answers(failed.key)).toEqual([400, 204]);
    const after = (await analyst('GET', `/v1/incidents/${incidentId}`)).body;
    expect({ failedNotices: after.failedNotices, notices: webhookNotices(after) }).toMatchObject({
      failedNotices: 0,
      notices: [{ key: failed.key, status: 'sent', error: null, failedAt: null }],
    });
  });

  it("backs off a 429 for at least the receiver's Retry-After", async () => {
    stack.webhook.failWith(429, { 'retry-after': '120' });
    try {
      const res = await stack.ingest('POST', '/v1/alerts', alert({ type: 'port_scan', severity: 'medium', sourceIp: uniqueIp() }));
      expect(res.status).toBe(202);
      const task = await stack.task(res.body.incidentId, (t) => t.status !== 'new', 'assignment');
      const [row] = await pollUntil(
        () =>
          stack.db.query(
            `SELECT key, attempts, failed_at IS NOT NULL AS failed, available_at >= now() + interval '100 seconds' AS waits
               FROM notifications WHERE task_id = $1 AND channel = 'webhook'`,
            [task.id],
          ),
        ([n]) => n?.attempts === 1,
        { what: 'the first attempt answered 429' },
      );
      expect(row).toEqual({ key: row.key, attempts: 1, failed: false, waits: true });
    } finally {
      stack.webhook.failWith(null);
    }
  });

  it('refuses a redrive that names neither an incident nor --all', async () => {
    await expect(warden(stack.env.DATABASE_URL, 'notices', 'redrive')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('give either --incident <id> or --all'),
    });
    await expect(warden(stack.env.DATABASE_URL, 'notices', 'redrive', '--incident', 'nope')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--incident: must be an incident id (a UUID)'),
    });
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
      `INSERT INTO notifications (channel, key, kind, recipients, payload, created_at) VALUES
        ('down', $1 || ':fresh', 'test', '{}', '{"title":"t","text":"t","data":{}}', now()),
        ('down', $1 || ':old', 'test', '{}', '{"title":"t","text":"t","data":{}}', now() - interval '2 hours')`,
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

  /** One task's notices, in order; returns the incident they belong to. */
  const insert = async (channel: string, keys: string[], createdAgo = '0 seconds') => {
    const incidentId = randomUUID();
    await db.query(
      `INSERT INTO notifications (channel, key, kind, task_id, incident_id, recipients, payload, created_at)
       SELECT $4, k, 'test', $2, $2, '{}', '{"title":"t","text":"t","data":{}}', now() - $3::interval
         FROM unnest($1::text[]) WITH ORDINALITY AS u(k, n) ORDER BY n`,
      [keys, incidentId, createdAgo, channel],
    );
    return incidentId;
  };
  const rowsOf = (prefix: string) =>
    db.query(
      `SELECT key, attempts, last_error, failed_at IS NOT NULL AS failed, sent_at IS NOT NULL AS sent FROM notifications WHERE key LIKE $1 || ':%' ORDER BY id`,
      [prefix],
    );

  it("marks a refused notice failed at once, and delivers the task's next notice after it", async () => {
    const sent: string[] = [];
    const channel = {
      name: 'picky',
      send: async (n: OutgoingNotification) => {
        if (n.key.endsWith(':refused')) throw new DeliveryError('answered 422', true);
        sent.push(n.key);
      },
    };
    const dispatcher = new NotificationDispatcher(db, [channel], loadEnv(process.env), new NotificationsService(db));
    await insert('picky', ['picky:refused', 'picky:next']);
    await dispatcher.deliverBatch();
    expect(await rowsOf('picky')).toEqual([
      { key: 'picky:refused', attempts: 1, last_error: 'answered 422', failed: true, sent: false },
      { key: 'picky:next', attempts: 1, last_error: null, failed: false, sent: true },
    ]);
    expect(sent).toEqual(['picky:next']);
    // Failed for good: nothing is left to take.
    expect(await dispatcher.deliverBatch()).toBe(0);
  });

  it('an alerts-added row reopened while its delivery is in flight goes again only after alerts_added_every', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => (started = resolve));
    const channel = {
      name: 'held',
      send: async () => {
        started();
        await held;
      },
    };
    const notifications = new NotificationsService(db, [{ name: 'held', kinds: ['incident.alerts_added'] }], 120);
    const dispatcher = new NotificationDispatcher(db, [channel], loadEnv(process.env), notifications, undefined, 120);
    const incidentId = randomUUID();
    await notifications.alertsAdded([incidentId]);
    const delivering = dispatcher.deliverBatch();
    await inFlight;
    // More alerts joined while the channel was still taking the first update.
    await notifications.alertsAdded([incidentId]);
    release();
    await delivering;
    const [row] = await db.query(
      `SELECT generation, sent_at IS NULL AS pending, available_at >= now() + interval '110 seconds' AS waits
         FROM notifications WHERE channel = 'held' AND incident_id = $1`,
      [incidentId],
    );
    expect(row).toEqual({ generation: 1, pending: true, waits: true });
  });

  it("waits at least the channel's Retry-After before the next attempt", async () => {
    const channel = { name: 'busy', send: () => Promise.reject(new DeliveryError('answered 429', false, 120)) };
    const dispatcher = new NotificationDispatcher(db, [channel], loadEnv(process.env), new NotificationsService(db));
    await insert('busy', ['busy:one']);
    await dispatcher.deliverBatch();
    const [row] = await db.query(
      `SELECT failed_at IS NOT NULL AS failed, available_at >= now() + interval '110 seconds' AS waits FROM notifications WHERE key = 'busy:one'`,
    );
    expect(row).toEqual({ failed: false, waits: true });
  });

  it('gives a re-driven notice its full maximum age again', async () => {
    const env = loadEnv({ ...process.env, NOTIFY_MAX_AGE_SECONDS: '3600' });
    const notifications = new NotificationsService(db);
    const dispatcher = new NotificationDispatcher(
      db,
      [{ name: 'down', send: () => Promise.reject(new Error('still down')) }],
      env,
      notifications,
    );
    // Recorded two hours ago and failed for good since.
    const incidentId = await insert('down', ['aged:one'], '2 hours');
    await db.query(`UPDATE notifications SET failed_at = now(), attempts = 5 WHERE key = 'aged:one'`);
    expect(await notifications.redrive({ incidentId })).toEqual(['aged:one (down)']);
    await dispatcher.deliverBatch();
    // Older than the maximum age, yet one failure after the re-drive only backs it off.
    expect(await rowsOf('aged')).toEqual([{ key: 'aged:one', attempts: 6, last_error: 'still down', failed: false, sent: false }]);
  });
});
