import { createHmac } from 'node:crypto';
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { Version3Client } from 'jira.js';
import { signJiraWebhook, startJiraFake, type FakeJira } from '../fakes/jira-server';
import { blockActionsPayload, signSlackRequest, slashCommandBody, startSlackFake, type FakeSlack } from '../fakes/slack-server';

// The Slack and Jira fakes, driven by the real clients Warden uses; no Warden stack involved.
// Each suite's fake checks every request and answer against ../shared/specs, so the happy
// paths end with no violations and the deliberately wrong calls show up as violations.

const TOKEN = 'xoxb-1-warden-test';
/** The test workspace's one channel. */
const SOC = 'C0SOC00001';
const CHANNELS = { soc: SOC };
const EMAIL = 'warden@example.test';
const API_TOKEN = 'jira-api-token';

const adf = (text: string) => ({ type: 'doc' as const, version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });

function slackClient(fake: FakeSlack, timeout?: number): WebClient {
  return new WebClient(TOKEN, {
    slackApiUrl: fake.url,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
    ...(timeout ? { timeout } : {}),
  });
}

function jiraClient(fake: FakeJira, timeout?: number): Version3Client {
  return new Version3Client({
    host: fake.url,
    authentication: { basic: { email: EMAIL, apiToken: API_TOKEN } },
    ...(timeout ? { baseRequestConfig: { timeout } } : {}),
  });
}

describe('Slack fake driven by @slack/web-api', () => {
  let fake: FakeSlack;
  let slack: WebClient;
  beforeEach(async () => {
    fake = await startSlackFake({ token: TOKEN, channels: CHANNELS });
    slack = slackClient(fake);
  });
  afterEach(async () => {
    await fake.close();
    expect(fake.violations).toEqual([]);
  });

  it('auth.test answers with the bot user', async () => {
    const result = await slack.auth.test();
    expect(result.user_id).toBe(fake.botUserId);
  });

  it('chat.postMessage stores the message with its blocks and attachments under the ts it answers', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Critical* brute force' } }];
    const attachments = [{ color: '#d00000', fallback: 'Critical', blocks }];
    const result = await slack.chat.postMessage({ channel: '#soc', text: 'Critical: brute force', blocks, attachments });
    expect(fake.messages).toEqual([
      {
        channel: result.channel,
        ts: result.ts,
        threadTs: null,
        text: 'Critical: brute force',
        blocks,
        attachments,
        metadata: null,
        edits: [],
      },
    ]);
  });

  it('a channel name maps to the workspace’s id for it', async () => {
    const result = await slack.chat.postMessage({ channel: '#soc', text: 'hello' });
    expect(result.channel).toBe(SOC);
  });

  it('a channel the workspace does not have, by name or id, answers channel_not_found', async () => {
    const outcomes = await Promise.all(
      ['#random', 'C0NOWHERE01'].map((channel) =>
        slack.chat.postMessage({ channel, text: 'x' }).then(
          () => 'posted',
          (e: { data?: { error?: string } }) => e.data?.error,
        ),
      ),
    );
    expect({ outcomes, messages: fake.messages.length }).toEqual({ outcomes: ['channel_not_found', 'channel_not_found'], messages: 0 });
  });

  it('metadata is kept and conversations.history answers it when asked, newest first, from oldest on', async () => {
    const first = await slack.chat.postMessage({
      channel: SOC,
      text: 'one',
      metadata: { event_type: 'warden_incident', event_payload: { incident_id: 'i-1' } },
    });
    await slack.chat.postMessage({ channel: SOC, thread_ts: first.ts!, text: 'a reply, not in the history' });
    const second = await slack.chat.postMessage({ channel: SOC, text: 'two' });
    const all = await slack.conversations.history({ channel: SOC, include_all_metadata: true, limit: 10 });
    const plain = await slack.conversations.history({ channel: SOC, limit: 10 });
    const after = await slack.conversations.history({ channel: SOC, oldest: first.ts!, include_all_metadata: true });
    expect({
      all: all.messages?.map((m) => [m.ts, m.metadata?.event_payload ?? null]),
      plain: plain.messages?.some((m) => m.metadata !== undefined),
      after: after.messages?.map((m) => m.ts),
    }).toEqual({
      all: [
        [second.ts, null],
        [first.ts, { incident_id: 'i-1' }],
      ],
      plain: false,
      after: [second.ts],
    });
  });

  it('conversations.history pages by cursor', async () => {
    for (const text of ['a', 'b', 'c']) await slack.chat.postMessage({ channel: SOC, text });
    const one = await slack.conversations.history({ channel: SOC, limit: 2 });
    const two = await slack.conversations.history({ channel: SOC, limit: 2, cursor: one.response_metadata!.next_cursor });
    expect([one.messages?.map((m) => m.text), one.has_more, two.messages?.map((m) => m.text), two.has_more]).toEqual([
      ['c', 'b'],
      true,
      ['a'],
      false,
    ]);
  });

  it('conversations.replies answers the parent then its replies, with their metadata when asked', async () => {
    const top = await slack.chat.postMessage({ channel: SOC, text: 'incident' });
    const reply = await slack.chat.postMessage({
      channel: SOC,
      thread_ts: top.ts!,
      text: 'assigned',
      metadata: { event_type: 'warden_notice', event_payload: { notice_key: 'k-1' } },
    });
    const thread = await slack.conversations.replies({ channel: SOC, ts: top.ts!, include_all_metadata: true });
    expect(thread.messages?.map((m) => [m.ts, m.metadata?.event_payload ?? null])).toEqual([
      [top.ts, null],
      [reply.ts, { notice_key: 'k-1' }],
    ]);
  });

  it('conversations.list answers the workspace’s channels', async () => {
    const list = await slack.conversations.list({ types: 'public_channel,private_channel', exclude_archived: true, limit: 200 });
    expect(list.channels?.map((c) => [c.name, c.id])).toEqual([['soc', SOC]]);
  });

  it('applyThenFail posts the message and then answers 500', async () => {
    fake.applyThenFail('chat.postMessage', 1, { status: 500 });
    const error = await slack.chat.postMessage({ channel: SOC, text: 'kept' }).catch((e: unknown) => e);
    expect({ error, messages: fake.messages.map((m) => m.text) }).toEqual({
      error: expect.objectContaining({ code: ErrorCode.HTTPError, statusCode: 500 }),
      messages: ['kept'],
    });
  });

  it('applyThenFail with a timeout posts the message and never answers', async () => {
    fake.applyThenFail('chat.postMessage', 1, 'timeout');
    const error = await slackClient(fake, 300)
      .chat.postMessage({ channel: SOC, text: 'kept' })
      .catch((e: unknown) => e);
    expect({ error, messages: fake.messages.map((m) => m.text) }).toEqual({
      error: expect.objectContaining({ code: ErrorCode.RequestError }),
      messages: ['kept'],
    });
  });

  it('every logged request carries the time it arrived', async () => {
    const before = Date.now();
    await slack.auth.test();
    await slack.auth.test();
    const after = Date.now();
    const [a, b] = fake.requests.map((r) => r.at);
    expect([a >= before, b >= a, b <= after]).toEqual([true, true, true]);
  });

  it('a reply with thread_ts lands in the thread of the top message', async () => {
    const top = await slack.chat.postMessage({ channel: '#soc', text: 'incident' });
    await slack.chat.postMessage({ channel: top.channel!, thread_ts: top.ts!, text: 'acknowledged by Ann' });
    expect(fake.thread(top.channel!, top.ts!).map((m) => m.text)).toEqual(['incident', 'acknowledged by Ann']);
  });

  it('chat.update edits the message and keeps what it replaced', async () => {
    const top = await slack.chat.postMessage({ channel: '#soc', text: 'open' });
    await slack.chat.update({ channel: top.channel!, ts: top.ts!, text: 'acknowledged', blocks: [{ type: 'divider' }] });
    expect(fake.messages[0]).toMatchObject({
      text: 'acknowledged',
      blocks: [{ type: 'divider' }],
      edits: [{ text: 'open', blocks: null }],
    });
  });

  it('chat.update of an unknown ts fails with message_not_found', async () => {
    const top = await slack.chat.postMessage({ channel: '#soc', text: 'open' });
    await expect(slack.chat.update({ channel: top.channel!, ts: '1000000000.000001', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { error: 'message_not_found' },
    });
  });

  it('conversations.open gives each user one DM channel', async () => {
    const first = await slack.conversations.open({ users: 'U0EXEC0001' });
    const again = await slack.conversations.open({ users: 'U0EXEC0001' });
    const other = await slack.conversations.open({ users: 'U0EXEC0002' });
    expect([again.channel?.id === first.channel?.id, other.channel?.id === first.channel?.id]).toEqual([true, false]);
  });

  it('a post to the DM channel is a DM to that user', async () => {
    const dm = await slack.conversations.open({ users: 'U0EXEC0001' });
    await slack.chat.postMessage({ channel: dm.channel!.id!, text: 'executive escalation' });
    expect(fake.dmsTo('U0EXEC0001').map((m) => m.text)).toEqual(['executive escalation']);
  });

  it('chat.postEphemeral is recorded for the user', async () => {
    await slack.chat.postEphemeral({ channel: '#soc', user: 'U0ANALYST1', text: 'you may not resolve this task' });
    expect(fake.ephemerals).toMatchObject([{ user: 'U0ANALYST1', text: 'you may not resolve this task' }]);
  });

  it('a response_url post is recorded under its id', async () => {
    const res = await fetch(fake.responseUrl('click-1'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ replace_original: true, text: 'Acknowledged by Ann' }),
    });
    expect([res.status, fake.responseUrlPosts]).toEqual([
      200,
      [expect.objectContaining({ id: 'click-1', body: { replace_original: true, text: 'Acknowledged by Ann' } })],
    ]);
  });

  it('a 429 raises a rate-limit error carrying Retry-After', async () => {
    fake.failNext('chat.postMessage', 1, { status: 429, retryAfter: 7 });
    await expect(slack.chat.postMessage({ channel: '#soc', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 7,
    });
  });

  it('the call after a 429 goes through', async () => {
    fake.failNext('chat.postMessage', 1, { status: 429, retryAfter: 1 });
    await slack.chat.postMessage({ channel: '#soc', text: 'first' }).catch(() => undefined);
    await slack.chat.postMessage({ channel: '#soc', text: 'second' });
    expect(fake.messages.map((m) => m.text)).toEqual(['second']);
  });

  it('a 503 raises an HTTP error with the status', async () => {
    fake.failNext('chat.update', 1, { status: 503 });
    await expect(slack.chat.update({ channel: '#soc', ts: '1000000000.000001', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.HTTPError,
      statusCode: 503,
    });
  });

  it('while down every call answers 503', async () => {
    fake.setDown(true);
    await expect(slack.auth.test()).rejects.toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
  });

  it('a wrong token is refused with invalid_auth', async () => {
    const other = new WebClient('xoxb-wrong', { slackApiUrl: fake.url, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
    await expect(other.chat.postMessage({ channel: SOC, text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { error: 'invalid_auth' },
    });
  });
});

describe('Slack spec validation', () => {
  let fake: FakeSlack;
  beforeEach(async () => {
    fake = await startSlackFake({ token: TOKEN, channels: CHANNELS });
  });
  afterEach(() => fake.close());

  const post = (method: string, form: Record<string, string>) =>
    fetch(`${fake.url}${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });

  it('reports chat.postMessage without a channel', async () => {
    await post('chat.postMessage', { text: 'no channel' });
    expect(fake.violations).toContainEqual(
      expect.stringMatching(/^POST \/api\/chat\.postMessage request arguments: .*required property 'channel'/),
    );
  });

  it('reports blocks that are not Block Kit', async () => {
    await post('chat.postMessage', { channel: '#soc', text: 'x', blocks: JSON.stringify([{ text: 'no type' }]) });
    expect(fake.violations).toContainEqual(expect.stringMatching(/\/blocks\/0 must have required property 'type'/));
  });

  it('reports an argument the method does not take', async () => {
    await post('chat.postMessage', { channel: '#soc', text: 'x', thread: '1700000000.000100' });
    expect(fake.violations).toContainEqual(expect.stringMatching(/must NOT have additional properties \(thread\)/));
  });

  it('refuses a call without a token with not_authed, and reports it', async () => {
    const res = await fetch(`${fake.url}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ channel: SOC, text: 'x' }).toString(),
    });
    expect({ body: await res.json(), messages: fake.messages.length, violations: fake.violations }).toEqual({
      body: { ok: false, error: 'not_authed' },
      messages: 0,
      violations: [expect.stringContaining('token missing')],
    });
  });

  it('refuses 51 blocks with invalid_blocks and reports it', async () => {
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    const res = await post('chat.postMessage', { channel: '#soc', text: 'x', blocks: JSON.stringify(blocks) });
    expect({ error: (await res.json()).error, violations: fake.violations, messages: fake.messages.length }).toEqual({
      error: 'invalid_blocks',
      violations: ['POST /api/chat.postMessage Block Kit: /blocks must have at most 50 items (has 51)'],
      messages: 0,
    });
  });

  it('refuses a section of 3,001 characters inside an attachment', async () => {
    const attachments = [{ color: '#d00000', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }] }];
    const res = await post('chat.postMessage', { channel: '#soc', text: 'x', attachments: JSON.stringify(attachments) });
    expect({ error: (await res.json()).error, violations: fake.violations }).toEqual({
      error: 'invalid_blocks',
      violations: ['POST /api/chat.postMessage Block Kit: /attachments/0/blocks/0/text/text must be at most 3000 characters (is 3001)'],
    });
  });

  it('refuses a button of 76 characters and an action_id of 256 in chat.update', async () => {
    const top = await post('chat.postMessage', { channel: '#soc', text: 'x' });
    const { ts } = (await top.json()) as { ts: string };
    const button = { type: 'button', text: { type: 'plain_text', text: 'b'.repeat(76) }, action_id: 'a'.repeat(256), value: 'v' };
    const res = await post('chat.update', {
      channel: SOC,
      ts,
      text: 'x',
      blocks: JSON.stringify([{ type: 'actions', elements: [button] }]),
    });
    expect({ error: (await res.json()).error, violations: fake.violations, text: fake.messages[0].text }).toEqual({
      error: 'invalid_blocks',
      violations: [
        'POST /api/chat.update Block Kit: /blocks/0/elements/0/action_id must be at most 255 characters (is 256)',
        'POST /api/chat.update Block Kit: /blocks/0/elements/0/text/text must be at most 75 characters (is 76)',
      ],
      text: 'x',
    });
  });

  it('takes blocks at the limits', async () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } },
      { type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3000) } },
      { type: 'section', fields: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: 'f'.repeat(2000) })) },
      {
        type: 'actions',
        elements: [
          { type: 'button', text: { type: 'plain_text', text: 'b'.repeat(75) }, action_id: 'a'.repeat(255), value: 'v'.repeat(2000) },
        ],
      },
      ...Array.from({ length: 46 }, () => ({ type: 'divider' })),
    ];
    const res = await post('chat.postMessage', { channel: '#soc', text: 'x', blocks: JSON.stringify(blocks) });
    expect({ ok: (await res.json()).ok, violations: fake.violations }).toEqual({ ok: true, violations: [] });
  });

  it('reports metadata that is not an event type and a payload', async () => {
    await post('chat.postMessage', { channel: '#soc', text: 'x', metadata: JSON.stringify({ event_type: 'warden incident' }) });
    expect(fake.violations).toEqual(
      expect.arrayContaining([expect.stringMatching(/request arguments: \/metadata must have required property 'event_payload'/)]),
    );
  });

  it('reports a response_url post that is not JSON', async () => {
    await fetch(fake.responseUrl('r1'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'ok' });
    expect(fake.violations).toContainEqual(expect.stringMatching(/^POST response_url request header: content-type text\/plain/));
  });
});

describe('Slack request builders', () => {
  it('signSlackRequest reproduces the example in Slack’s signing documentation', () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
      '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
      '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest(body, '8f742231b10e8888abcd99yyyzzz85a5', 1531420618)['x-slack-signature']).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it('blockActionsPayload is a form whose payload field holds a block_actions interaction', () => {
    const body = blockActionsPayload({
      userId: 'U0ANALYST1',
      actionId: 'ack',
      value: 'task-1',
      responseUrl: 'https://hooks.slack.com/actions/T/1/x',
    });
    expect(JSON.parse(new URLSearchParams(body).get('payload')!)).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0ANALYST1' },
      actions: [{ action_id: 'ack', value: 'task-1', type: 'button' }],
      response_url: 'https://hooks.slack.com/actions/T/1/x',
      trigger_id: expect.any(String),
    });
  });

  it('slashCommandBody carries the fields of a slash command', () => {
    const body = slashCommandBody({ userId: 'U0ANALYST1', text: 'ack 42', responseUrl: 'https://hooks.slack.com/commands/T/1/x' });
    expect(Object.fromEntries(new URLSearchParams(body))).toMatchObject({
      command: '/warden',
      text: 'ack 42',
      user_id: 'U0ANALYST1',
      response_url: 'https://hooks.slack.com/commands/T/1/x',
      team_id: expect.any(String),
      channel_id: expect.any(String),
      trigger_id: expect.any(String),
      token: expect.any(String),
    });
  });
});

describe('Jira fake driven by jira.js', () => {
  let fake: FakeJira;
  let jira: Version3Client;
  const create = (labels = ['warden', 'warden-incident-1'], summary = 'Brute force on web-1') =>
    jira.issues.createIssue({
      fields: {
        project: { key: 'WAR' },
        summary,
        issuetype: { name: 'Task' },
        priority: { name: 'High' },
        labels,
        assignee: { accountId: 'acc-ann' },
        description: adf('Alerts: 3'),
      },
    });

  beforeEach(async () => {
    fake = await startJiraFake({ email: EMAIL, apiToken: API_TOKEN, projects: ['WAR'], users: { 'acc-ann': 'Ann' } });
    jira = jiraClient(fake);
  });
  afterEach(async () => {
    await fake.close();
    expect(fake.violations).toEqual([]);
  });

  it('myself answers with the account of the credentials', async () => {
    const me = await jira.myself.getCurrentUser();
    expect(me.accountId).toBe(fake.myAccountId);
  });

  it('createIssue stores the issue under the key it answers', async () => {
    const created = await create();
    expect(fake.issues.get(created.key)).toMatchObject({
      id: created.id,
      project: 'WAR',
      summary: 'Brute force on web-1',
      issueType: 'Task',
      priority: 'High',
      labels: ['warden', 'warden-incident-1'],
      assignee: 'acc-ann',
      status: 'To Do',
    });
  });

  it('createIssue in a project the site does not have is refused with 400, naming the field', async () => {
    const error = await jira.issues
      .createIssue({ fields: { project: { key: 'NOPE' }, summary: 'x', issuetype: { name: 'Task' } } })
      .catch((e: unknown) => e);
    expect({ status: (error as { status?: number }).status, issues: fake.issues.size }).toEqual({ status: 400, issues: 0 });
  });

  it('a search naming a project the site does not have is refused with 400', async () => {
    await expect(
      jira.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'project = NOPE', fields: ['labels'] }),
    ).rejects.toMatchObject({
      status: 400,
    });
  });

  it('applyThenFail creates the issue and then answers 500', async () => {
    fake.applyThenFail('createIssue', 1, { status: 500 });
    const error = await create().catch((e: unknown) => e);
    expect({ status: (error as { status?: number }).status, issues: [...fake.issues.keys()] }).toEqual({ status: 500, issues: ['WAR-1'] });
  });

  it('applyThenFail with a timeout adds the comment and never answers', async () => {
    const created = await create();
    fake.applyThenFail('addComment', 1, 'timeout');
    const error = await jiraClient(fake, 300)
      .issueComments.addComment({ issueIdOrKey: created.key, comment: adf('kept') })
      .catch((e: unknown) => e);
    expect({ failed: error instanceof Error, comments: fake.comments.map((c) => c.body) }).toEqual({
      failed: true,
      comments: [adf('kept')],
    });
  });

  it('getComments pages newest first with orderBy -created', async () => {
    const created = await create();
    for (const text of ['one', 'two', 'three']) await jira.issueComments.addComment({ issueIdOrKey: created.key, comment: adf(text) });
    const page = await jira.issueComments.getComments({ issueIdOrKey: created.key, orderBy: '-created', maxResults: 2 });
    expect([page.total, page.comments?.map((c) => c.body)]).toEqual([3, [adf('three'), adf('two')]]);
  });

  it('createIssue refuses a summary with a newline, as Jira does', async () => {
    await expect(create(['warden'], 'two\nlines')).rejects.toMatchObject({ status: 400 });
  });

  it('search by label (GET) finds the issue', async () => {
    const created = await create();
    const found = await jira.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'labels = "warden-incident-1"', fields: ['labels'] });
    expect(found.issues?.map((i) => i.key)).toEqual([created.key]);
  });

  it('search by project and label (POST) finds the issue', async () => {
    const created = await create();
    const found = await jira.issueSearch.searchForIssuesUsingJqlEnhancedSearchPost({
      jql: 'project = WAR AND labels = warden-incident-1',
      fields: ['summary'],
    });
    expect(found.issues?.map((i) => i.key)).toEqual([created.key]);
  });

  it('search without fields answers ids only, like Jira', async () => {
    const created = await create();
    const found = await jira.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'labels = warden-incident-1' });
    expect(found.issues).toEqual([{ id: created.id }]);
  });

  it('search for a label nobody has finds nothing', async () => {
    await create();
    const found = await jira.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'labels = "warden-incident-2"', fields: ['labels'] });
    expect(found.issues).toEqual([]);
  });

  it('getIssue answers the fields', async () => {
    const created = await create();
    const issue = await jira.issues.getIssue({ issueIdOrKey: created.key });
    expect(issue.fields).toMatchObject({
      summary: 'Brute force on web-1',
      status: { name: 'To Do' },
      labels: ['warden', 'warden-incident-1'],
    });
  });

  it('editIssue changes the fields', async () => {
    const created = await create();
    await jira.issues.editIssue({ issueIdOrKey: created.key, fields: { priority: { name: 'Highest' }, labels: ['warden', 'storm'] } });
    expect(fake.issues.get(created.key)).toMatchObject({ priority: 'Highest', labels: ['warden', 'storm'] });
  });

  it('getTransitions lists a transition to each other status, named by it', async () => {
    const created = await create();
    const { transitions } = await jira.issues.getTransitions({ issueIdOrKey: created.key });
    expect(transitions?.map((t) => [t.name, t.to?.name])).toEqual([
      ['In Progress', 'In Progress'],
      ['Done', 'Done'],
    ]);
  });

  it('doTransition moves the issue', async () => {
    const created = await create();
    const { transitions } = await jira.issues.getTransitions({ issueIdOrKey: created.key });
    await jira.issues.doTransition({ issueIdOrKey: created.key, transition: { id: transitions!.find((t) => t.to?.name === 'Done')!.id } });
    expect(fake.issues.get(created.key)).toMatchObject({ status: 'Done', resolution: 'Done' });
  });

  it('addComment stores the ADF comment and getComments returns it', async () => {
    const created = await create();
    await jira.issueComments.addComment({ issueIdOrKey: created.key, comment: adf('Blocked 10.0.0.5') });
    const page = await jira.issueComments.getComments({ issueIdOrKey: created.key });
    expect(page.comments?.map((c) => [c.author?.accountId, c.body])).toEqual([[fake.myAccountId, adf('Blocked 10.0.0.5')]]);
  });

  it('a 429 carries Retry-After to the client', async () => {
    fake.failNext('createIssue', 1, { status: 429, retryAfter: 5 });
    const error = await create().catch((e: unknown) => e);
    expect([
      (error as { status?: number }).status,
      (error as { cause?: { response?: { headers?: Record<string, string> } } }).cause?.response?.headers?.['retry-after'],
    ]).toEqual([429, '5']);
  });

  it('the call after a 429 goes through', async () => {
    fake.failNext('createIssue', 1, { status: 429, retryAfter: 1 });
    await create().catch(() => undefined);
    await create();
    expect([...fake.issues.keys()]).toEqual(['WAR-1']);
  });

  it('while down every call answers 503', async () => {
    fake.setDown(true);
    await expect(jira.myself.getCurrentUser()).rejects.toMatchObject({ status: 503 });
  });

  it('wrong credentials are refused with 401', async () => {
    const other = new Version3Client({ host: fake.url, authentication: { basic: { email: EMAIL, apiToken: 'wrong' } } });
    await expect(other.myself.getCurrentUser()).rejects.toMatchObject({ status: 401 });
  });

  it('a call without credentials is refused with 401 and creates nothing', async () => {
    const res = await fetch(`${fake.url}/rest/api/3/issue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { project: { key: 'WAR' }, summary: 'x', issuetype: { name: 'Task' } } }),
    });
    expect({ status: res.status, issues: fake.issues.size }).toEqual({ status: 401, issues: 0 });
  });

  it('transitionAsUser answers the jira:issue_updated webhook Jira sends', async () => {
    const created = await create();
    const body = fake.transitionAsUser(created.key, 'Done', 'acc-ann');
    expect(body).toMatchObject({
      webhookEvent: 'jira:issue_updated',
      timestamp: expect.any(Number),
      user: { accountId: 'acc-ann' },
      issue: { id: created.id, key: created.key, fields: { status: { name: 'Done' }, labels: ['warden', 'warden-incident-1'] } },
      changelog: { items: expect.arrayContaining([expect.objectContaining({ field: 'status', fromString: 'To Do', toString: 'Done' })]) },
    });
  });

  it('commentAsUser answers the comment_created webhook Jira sends', async () => {
    const created = await create();
    const body = fake.commentAsUser(created.key, 'isolated the host', 'acc-ann');
    expect(body).toMatchObject({
      webhookEvent: 'comment_created',
      timestamp: expect.any(Number),
      comment: { id: expect.any(String), body: 'isolated the host', author: { accountId: 'acc-ann' }, created: expect.any(String) },
      issue: { id: created.id, key: created.key },
    });
  });

  it('Warden’s own changes are in events with its account as the user', async () => {
    const created = await create();
    const { transitions } = await jira.issues.getTransitions({ issueIdOrKey: created.key });
    await jira.issues.doTransition({ issueIdOrKey: created.key, transition: { id: transitions![0].id } });
    expect(fake.events.map((e) => [e.webhookEvent, (e.user as { accountId?: string } | undefined)?.accountId])).toEqual([
      ['jira:issue_created', fake.myAccountId],
      ['jira:issue_updated', fake.myAccountId],
    ]);
  });
});

describe('Jira spec validation', () => {
  let fake: FakeJira;
  beforeEach(async () => {
    fake = await startJiraFake({ email: EMAIL, apiToken: API_TOKEN, projects: ['WAR'] });
  });
  afterEach(() => fake.close());
  const auth = `Basic ${Buffer.from(`${EMAIL}:${API_TOKEN}`).toString('base64')}`;

  it('reports a parameter of the deprecated /search sent to /search/jql', async () => {
    await fetch(`${fake.url}/rest/api/3/search/jql?jql=labels%3Dx&startAt=0`, { headers: { authorization: auth } });
    expect(fake.violations).toContainEqual(
      expect.stringMatching(/^GET \/rest\/api\/3\/search\/jql .*request query: .*additional properties \(startAt\)/),
    );
  });

  it('reports a create whose fields are not an object', async () => {
    await fetch(`${fake.url}/rest/api/3/issue`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ fields: 'summary=x' }),
    });
    expect(fake.violations).toContainEqual(
      expect.stringMatching(/^POST \/rest\/api\/3\/issue \(createIssue\) request body: \/fields must be object/),
    );
  });

  it('reports a call to an operation the fake does not implement', async () => {
    await fetch(`${fake.url}/rest/api/3/search?jql=labels%3Dx`, { headers: { authorization: auth } });
    expect(fake.violations).toContainEqual(expect.stringMatching(/does not implement searchForIssuesUsingJql$/));
  });

  it('signJiraWebhook signs the raw body with HMAC-SHA256', () => {
    const body = JSON.stringify({ webhookEvent: 'comment_created' });
    expect(signJiraWebhook(body, 's3cret')['x-hub-signature']).toBe(`sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`);
  });
});
