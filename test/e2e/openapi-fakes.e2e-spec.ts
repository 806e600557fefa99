import { createHmac } from 'node:crypto';
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { Version3Client } from 'jira.js';
import { signJiraWebhook, startJiraFake, type FakeJira } from '../fakes/jira-server';
import { blockActionsPayload, signSlackRequest, slashCommandBody, startSlackFake, type FakeSlack } from '../fakes/slack-server';

// The Slack and Jira fakes, driven by the real clients Warden uses; no Warden stack involved.
// Each suite's fake checks every request and answer against ../shared/specs, so the happy
// paths end with no violations and the deliberately wrong calls show up as violations.

const TOKEN = 'xoxb-1-warden-test';
const EMAIL = 'warden@example.test';
const API_TOKEN = 'jira-api-token';

const adf = (text: string) => ({ type: 'doc' as const, version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });

function slackClient(fake: FakeSlack): WebClient {
  return new WebClient(TOKEN, {
    slackApiUrl: fake.url,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
  });
}

function jiraClient(fake: FakeJira): Version3Client {
  return new Version3Client({ host: fake.url, authentication: { basic: { email: EMAIL, apiToken: API_TOKEN } } });
}

describe('Slack fake driven by @slack/web-api', () => {
  let fake: FakeSlack;
  let slack: WebClient;
  beforeEach(async () => {
    fake = await startSlackFake({ token: TOKEN });
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
      { channel: result.channel, ts: result.ts, threadTs: null, text: 'Critical: brute force', blocks, attachments, edits: [] },
    ]);
  });

  it('a channel name maps to one C… id', async () => {
    const result = await slack.chat.postMessage({ channel: '#soc', text: 'hello' });
    expect(result.channel).toBe(fake.channelId('soc'));
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
    await expect(other.auth.test()).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'invalid_auth' } });
  });
});

describe('Slack spec validation', () => {
  let fake: FakeSlack;
  beforeEach(async () => {
    fake = await startSlackFake();
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
    fake = await startJiraFake({ email: EMAIL, apiToken: API_TOKEN, users: { 'acc-ann': 'Ann' } });
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
    fake = await startJiraFake();
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
