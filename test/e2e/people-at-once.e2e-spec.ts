import { Client } from 'pg';
import { advisoryLockKey } from '../../src/database/pg';
import { startContainmentWebhook, type FakeContainmentWebhook } from '../fakes/containment-webhook';
import { signJiraWebhook, type FakeJira } from '../fakes/jira-server';
import { blockActionsPayload, signSlackRequest, type FakeSlack } from '../fakes/slack-server';
import { chatEnv, startChatFakes, untilDelivered, CHAT_SECRETS } from '../support/chat';
import { pollUntil } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { alert, startStack, Stack } from '../support/stack';

// People acting at once (DESIGN.md, Under fire): each action is one use case that decides access
// on the row it locked, whichever way it came in (REST, a Slack button, Jira's webhook). The test
// holds the lock the actions queue on, lets the requests line up behind it in a known order, then
// releases it: the outcome is decided by the order, never by this machine's speed.

const SLACK_IDS: Record<string, string> = { 'ravi.patel': 'U0RAVI0001', 'sara.lindqvist': 'U0SARA0001' };
const JIRA_IDS: Record<string, string> = { 'sara.lindqvist': 'acct-sara' };
/** The account Warden's Jira credentials belong to (what the fake's /myself answers). */
const WARDEN_JIRA_ACCOUNT = 'acct-warden';

const RULES = [
  // Waits unassigned: everyone is away (below), so people take it.
  { name: 'people-take', match: { type: 'people_take' }, action: 'immediate', priority: 'P3', assign_role: 'analyst' },
  // A block that waits for a senior analyst's approval.
  {
    name: 'people-gated',
    match: { type: 'people_gated' },
    action: 'immediate',
    priority: 'P3',
    assign_role: 'analyst',
    playbooks: ['people-gated'],
  },
  // A block at once, rolled back by a false positive.
  {
    name: 'people-block',
    match: { type: 'people_block' },
    action: 'immediate',
    priority: 'P3',
    assign_role: 'analyst',
    playbooks: ['people-block'],
  },
];

const FILES: Record<string, string> = {
  'playbooks/people-gated.yaml': `steps:
  - id: block
    action: block_ip
    with: { ip: '{{ incident.source_ip }}' }
    approval: { role: senior_analyst, timeout: 10m, on_timeout: deny }
`,
  'playbooks/people-block.yaml': `steps:
  - id: block
    action: block_ip
    with: { ip: '{{ incident.source_ip }}' }
`,
};

describe('people acting at once, and Jira acting as a person (real api, worker, Temporal, Postgres; fakes over HTTP)', () => {
  let stack: Stack;
  let slack: FakeSlack;
  let jira: FakeJira;
  let firewall: FakeContainmentWebhook;
  let holder: Client;

  beforeAll(async () => {
    ({ slack, jira } = await startChatFakes({
      accountId: WARDEN_JIRA_ACCOUNT,
      users: { 'acct-sara': 'Sara Lindqvist', 'acct-stranger': 'Someone Else' },
    }));
    process.env.PEOPLE_TEST_FW_SECRET = 'people-test-firewall-secret';
    firewall = await startContainmentWebhook({ secret: process.env.PEOPLE_TEST_FW_SECRET });
    stack = await startStack({
      name: 'people-at-once',
      files: FILES,
      rules: (doc) => {
        doc.rules = [...RULES, ...doc.rules];
      },
      assignment: (doc) => {
        // The sweeper would queue on the assignment lock too; the tests' own requests should be its only waiters.
        doc.queue.sweep_every = '1h';
        for (const a of doc.analysts) {
          a.available = false; // nobody is free (a role's task climbs the roles), so tasks wait for someone to take them
          if (SLACK_IDS[a.id]) a.slack = SLACK_IDS[a.id];
          if (JIRA_IDS[a.id]) a.jira = JIRA_IDS[a.id];
        }
      },
      containment: (doc) => {
        doc.adapters.firewall = { type: 'webhook', url: firewall.url, secret_env: 'PEOPLE_TEST_FW_SECRET' };
      },
      env: chatEnv(slack, jira),
    });
    holder = new Client({ connectionString: stack.env.DATABASE_URL });
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end();
    await stack?.close();
    await Promise.all([slack?.close(), jira?.close(), firewall?.close()]);
  });

  const post = async (fields: Record<string, unknown>) => {
    const res = await stack.ingest('POST', '/v1/alerts', alert(fields));
    expect(res.status).toBe(202);
    return (res.body as { incidentId: string }).incidentId;
  };
  const press = (slackUser: string, actionId: string, value: string) => {
    const body = blockActionsPayload({
      userId: slackUser,
      actionId,
      value,
      responseUrl: slack.responseUrl(`${actionId}-${value}-${slackUser}`),
    });
    return fetch(`${stack.api.url}/v1/integrations/slack/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, CHAT_SECRETS.slackSigning) },
      body,
    });
  };
  /** The ephemeral answer Slack's response_url got for this button press. */
  const replyTo = async (slackUser: string, actionId: string, value: string) =>
    (
      await pollUntil(
        async () => slack.responseUrlPosts.filter((p) => p.id === `${actionId}-${value}-${slackUser}`),
        (posts) => posts.length > 0,
        { what: `Slack's answer to ${actionId} by ${slackUser}`, timeoutMs: 15_000 },
      )
    )[0].body as { text: string };
  const jiraPost = (body: unknown) =>
    fetch(`${stack.api.url}/v1/integrations/jira/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signJiraWebhook(JSON.stringify(body), CHAT_SECRETS.jiraWebhook) },
      body: JSON.stringify(body),
    });

  /** Sessions of this database waiting on a lock right now in a statement like `waiting` (the holder's own session never waits). */
  const waiters = async (waiting: string): Promise<number> =>
    (
      await stack.db.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
        [waiting],
      )
    )[0].n;
  /**
   * Holds `lockSql` while each request in turn starts and queues behind it (a session waits in a
   * statement like `waiting`), then releases: they run in that order.
   */
  async function inOrder<T extends unknown[]>(
    lockSql: string,
    params: unknown[],
    waiting: string,
    requests: { [K in keyof T]: () => Promise<T[K]> },
  ) {
    await holder.query('BEGIN');
    await holder.query(lockSql, params);
    const started: Promise<unknown>[] = [];
    try {
      for (const [i, request] of requests.entries()) {
        started.push(request());
        await pollUntil(
          () => waiters(waiting),
          (n) => n === i + 1,
          { what: `request ${i + 1} queued behind the held lock`, timeoutMs: 15_000 },
        );
      }
    } finally {
      await holder.query('COMMIT');
    }
    return (await Promise.all(started)) as T;
  }
  const ASSIGNMENT_LOCK = 'SELECT pg_advisory_xact_lock($1)';
  const assignmentLockKey = () => advisoryLockKey('warden:assignment');
  /** What a session waiting for the assignment lock is running. */
  const waitingForAssignment = () => `%pg_advisory_xact_lock(${assignmentLockKey()})%`;

  /** The Jira issue Warden made for the incident. */
  const issueOf = async (incidentId: string) =>
    (
      await pollUntil(
        async () => [...jira.issues.values()].filter((i) => i.labels.includes(`warden-incident-${incidentId}`)),
        (i) => i.length > 0,
        { what: `the Jira issue of incident ${incidentId}`, timeoutMs: 30_000 },
      )
    )[0];
  const jiraDelivered = (taskId: string) => untilDelivered(stack.db, taskId, 'jira');

  /** The incident's task, once its workflow created it and found nobody free to take it. */
  const waitingTask = async (incidentId: string) =>
    stack.task(incidentId, (t) => t.status === 'new' && t.assignee_id === null, 'the task waiting for someone to take it');

  it('two analysts Take one task at once, by REST and by Slack: the first gets it, the second is told who has it', async () => {
    const task = await waitingTask(await post({ type: 'people_take', severity: 'medium', sourceIp: uniqueIp() }));
    const lucia = await stack.as('lucia.garcia');
    const [rest, button] = await inOrder<[{ status: number }, Response]>(ASSIGNMENT_LOCK, [assignmentLockKey()], waitingForAssignment(), [
      () => lucia('POST', `/v1/tasks/${task.id}/take`, {}),
      () => press(SLACK_IDS['ravi.patel'], 'warden.take', task.id),
    ]);
    const reply = await replyTo(SLACK_IDS['ravi.patel'], 'warden.take', task.id);
    // The winner's assignment notice is recorded by its workflow, once.
    const notices = await pollUntil(
      async () => (await stack.notifications(task.id)).filter((n) => n.kind === 'assigned'),
      (n) => n.length > 0,
      { what: 'the assignment notice', timeoutMs: 30_000 },
    );
    expect({
      rest: rest.status,
      button: button.status,
      reply: reply.text,
      assignments: await stack.db.query(
        `SELECT analyst_id, actor FROM task_assignments WHERE task_id = $1 AND analyst_id IS NOT NULL ORDER BY id`,
        [task.id],
      ),
      audited: (
        await stack.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE subject_id = $1 AND action = 'task.assigned'`, [task.id])
      )[0].n,
      notices: notices.map((n) => n.recipients),
    }).toEqual({
      rest: 200,
      button: 200,
      reply: `:no_entry: Task ${task.id} is already taken by Lucia Garcia.`,
      assignments: [{ analyst_id: 'lucia.garcia', actor: 'analyst:lucia.garcia' }],
      audited: 1,
      notices: [['lucia.garcia']],
    });
  });

  it('a lead reassigns while the former assignee resolves: the resolve is refused and the task stays open with the new assignee', async () => {
    const task = await waitingTask(await post({ type: 'people_take', severity: 'medium', sourceIp: uniqueIp() }));
    const lead = await stack.as('marta.reyes', ['lead']);
    expect((await lead('POST', `/v1/tasks/${task.id}/reassign`, { to: 'lucia.garcia' })).status).toBe(200);
    const lucia = await stack.as('lucia.garcia');
    const [reassign, resolve] = await inOrder<[{ status: number }, { status: number; body: unknown }]>(
      ASSIGNMENT_LOCK,
      [assignmentLockKey()],
      waitingForAssignment(),
      [
        () => lead('POST', `/v1/tasks/${task.id}/reassign`, { to: 'ravi.patel' }),
        () => lucia('POST', `/v1/tasks/${task.id}/resolve`, { disposition: 'benign' }),
      ],
    );
    const [after] = await stack.db.query(`SELECT status, assignee_id FROM tasks WHERE id = $1`, [task.id]);
    expect({ reassign: reassign.status, resolve: resolve.status, refusal: resolve.body, after }).toEqual({
      reassign: 200,
      resolve: 403,
      refusal: expect.objectContaining({
        errors: [{ path: 'header:authorization', message: expect.stringContaining('assigned to ravi.patel') }],
      }),
      after: { status: 'assigned', assignee_id: 'ravi.patel' },
    });
  });

  it('two seniors decide one approval, by the API and by Slack: one decision is recorded, the other gets 409', async () => {
    const incidentId = await post({ type: 'people_gated', severity: 'high', sourceIp: uniqueIp() });
    const approval = (await pollUntil(
      async () => (await stack.db.query(`SELECT id FROM approvals WHERE incident_id = $1 AND status = 'pending'`, [incidentId]))[0],
      (a) => a !== undefined,
      { what: 'the pending approval', timeoutMs: 30_000 },
    )) as { id: string };
    const chidi = await stack.as('chidi.okafor');
    const [api, button] = await inOrder<[{ status: number }, Response]>(
      `SELECT 1 FROM approvals WHERE id = $1 FOR UPDATE`,
      [approval.id],
      '%FROM approvals a%FOR UPDATE OF a%',
      [
        () => chidi('POST', `/v1/approvals/${approval.id}`, { decision: 'deny', reason: 'not this one' }),
        () => press(SLACK_IDS['sara.lindqvist'], 'warden.approve', approval.id),
      ],
    );
    const reply = await replyTo(SLACK_IDS['sara.lindqvist'], 'warden.approve', approval.id);
    const [decided] = await stack.db.query(`SELECT status, decided_by FROM approvals WHERE id = $1`, [approval.id]);
    expect({ api: api.status, button: button.status, reply: reply.text, decided }).toEqual({
      api: 200,
      button: 200,
      reply: `:no_entry: Approval ${approval.id} is already denied.`,
      decided: { status: 'denied', decided_by: 'analyst:chidi.okafor' },
    });
  });

  describe('Jira echoes known by identity, never by time', () => {
    it("a person's transition to Done made just before a Warden push, and delivered after it, resolves the task", async () => {
      const incidentId = await post({ type: 'people_take', severity: 'medium', sourceIp: uniqueIp() });
      const task = await waitingTask(incidentId);
      const issue = await issueOf(incidentId);
      const lead = await stack.as('marta.reyes', ['lead']);
      expect((await lead('POST', `/v1/tasks/${task.id}/reassign`, { to: 'sara.lindqvist' })).status).toBe(200);
      await jiraDelivered(task.id);
      // Sara moves the issue to Done; before Jira's webhook reaches Warden, Warden pushes a comment to the issue.
      const event = jira.transitionAsUser(issue.key, 'Done', 'acct-sara', 'Fixed');
      expect((await lead('POST', `/v1/tasks/${task.id}/comments`, { text: 'pushed while the webhook is on its way' })).status).toBe(201);
      await jiraDelivered(task.id);
      const [{ pushed_after }] = await stack.db.query(
        `SELECT synced_at > to_timestamp($2::double precision / 1000) AS pushed_after FROM integration_links WHERE channel = 'jira' AND subject_id = $1`,
        [task.id, event.timestamp],
      );
      const res = await jiraPost(event);
      const [after] = await stack.db.query(`SELECT status, disposition FROM tasks WHERE id = $1`, [task.id]);
      expect({ pushed_after, answer: await res.json(), after }).toEqual({
        pushed_after: true,
        answer: { status: 'applied' },
        after: { status: 'resolved', disposition: 'true_positive' },
      });
    });

    it("a replay of Warden's own change is dropped", async () => {
      const incidentId = await post({ type: 'people_take', severity: 'medium', sourceIp: uniqueIp() });
      const task = await waitingTask(incidentId);
      const issue = await issueOf(incidentId);
      await jiraDelivered(task.id);
      const res = await jiraPost(jira.transitionAsUser(issue.key, 'Done', WARDEN_JIRA_ACCOUNT, 'Fixed'));
      const [after] = await stack.db.query(`SELECT status FROM tasks WHERE id = $1`, [task.id]);
      expect({ answer: await res.json(), after }).toEqual({
        answer: { status: 'ignored', reason: "Warden's own change" },
        after: { status: 'new' },
      });
    });
  });

  describe('Jira acts as a person, within the rules', () => {
    /** An incident whose block is in place and whose Jira issue has heard everything Warden had to say. */
    const blockedIncident = async () => {
      const ip = uniqueIp();
      const incidentId = await post({ type: 'people_block', severity: 'high', sourceIp: ip });
      await pollUntil(
        async () => firewall.blocked.has(ip),
        (b) => b,
        { what: `the block of ${ip}`, timeoutMs: 30_000 },
      );
      const task = await waitingTask(incidentId);
      const issue = await issueOf(incidentId);
      await jiraDelivered(task.id);
      return { ip, task, issue };
    };

    it('an unmapped Jira account moving the issue to Done as a false positive changes nothing but a comment; the block stays', async () => {
      const { ip, task, issue } = await blockedIncident();
      const res = await jiraPost(jira.transitionAsUser(issue.key, 'Done', 'acct-stranger', 'False Positive'));
      expect({
        answer: await res.json(),
        task: (await stack.db.query(`SELECT status FROM tasks WHERE id = $1`, [task.id]))[0].status,
        comments: await stack.db.query(`SELECT author, text FROM task_comments WHERE task_id = $1`, [task.id]),
        refusals: await stack.db.query(
          `SELECT actor, after->>'attempted' AS attempted FROM audit_log WHERE subject_id = $1 AND action = 'task.action_refused'`,
          [task.id],
        ),
        blocked: firewall.blocked.has(ip),
      }).toEqual({
        answer: { status: 'refused', reason: 'the Jira account is not mapped to a Warden analyst' },
        task: 'new',
        comments: [
          {
            author: 'warden',
            text: 'jira:acct-stranger tried to resolve the task as false positive from jira; refused: the Jira account is not mapped to a Warden analyst (assignment.yaml `jira:`)',
          },
        ],
        refusals: [{ actor: 'jira:acct-stranger', attempted: 'resolve the task as false positive' }],
        blocked: true,
      });
    });

    it('a mapped senior analyst doing the same resolves the task as that analyst and rolls the block back', async () => {
      const { ip, task, issue } = await blockedIncident();
      const lead = await stack.as('marta.reyes', ['lead']);
      expect((await lead('POST', `/v1/tasks/${task.id}/reassign`, { to: 'sara.lindqvist' })).status).toBe(200);
      // Warden's pushes for the reassignment are done first: the issue the person moves is the one Warden left.
      await jiraDelivered(task.id);
      const res = await jiraPost(jira.transitionAsUser(issue.key, 'Done', 'acct-sara', 'False Positive'));
      await pollUntil(
        async () => firewall.blocked.has(ip),
        (b) => !b,
        { what: `the rollback of the block of ${ip}`, timeoutMs: 30_000 },
      );
      const [after] = await stack.db.query(`SELECT disposition FROM tasks WHERE id = $1`, [task.id]);
      const [audited] = await stack.db.query(`SELECT actor FROM audit_log WHERE subject_id = $1 AND action = 'task.resolved'`, [task.id]);
      expect({ answer: await res.json(), after, audited }).toEqual({
        answer: { status: 'applied' },
        after: { disposition: 'false_positive' },
        audited: { actor: 'analyst:sara.lindqvist' },
      });
    });
  });
});
