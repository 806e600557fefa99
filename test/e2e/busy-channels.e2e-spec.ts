import type { FakeJira } from '../fakes/jira-server';
import type { FakeSlack } from '../fakes/slack-server';
import { chatEnv, startChatFakes, untilDelivered } from '../support/chat';
import { pollUntil, startWorker, type RunningWorker } from '../support/harness';
import { alert, startStack, type Stack } from '../support/stack';

// Busy channels (issue 24): a burst into one incident while Slack rate-limits, and two workers
// sharing notices while Jira is slow. Verdicts come from the fakes' own logs and state.

/** The alert count a top message shows (its "Alerts" field). */
const alertsShown = (message: unknown) => Number(/\*Alerts\*\\n(\d+)"/.exec(JSON.stringify(message))?.[1]);

describe('a burst into one incident while Slack answers 429 with Retry-After 3 s', () => {
  let stack: Stack;
  let slack: FakeSlack;
  let jira: FakeJira;

  beforeAll(async () => {
    ({ slack, jira } = await startChatFakes());
    stack = await startStack({
      name: 'busy-slack',
      // The burst is one incident's alerts, not a storm to fold.
      rules: (doc) => {
        doc.defaults.storm = false;
      },
      env: { ...chatEnv(slack, jira), SLACK_TIMEOUT_SECONDS: '5' },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all([slack?.close(), jira?.close()]);
  });

  it('spaces Slack calls by Retry-After, posts a handful of replies and one top message at 121 alerts, and delivers another incident’s critical notice meanwhile', async () => {
    const first = await stack.ingest('POST', '/v1/alerts', alert({ sourceIp: '198.18.24.1', severity: 'medium', title: 'burst 0' }));
    const burstId = (first.body as { incidentId: string }).incidentId;
    const { externalId: topTs, channel } = await pollUntil(
      async () =>
        (
          await stack.db.query<{ externalId: string; channel: string }[]>(
            `SELECT external_id AS "externalId", external->>'channel' AS channel FROM integration_links WHERE channel = 'slack' AND subject_id = $1`,
            [burstId],
          )
        )[0],
      (link) => !!link?.externalId,
      { what: 'the burst incident’s Slack thread', timeoutMs: 30_000 },
    );

    // From here Slack takes one call every 3 s and answers any sooner one 429, Retry-After 3.
    slack.rateLimit(3);
    const startedAt = Date.now();
    let criticalId: string | undefined;
    let lastPostedAt = 0;
    // The scenario's pace: 120 alerts spread over 60 s (2 a second). No verdict waits on it.
    for (let i = 1; i <= 120; i++) {
      const due = startedAt + i * 500;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
      const res = await stack.ingest('POST', '/v1/alerts', alert({ sourceIp: '198.18.24.1', severity: 'medium', title: `burst ${i}` }));
      expect(res.status).toBe(202);
      if (i === 30) {
        const critical = await stack.ingest(
          'POST',
          '/v1/alerts',
          alert({ sourceIp: '198.18.24.2', severity: 'critical', title: 'elsewhere' }),
        );
        criticalId = (critical.body as { incidentId: string }).incidentId;
      }
      lastPostedAt = Date.now();
    }

    // The top message, edited at last to the count at the end.
    const thread = await pollUntil(
      async () => slack.thread(channel, topTs),
      (t) => alertsShown(t[0]) === 121,
      { what: 'the top message showing 121 alerts', timeoutMs: 90_000 },
    );
    const tops = slack.messages.filter((m) => !m.threadTs && m.channel === channel);
    expect(tops).toHaveLength(1);
    expect(thread.length - 1).toBeLessThanOrEqual(5);

    // From the first 429 on, no two Slack calls closer than its Retry-After.
    const calls = slack.requests.filter((r) => r.at >= startedAt);
    const firstLimited = calls.findIndex((r) => slack.limited.has(r));
    expect(firstLimited).toBeGreaterThanOrEqual(0);
    const close = calls
      .slice(firstLimited + 1)
      .map((r, i) => ({ call: `${calls[firstLimited + i].apiMethod} then ${r.apiMethod}`, gapMs: r.at - calls[firstLimited + i].at }))
      .filter((pair) => pair.gapMs < 3000);
    expect(close).toEqual([]);

    // The other incident's critical notice reached Slack while the burst was still arriving.
    const [critical] = await stack.db.query<{ sentAt: Date | null }[]>(
      `SELECT sent_at AS "sentAt" FROM notifications WHERE incident_id = $1 AND kind = 'critical' AND channel = 'slack'`,
      [criticalId],
    );
    expect(critical.sentAt!.getTime()).toBeLessThan(lastPostedAt);
  }, 180_000);
});

describe('two workers sharing notices while Jira takes 3 s a call', () => {
  let stack: Stack;
  let slack: FakeSlack;
  let jira: FakeJira;
  let second: RunningWorker;

  beforeAll(async () => {
    ({ slack, jira } = await startChatFakes());
    stack = await startStack({
      name: 'busy-jira',
      env: {
        ...chatEnv(slack, jira),
        // A lease that a batch of 3 s calls outlasts many times over: only the lease check keeps the workers apart.
        NOTIFY_LEASE_SECONDS: '12',
        JIRA_TIMEOUT_SECONDS: '5',
      },
    });
    second = await startWorker(stack.env);
  });
  afterAll(async () => {
    await second?.stop();
    await stack?.close();
    await Promise.all([slack?.close(), jira?.close()]);
  });

  it('posts every comment exactly once', async () => {
    const tasks: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await stack.ingest(
        'POST',
        '/v1/alerts',
        alert({ sourceIp: `198.18.25.${i + 1}`, severity: 'high', title: `slow jira ${i}` }),
      );
      tasks.push((await stack.task((res.body as { incidentId: string }).incidentId)).id as string);
    }
    // Every issue exists before Jira slows down; then 50 comments wait at once.
    await pollUntil(
      async () =>
        (
          await stack.db.query<{ n: number }[]>(
            `SELECT count(*)::int AS n FROM integration_links WHERE channel = 'jira' AND subject_id = ANY($1::uuid[]) AND external_id IS NOT NULL`,
            [tasks],
          )
        )[0].n,
      (n) => n === 10,
      { what: 'the ten Jira issues', timeoutMs: 60_000 },
    );
    jira.setLatency(3000);
    const analyst = await stack.as(null, ['admin']);
    const texts: string[] = [];
    for (const [t, taskId] of tasks.entries()) {
      for (let c = 0; c < 5; c++) {
        const text = `note ${t}-${c}`;
        texts.push(text);
        const res = await analyst('POST', `/v1/tasks/${taskId}/comments`, { text });
        expect(res.status).toBe(201);
      }
    }
    // Every Jira delivery of the ten tasks done (none left to retry), then the count: a duplicate could not come later.
    for (const taskId of tasks) await untilDelivered(stack.db, taskId, 'jira', 240_000);
    const posted = (text: string) => jira.comments.filter((c) => JSON.stringify(c.body).includes(text)).length;
    expect(texts.map(posted)).toEqual(texts.map(() => 1));
  }, 300_000);
});
