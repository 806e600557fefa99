import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError, type WebClient } from '@slack/web-api';
import { DeliveryError, type OutgoingNotification } from '../../notifications/notifier';
import type { IntegrationsConfig } from '../integrations.schema';
import { subjectIdOf, type CreateAttempt, type Created, type IntegrationLink } from '../links';
import type { IncidentSnapshot } from '../snapshot';
import { ACTIONS } from './blocks';
import {
  carries,
  channelFor,
  classifySlackError,
  noticeMetadata,
  SlackChannel,
  slackTs,
  topMetadata,
  type SlackPeople,
} from './slack.channel';
import { rollUpEnrichment } from '../../enrichment';

const INCIDENT_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const TASK_ID = '11111111-2222-4333-8444-555555555555';

const platform = (error: string) => new WebAPIPlatformError({ ok: false, error });

describe('classifySlackError', () => {
  it('waits as long as Slack asks after a rate limit', () => {
    expect(classifySlackError(new WebAPIRateLimitedError(30))).toMatchObject({ permanent: false, retryAfterSeconds: 30 });
  });

  it.each([500, 502, 503, 408])('retries HTTP %i', (status) => {
    expect(classifySlackError(new WebAPIHTTPError(status, 'x', {})).permanent).toBe(false);
  });

  it('honours Retry-After on an HTTP error', () => {
    expect(classifySlackError(new WebAPIHTTPError(503, 'x', { 'retry-after': '7' })).retryAfterSeconds).toBe(7);
  });

  it.each([400, 403, 404])('gives up on HTTP %i', (status) => {
    expect(classifySlackError(new WebAPIHTTPError(status, 'x', {})).permanent).toBe(true);
  });

  it('retries a network error or timeout', () => {
    expect(classifySlackError(new WebAPIRequestError(new Error('The operation was aborted due to timeout'))).permanent).toBe(false);
  });

  it.each(['channel_not_found', 'invalid_auth', 'not_in_channel', 'is_archived', 'msg_too_long', 'invalid_blocks'])(
    'gives up on the platform error %s',
    (code) => {
      expect(classifySlackError(platform(code))).toMatchObject({ permanent: true, message: `slack refused the call: ${code}` });
    },
  );

  it.each(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout'])(
    'retries the platform error %s',
    (code) => {
      expect(classifySlackError(platform(code)).permanent).toBe(false);
    },
  );

  it('retries anything else', () => {
    expect(classifySlackError(new Error('connection terminated')).permanent).toBe(false);
  });

  it('keeps a DeliveryError as it is', () => {
    const err = new DeliveryError('x', true);
    expect(classifySlackError(err)).toBe(err);
  });
});

function snapshot(
  over: Partial<IncidentSnapshot['incident']> = {},
  taskStatus: 'assigned' | 'acknowledged' = 'assigned',
): IncidentSnapshot {
  return {
    incident: {
      id: INCIDENT_ID,
      title: 'Port scan',
      severity: 'high',
      priority: 'P2',
      status: 'open',
      types: ['port_scan'],
      sourceIp: '198.51.100.4',
      user: null,
      host: null,
      alertCount: 1,
      firstSeenAt: '2026-01-02T10:00:00.000Z',
      lastSeenAt: '2026-01-02T10:00:00.000Z',
      createdAt: '2026-01-02T10:00:00.000Z',
      resolvedAt: null,
      storm: false,
      team: null,
      ...over,
    },
    task: {
      id: TASK_ID,
      status: taskStatus,
      assigneeId: 'alice',
      assigneeName: 'Alice',
      ackDeadline: '2026-01-02T10:15:00.000Z',
      resolveDeadline: '2026-01-02T14:00:00.000Z',
      disposition: null,
      checklist: [],
    },
    alerts: [],
    pendingApprovals: [],
    enrichment: rollUpEnrichment([]),
    links: { incident: `https://warden.example/app#incident/${INCIDENT_ID}`, jira: null },
  };
}

const config: IntegrationsConfig = {
  publicUrl: 'https://warden.example',
  slack: { channel: '#soc', bySeverity: { critical: '#soc-critical' }, byTeam: { network: '#soc-network' } },
  jira: {
    project: 'SOC',
    issueType: 'Task',
    priorities: { P1: 'Highest', P2: 'High', P3: 'Medium', P4: 'Low' },
    transitions: {},
    doneStatuses: ['Done'],
    resolutions: {},
    defaultDisposition: 'true_positive',
  },
  webhooks: [],
  alertsAddedEverySeconds: 60,
};

describe('channelFor', () => {
  it('routes by the assignee team first', () => {
    expect(channelFor(snapshot({ team: 'network', severity: 'critical' }), config.slack)).toBe('#soc-network');
  });

  it('routes by severity next', () => {
    expect(channelFor(snapshot({ team: 'web', severity: 'critical' }), config.slack)).toBe('#soc-critical');
  });

  it('falls back to the default channel', () => {
    expect(channelFor(snapshot(), config.slack)).toBe('#soc');
  });
});

describe('subjectIdOf', () => {
  it('is a UUID', () => {
    expect(subjectIdOf('task-1:assignment:2')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('is the same for the same key', () => {
    expect(subjectIdOf('k')).toBe(subjectIdOf('k'));
  });
});

describe('message metadata', () => {
  it('the top message names its incident', () => {
    expect(carries(topMetadata(INCIDENT_ID), { event_type: 'warden_incident', event_payload: { incident_id: INCIDENT_ID } })).toBe(true);
  });

  it('tells another incident’s, another kind’s and no metadata apart', () => {
    const wanted = topMetadata(INCIDENT_ID);
    expect([
      carries(topMetadata(TASK_ID), wanted),
      carries(noticeMetadata(INCIDENT_ID), wanted),
      carries(undefined, wanted),
      carries({ event_type: 'warden_incident' }, wanted),
    ]).toEqual([false, false, false, false]);
  });

  it('a direct message is known by its notice and its executive', () => {
    expect([
      carries(noticeMetadata('k', 'erin'), noticeMetadata('k', 'erin')),
      carries(noticeMetadata('k', 'frank'), noticeMetadata('k', 'erin')),
    ]).toEqual([true, false]);
  });

  it('slackTs writes seconds with six decimals', () => {
    expect([slackTs(1767348900123), slackTs(0)]).toEqual(['1767348900.123000', '0.000000']);
  });
});

/**
 * integration_links in memory, with ensure's contract: create only while nothing is stored, and tell
 * it about an earlier attempt that threw (its outcome unknown) and what that attempt aimed at.
 */
class MemoryLinks {
  readonly rows = new Map<string, IntegrationLink>();
  readonly attempts = new Map<string, { since: Date; intent: Record<string, unknown> }>();

  async ensure(
    channel: string,
    subjectId: string,
    create: (attempt: CreateAttempt) => Promise<Created>,
    options: { intent?: Record<string, unknown> } = {},
  ) {
    const key = `${channel}/${subjectId}`;
    const existing = this.rows.get(key);
    if (existing) return existing;
    const earlier = this.attempts.get(key);
    if (!earlier) this.attempts.set(key, { since: new Date(), intent: options.intent ?? {} });
    const made = await create({ earlierSince: earlier?.since ?? null, intent: earlier?.intent ?? options.intent ?? {} });
    const link = {
      channel,
      subjectId,
      externalId: made.externalId,
      external: made.external ?? {},
      creatingUntil: null,
      syncedAt: null,
      createdAt: new Date(),
    } as IntegrationLink;
    this.rows.set(key, link);
    return link;
  }

  count(channel: string) {
    return [...this.rows.values()].filter((l) => l.channel === channel).length;
  }
}

type Call = { method: string; args: Record<string, unknown> };

/** The workspace of the double: channel name → id. */
const CHANNEL_IDS: Record<string, string> = { soc: 'C0SOC00001', 'soc-network': 'C0NETWORK01' };

/**
 * A WebClient double: records calls and keeps what was posted (with metadata), answering
 * conversations.history / .replies / .list from it. `fail` makes the next call of a method throw
 * before anything happens; `failAfter` lets it happen and then throws (Slack posted, then answered 500).
 */
function fakeClient() {
  const calls: Call[] = [];
  const fail = new Map<string, unknown>();
  const failAfter = new Map<string, unknown>();
  const posted: { channel: string; ts: string; thread_ts?: string; metadata?: unknown }[] = [];
  let seq = 0;
  const call =
    (method: string, answer: (args: Record<string, unknown>) => Record<string, unknown>) => async (args: Record<string, unknown>) => {
      calls.push({ method, args });
      const err = fail.get(method);
      if (err) {
        fail.delete(method);
        throw err;
      }
      const result = { ok: true, ...answer(args) };
      const late = failAfter.get(method);
      if (late) {
        failAfter.delete(method);
        throw late;
      }
      return result;
    };
  const client = {
    chat: {
      postMessage: call('chat.postMessage', (a) => {
        const name = String(a.channel).replace(/^#/, '');
        const channel = CHANNEL_IDS[name] ?? String(a.channel);
        const ts = `1767348900.${String(++seq).padStart(6, '0')}`;
        posted.push({ channel, ts, thread_ts: a.thread_ts as string | undefined, metadata: a.metadata });
        return { ts, channel };
      }),
      update: call('chat.update', (a) => ({ ts: a.ts, channel: a.channel })),
    },
    conversations: {
      open: call('conversations.open', (a) => ({ channel: { id: `D0${String(a.users).slice(2)}0000` } })),
      history: call('conversations.history', (a) => ({
        messages: posted.filter((p) => p.channel === a.channel && !p.thread_ts).reverse(),
        has_more: false,
      })),
      replies: call('conversations.replies', (a) => ({
        messages: [{ ts: a.ts }, ...posted.filter((p) => p.channel === a.channel && p.thread_ts === a.ts)],
        has_more: false,
      })),
      list: call('conversations.list', () => ({
        channels: Object.entries(CHANNEL_IDS).map(([name, id]) => ({ id, name })),
        response_metadata: { next_cursor: '' },
      })),
    },
  };
  return {
    client: client as unknown as WebClient,
    calls,
    fail,
    failAfter,
    posted,
    of: (method: string) => calls.filter((c) => c.method === method),
  };
}

const people: SlackPeople = {
  slackUserOf: (id) => ({ alice: 'U0ALICE', erin: 'U0ERIN', frank: null })[id] ?? null,
  roleOf: (id) => ({ alice: 'analyst', erin: 'executive', frank: 'executive' })[id] ?? null,
};

const notice = (over: Partial<OutgoingNotification> = {}): OutgoingNotification => ({
  key: `task-${TASK_ID}:assignment:1`,
  kind: 'assigned',
  recipients: ['alice'],
  taskId: TASK_ID,
  incidentId: INCIDENT_ID,
  title: 'P2 task assigned to you: Port scan',
  text: 'least loaded',
  data: {},
  ...over,
});

describe(SlackChannel.name, () => {
  function setup(s: IncidentSnapshot | null = snapshot()) {
    const slack = fakeClient();
    const links = new MemoryLinks();
    const state = { snapshot: s };
    const channel = new SlackChannel(slack.client, { read: async () => state.snapshot }, links, config, people);
    return { slack, links, state, channel };
  }

  describe('send', () => {
    it('does nothing without a snapshot', async () => {
      const { slack, channel } = setup(null);
      await channel.send(notice());
      expect(slack.calls).toEqual([]);
    });

    it('posts the top message in the routed channel with the buttons', async () => {
      const { slack, channel } = setup();
      await channel.send(notice());
      const [top] = slack.of('chat.postMessage');
      expect(top.args).toMatchObject({
        channel: '#soc',
        attachments: [{ blocks: expect.arrayContaining([expect.objectContaining({ type: 'actions' })]) }],
      });
    });

    it('replies in the thread of the top message', async () => {
      const { slack, channel } = setup();
      await channel.send(notice());
      const [top, reply] = slack.of('chat.postMessage');
      expect(reply.args).toMatchObject({
        channel: 'C0SOC00001',
        thread_ts: '1767348900.000001',
        text: 'P2 task assigned to you: Port scan',
      });
      expect(top.args.thread_ts).toBeUndefined();
    });

    it('does not edit a top message it just posted', async () => {
      const { slack, channel } = setup();
      await channel.send(notice());
      expect(slack.of('chat.update')).toEqual([]);
    });

    it('edits the top message to the state now on a later notice', async () => {
      const { slack, state, channel } = setup();
      await channel.send(notice());
      state.snapshot = snapshot({}, 'acknowledged');
      await channel.send(notice({ key: `task-${TASK_ID}:acknowledged`, kind: 'task.acknowledged', recipients: [] }));
      const [update] = slack.of('chat.update');
      const actions = (update.args.attachments as { blocks: { type: string; elements?: { action_id: string }[] }[] }[])[0].blocks.find(
        (b) => b.type === 'actions',
      );
      expect({ ts: update.args.ts, channel: update.args.channel, buttons: actions?.elements?.map((e) => e.action_id) }).toEqual({
        ts: '1767348900.000001',
        channel: 'C0SOC00001',
        buttons: [ACTIONS.take, ACTIONS.resolve],
      });
    });

    it('posts one top message per incident', async () => {
      const { links, channel } = setup();
      await channel.send(notice());
      await channel.send(notice({ key: 'other', kind: 'task.acknowledged' }));
      expect(links.count('slack')).toBe(1);
    });

    it('does not post a reply again when a retry follows a failed edit', async () => {
      const { slack, channel } = setup();
      await channel.send(notice());
      const later = notice({ key: 'k2', kind: 'task.commented', data: { author: 'bob', text: 'hi' } });
      slack.fail.set('chat.update', new WebAPIRateLimitedError(3));
      await expect(channel.send(later)).rejects.toMatchObject({ permanent: false, retryAfterSeconds: 3 });
      await channel.send(later);
      // The assignment's reply and the comment's, once each.
      expect(slack.of('chat.postMessage').filter((c) => c.args.thread_ts)).toHaveLength(2);
    });

    it('keeps going when the top message was deleted', async () => {
      const { slack, channel } = setup();
      await channel.send(notice());
      slack.fail.set('chat.update', new WebAPIPlatformError({ ok: false, error: 'message_not_found' }));
      await expect(channel.send(notice({ key: 'k2', kind: 'task.acknowledged' }))).resolves.toBeUndefined();
    });

    it('fails for good when the channel does not exist', async () => {
      const { slack, channel } = setup();
      slack.fail.set('chat.postMessage', platform('channel_not_found'));
      await expect(channel.send(notice())).rejects.toMatchObject({ name: 'DeliveryError', permanent: true });
    });

    it('sends each executive recipient with a Slack user a direct message', async () => {
      const { slack, channel } = setup();
      await channel.send(notice({ key: 'esc', kind: 'escalation', recipients: ['alice', 'erin', 'frank'], data: { tier: 'executive' } }));
      expect(slack.of('conversations.open').map((c) => c.args.users)).toEqual(['U0ERIN']);
    });

    it('posts the direct message in the opened conversation', async () => {
      const { slack, channel } = setup();
      await channel.send(notice({ key: 'esc', kind: 'critical', recipients: ['erin'], data: { tier: 'executive' } }));
      expect(slack.of('chat.postMessage').map((c) => c.args.channel)).toContain('D0ERIN0000');
    });

    it('sends a direct message once when the notice is retried', async () => {
      const { slack, channel } = setup();
      const esc = notice({ key: 'esc', kind: 'sla_breach', recipients: ['erin'] });
      await channel.send(esc);
      await channel.send(esc);
      expect(slack.of('conversations.open')).toHaveLength(1);
    });

    it('posts the top message with metadata naming the incident, and looks for nothing on a first attempt', async () => {
      const { slack, channel } = setup();
      await channel.send(notice());
      const [top] = slack.of('chat.postMessage');
      expect({ metadata: top.args.metadata, looked: slack.calls.some((c) => c.method.startsWith('conversations.')) }).toEqual({
        metadata: { event_type: 'warden_incident', event_payload: { incident_id: INCIDENT_ID } },
        looked: false,
      });
    });

    it('posts one top message when Slack posted it and answered 500: the retry finds it by its metadata', async () => {
      const { slack, channel } = setup();
      slack.failAfter.set('chat.postMessage', new WebAPIHTTPError(500, 'x', {}));
      await expect(channel.send(notice())).rejects.toMatchObject({ permanent: false });
      await channel.send(notice());
      const tops = slack.posted.filter((p) => !p.thread_ts);
      const [history] = slack.of('conversations.history');
      expect({ tops: tops.length, history: history.args, edited: slack.of('chat.update').length }).toEqual({
        tops: 1,
        history: expect.objectContaining({ channel: 'C0SOC00001', include_all_metadata: true }),
        edited: 1,
      });
    });

    it('posts the top message on the retry when the failed attempt posted nothing', async () => {
      const { slack, channel } = setup();
      slack.fail.set('chat.postMessage', new WebAPIRequestError(new Error('socket hang up')));
      await expect(channel.send(notice())).rejects.toMatchObject({ permanent: false });
      await channel.send(notice());
      expect({ tops: slack.posted.filter((p) => !p.thread_ts).length, looked: slack.of('conversations.history').length }).toEqual({
        tops: 1,
        looked: 1,
      });
    });

    it('looks and posts on the retry where the first attempt aimed, even when the routing changed since', async () => {
      const { slack, state, channel } = setup();
      slack.fail.set('chat.postMessage', new WebAPIRequestError(new Error('socket hang up')));
      await expect(channel.send(notice())).rejects.toMatchObject({ permanent: false });
      state.snapshot = snapshot({ team: 'network' });
      await channel.send(notice());
      expect({
        looked: slack.of('conversations.history').map((c) => c.args.channel),
        posted: slack.of('chat.postMessage').map((c) => c.args.channel),
      }).toEqual({ looked: ['C0SOC00001'], posted: ['#soc', '#soc', 'C0SOC00001'] });
    });

    it('posts one reply when Slack posted it and the answer was lost: the retry finds it in the thread', async () => {
      const { slack, channel } = setup();
      await channel.send(notice());
      const later = notice({ key: 'k2', kind: 'task.commented', data: { author: 'bob', text: 'hi' } });
      slack.failAfter.set('chat.postMessage', new WebAPIRequestError(new Error('The operation was aborted due to timeout')));
      await expect(channel.send(later)).rejects.toMatchObject({ permanent: false });
      await channel.send(later);
      expect({
        replies: slack.posted.filter((p) => p.thread_ts && carries(p.metadata, noticeMetadata('k2'))).length,
        looked: slack.of('conversations.replies').map((c) => c.args.ts),
      }).toEqual({ replies: 1, looked: ['1767348900.000001'] });
    });

    it('posts on the retry, warned, when Slack refuses to show the history', async () => {
      const { slack, channel } = setup();
      slack.fail.set('chat.postMessage', new WebAPIHTTPError(503, 'x', {}));
      slack.fail.set('conversations.history', platform('missing_scope'));
      await expect(channel.send(notice())).rejects.toMatchObject({ permanent: false });
      await channel.send(notice());
      expect(slack.posted.filter((p) => !p.thread_ts)).toHaveLength(1);
    });

    it('retries later when the search itself fails for now', async () => {
      const { slack, channel } = setup();
      slack.fail.set('chat.postMessage', new WebAPIHTTPError(503, 'x', {}));
      await expect(channel.send(notice())).rejects.toMatchObject({ permanent: false });
      slack.fail.set('conversations.history', new WebAPIHTTPError(502, 'x', {}));
      await expect(channel.send(notice())).rejects.toMatchObject({ permanent: false, message: 'slack answered HTTP 502' });
      expect(slack.posted).toEqual([]);
    });

    it('sends a direct message once when Slack posted it and answered 500', async () => {
      const { slack, channel } = setup();
      const esc = notice({ key: 'esc', kind: 'escalation', recipients: ['erin'], data: { tier: 'executive' } });
      await channel.send(notice());
      slack.failAfter.set('chat.postMessage', new WebAPIHTTPError(500, 'x', {}));
      // The reply goes first and takes the failure; the direct message is the one at stake next.
      await expect(channel.send(esc)).rejects.toMatchObject({ permanent: false });
      slack.failAfter.set('chat.postMessage', new WebAPIHTTPError(500, 'x', {}));
      await expect(channel.send(esc)).rejects.toMatchObject({ permanent: false });
      await channel.send(esc);
      expect(slack.posted.filter((p) => p.channel === 'D0ERIN0000')).toHaveLength(1);
    });

    it('sends no direct message for an approval request', async () => {
      const { slack, channel } = setup();
      await channel.send(notice({ key: 'appr', kind: 'approval.requested', taskId: null, recipients: ['erin'], data: {} }));
      expect(slack.of('conversations.open')).toEqual([]);
    });
  });
});
