import { randomUUID } from 'node:crypto';
import type { FakeJira } from '../fakes/jira-server';
import type { FakeSlack, SlackCall } from '../fakes/slack-server';
import { chatEnv, startChatFakes } from '../support/chat';
import { pollUntil } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { alert, startStack, Stack } from '../support/stack';

// Half success (DESIGN.md, Under fire): Slack and Jira carry out a create and then answer 500, or
// never answer until the client gives up. The real api, worker, Temporal and Postgres; the real
// WebClient and jira.js over HTTP to the spec-validated fakes, which keep what they were asked to do
// whatever they answer. Counts come from the fakes' state.

const RULES = [
  {
    name: 'half-success',
    match: { type: 'half_success' },
    action: 'correlate',
    priority: 'P3',
    correlate_by: ['sourceIp'],
    assign_role: 'analyst',
  },
];

describe('a backend that applies and then fails (real api, worker, Temporal, Postgres; spec-validated fakes over HTTP)', () => {
  let stack: Stack;
  let slack: FakeSlack;
  let jira: FakeJira;

  beforeAll(async () => {
    ({ slack, jira } = await startChatFakes());
    stack = await startStack({
      name: 'half-success',
      rules: (doc) => {
        doc.rules = [...RULES, ...doc.rules];
      },
      env: {
        ...chatEnv(slack, jira),
        // The clients give up on a call that never answers after this long (the timeout cases).
        SLACK_TIMEOUT_SECONDS: '3',
        JIRA_TIMEOUT_SECONDS: '3',
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all([slack?.close(), jira?.close()]);
  });

  const post = async (fields: Record<string, unknown>) => {
    const res = await stack.ingest('POST', '/v1/alerts', alert({ type: 'half_success', sourceIp: uniqueIp(), ...fields }));
    expect(res.status).toBe(202);
    return (res.body as { incidentId: string }).incidentId;
  };
  const mentions = (text: string) => (call: { request: unknown }) => JSON.stringify(call.request).includes(text);
  /** A chat.postMessage of a top-level message (not a thread reply) that mentions `text`. */
  const topPost = (text: string) => (call: SlackCall) =>
    call.apiMethod === 'chat.postMessage' && call.args.thread_ts === undefined && mentions(text)(call);
  /** Top-level messages in the fake's channels (not replies, not DMs) that name the incident. */
  const topMessages = (incidentId: string) =>
    slack.messages.filter((m) => m.threadTs === null && !m.channel.startsWith('D') && JSON.stringify(m).includes(incidentId));
  const issuesOf = (incidentId: string) => [...jira.issues.values()].filter((i) => i.labels.includes(`warden-incident-${incidentId}`));
  /** The notices of the task, by channel, that took more than one attempt. */
  const retried = async (taskId: string) =>
    (
      await stack.db.query(
        `SELECT DISTINCT channel FROM notifications WHERE task_id = $1 AND channel IN ('slack', 'jira') AND attempts > 1 ORDER BY channel`,
        [taskId],
      )
    ).map((r: { channel: string }) => r.channel);
  /**
   * Polls until the task's notices of these kinds are recorded for Slack and for Jira, then until none of
   * the task's deliveries is pending: each is sent, or has failed for good.
   */
  const settle = async (taskId: string, kinds: string[]) => {
    await pollUntil(
      async () =>
        (
          await stack.db.query(
            `SELECT count(DISTINCT (channel, kind))::int AS n FROM notifications
              WHERE task_id = $1 AND channel IN ('slack', 'jira') AND kind = ANY($2::text[])`,
            [taskId, kinds],
          )
        )[0].n as number,
      (n) => n === kinds.length * 2,
      { what: `the ${kinds.join(', ')} notices of task ${taskId} for Slack and Jira`, timeoutMs: 30_000 },
    );
    await pollUntil(
      async () =>
        (
          await stack.db.query(
            `SELECT count(*)::int AS n FROM notifications WHERE task_id = $1 AND sent_at IS NULL AND failed_at IS NULL`,
            [taskId],
          )
        )[0].n as number,
      (n) => n === 0,
      { what: `every delivery of task ${taskId} sent or failed`, timeoutMs: 30_000 },
    );
  };
  const failedNotices = async (taskId: string) =>
    (await stack.db.query(`SELECT count(*)::int AS n FROM notifications WHERE task_id = $1 AND failed_at IS NOT NULL`, [taskId]))[0]
      .n as number;

  it.each([
    ['500', { status: 500 } as const],
    ['a timeout', 'timeout' as const],
  ])('Jira createIssue and Slack postMessage that apply and then fail with %s give one issue and one top message', async (_, failure) => {
    const title = `Applied then failed ${randomUUID()}`;
    // Only this incident's first top message and first create half-succeed: a straggler of another test cannot take them.
    slack.applyThenFail('chat.postMessage', 1, failure, topPost(title));
    jira.applyThenFail('createIssue', 1, failure, mentions(title));
    const incidentId = await post({ title });
    const task = await stack.task(incidentId, (t) => t.assignee_id !== null, 'assignment');
    await settle(task.id, ['assigned']);
    expect({
      retried: await retried(task.id),
      topMessages: topMessages(incidentId).length,
      topPosts: slack.requests.filter(topPost(title)).length,
      issues: issuesOf(incidentId).length,
      creates: jira.requests.filter((r) => r.operationId === 'createIssue' && mentions(title)(r)).length,
      failed: await failedNotices(task.id),
      violations: { slack: slack.violations, jira: jira.violations },
    }).toEqual({
      retried: ['jira', 'slack'],
      topMessages: 1,
      topPosts: 1,
      issues: 1,
      creates: 1,
      failed: 0,
      violations: { slack: [], jira: [] },
    });
  });

  it('a Jira comment and a Slack thread reply that apply and then fail are each posted once', async () => {
    const incidentId = await post({ title: `Comment target ${randomUUID()}` });
    const task = await stack.task(incidentId, (t) => t.assignee_id !== null, 'assignment');
    await settle(task.id, ['assigned']);
    const [issue] = issuesOf(incidentId);
    const [top] = topMessages(incidentId);

    const text = `Looked at the firewall logs ${randomUUID()}`;
    jira.applyThenFail('addComment', 1, { status: 500 }, mentions(text));
    slack.applyThenFail('chat.postMessage', 1, 'timeout', (call) => call.args.thread_ts !== undefined && mentions(text)(call));
    const lead = await stack.as('marta.reyes', ['lead']);
    expect((await lead('POST', `/v1/tasks/${task.id}/comments`, { text })).status).toBe(201);
    await settle(task.id, ['task.commented']);
    expect({
      retried: await retried(task.id),
      jiraComments: jira.comments.filter((c) => c.issueKey === issue.key && JSON.stringify(c.body).includes(text)).length,
      addComments: jira.requests.filter((r) => r.operationId === 'addComment' && mentions(text)(r)).length,
      replies: slack.thread(top.channel, top.ts).filter((m) => m.threadTs !== null && JSON.stringify(m).includes(text)).length,
      failed: await failedNotices(task.id),
      violations: { slack: slack.violations, jira: jira.violations },
    }).toEqual({
      retried: ['jira', 'slack'],
      jiraComments: 1,
      addComments: 1,
      replies: 1,
      failed: 0,
      violations: { slack: [], jira: [] },
    });
  });

  it('Warden’s messages about a huge hostile alert, comment and resolution pass the fakes’ checks and are all delivered', async () => {
    const hostile = (n: number) => '<!channel> &amp; <@U0EVIL> 😀 <http://evil|x> *_~`\n'.repeat(Math.ceil(n / 40)).slice(0, n);
    const incidentId = await post({
      severity: 'critical',
      title: hostile(50_000),
      description: hostile(100_000),
      user: hostile(5000),
      host: hostile(5000),
      tags: Array.from({ length: 80 }, (_, i) => `${hostile(500)}${i}`),
    });
    const task = await stack.task(incidentId, (t) => t.assignee_id !== null, 'assignment');
    const lead = await stack.as('marta.reyes', ['lead']);
    expect((await lead('POST', `/v1/tasks/${task.id}/comments`, { text: hostile(10_000) })).status).toBe(201);
    expect((await lead('POST', `/v1/tasks/${task.id}/resolve`, { disposition: 'benign', resolution: hostile(10_000) })).status).toBe(200);
    await settle(task.id, ['assigned', 'task.commented', 'task.resolved']);
    const [top] = topMessages(incidentId);
    const sent = await stack.db.query(
      `SELECT kind FROM notifications WHERE task_id = $1 AND channel = 'slack' AND sent_at IS NOT NULL ORDER BY id`,
      [task.id],
    );
    expect({
      top: top?.channel,
      replies: top !== undefined && slack.thread(top.channel, top.ts).length > 1,
      sent: sent.map((r: { kind: string }) => r.kind).filter((k: string) => k === 'task.commented' || k === 'task.resolved'),
      issues: issuesOf(incidentId).length,
      failed: await failedNotices(task.id),
      violations: { slack: slack.violations, jira: jira.violations },
    }).toEqual({
      top: 'C0SOCCRIT01',
      replies: true,
      sent: ['task.commented', 'task.resolved'],
      issues: 1,
      failed: 0,
      violations: { slack: [], jira: [] },
    });
  });
});
