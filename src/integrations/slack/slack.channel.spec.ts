import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError, type WebClient } from '@slack/web-api';
import { DeliveryError, type OutgoingNotification } from '../../notifications/notifier';
import type { IntegrationsConfig } from '../integrations.schema';
import type { IntegrationLink } from '../links';
import type { IncidentSnapshot } from '../snapshot';
import { ACTIONS } from './blocks';
import { channelFor, classifySlackError, SlackChannel, subjectIdOf, type SlackPeople } from './slack.channel';

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
    links: { incident: `https://warden.example/v1/incidents/${INCIDENT_ID}`, jira: null },
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

/** integration_links in memory, with ensure's contract: create only while nothing is stored. */
class MemoryLinks {
  readonly rows = new Map<string, IntegrationLink>();

  async ensure(channel: string, subjectId: string, create: () => Promise<{ externalId: string; external?: Record<string, unknown> }>) {
    const key = `${channel}/${subjectId}`;
    const existing = this.rows.get(key);
    if (existing) return existing;
    const made = await create();
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

/** A WebClient double: records calls; `fail` makes the next call of a method throw. */
function fakeClient() {
  const calls: Call[] = [];
  const fail = new Map<string, unknown>();
  let seq = 0;
  const call =
    (method: string, answer: (args: Record<string, unknown>) => Record<string, unknown>) => async (args: Record<string, unknown>) => {
      calls.push({ method, args });
      const err = fail.get(method);
      if (err) {
        fail.delete(method);
        throw err;
      }
      return { ok: true, ...answer(args) };
    };
  const client = {
    chat: {
      postMessage: call('chat.postMessage', (a) => ({
        ts: `1767348900.${String(++seq).padStart(6, '0')}`,
        channel: String(a.channel).startsWith('#') ? 'C0SOC' : a.channel,
      })),
      update: call('chat.update', (a) => ({ ts: a.ts, channel: a.channel })),
    },
    conversations: { open: call('conversations.open', (a) => ({ channel: { id: `D-${String(a.users)}` } })) },
  };
  return { client: client as unknown as WebClient, calls, fail, of: (method: string) => calls.filter((c) => c.method === method) };
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
      expect(reply.args).toMatchObject({ channel: 'C0SOC', thread_ts: '1767348900.000001', text: 'P2 task assigned to you: Port scan' });
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
        channel: 'C0SOC',
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
      expect(slack.of('chat.postMessage').map((c) => c.args.channel)).toContain('D-U0ERIN');
    });

    it('sends a direct message once when the notice is retried', async () => {
      const { slack, channel } = setup();
      const esc = notice({ key: 'esc', kind: 'sla_breach', recipients: ['erin'] });
      await channel.send(esc);
      await channel.send(esc);
      expect(slack.of('conversations.open')).toHaveLength(1);
    });

    it('sends no direct message for an approval request', async () => {
      const { slack, channel } = setup();
      await channel.send(notice({ key: 'appr', kind: 'approval.requested', taskId: null, recipients: ['erin'], data: {} }));
      expect(slack.of('conversations.open')).toEqual([]);
    });
  });
});
