import { Logger } from '@nestjs/common';
import { ErrorCode, type WebClient } from '@slack/web-api';
import { createHash } from 'node:crypto';
import { classifyStatus, DeliveryError, parseRetryAfter, type Notifier, type OutgoingNotification } from '../../notifications/notifier';
import type { IntegrationsConfig } from '../integrations.schema';
import type { IntegrationLink, IntegrationLinks } from '../links';
import type { IncidentSnapshot, SnapshotReader } from '../snapshot';
import { directMessage, eventReply, incidentMessage } from './blocks';

/** What the channel needs to know about people: their Slack user, and their role (executives get direct messages). */
export interface SlackPeople {
  slackUserOf(analystId: string): string | null;
  roleOf(analystId: string): string | null;
}

/** The `integration_links` channels: the incident's top message, each thread reply, each executive's direct message. */
export const SLACK_LINK = 'slack';
export const SLACK_REPLY_LINK = 'slack:reply';
export const SLACK_DM_LINK = 'slack:dm';

/** Notices that also go to each executive recipient as a direct message. */
const DIRECT_MESSAGE_KINDS = new Set(['escalation', 'critical', 'sla_breach']);
export const EXECUTIVE_ROLE = 'executive';

/**
 * Slack platform errors (`ok: false`) that say "later" rather than "never". Every other one
 * (channel_not_found, invalid_auth, not_in_channel, is_archived, msg_too_long, invalid_blocks…)
 * means the request itself is wrong and repeating it cannot help.
 */
const TRANSIENT_PLATFORM_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** chat.update refusals that leave the thread usable: the top message was deleted or can no longer be edited. */
const UNEDITABLE = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);

/** The Slack platform error code (`channel_not_found`…) of a failed call, if it was one. */
export function slackPlatformError(err: unknown): string | null {
  const e = err as { code?: unknown; data?: { error?: unknown } } | null;
  return e?.code === ErrorCode.PlatformError && typeof e.data?.error === 'string' ? e.data.error : null;
}

/**
 * A failed Slack call as the delivery path judges it. The client is built with retries off and
 * rate-limited calls rejected, so each outcome arrives here at once and the dispatcher's own
 * backoff (honouring Retry-After) does the waiting.
 */
export function classifySlackError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = (err ?? {}) as {
    code?: unknown;
    retryAfter?: unknown;
    statusCode?: unknown;
    headers?: Record<string, string>;
    message?: unknown;
  };
  switch (e.code) {
    case ErrorCode.RateLimitedError:
      return new DeliveryError(
        'slack rate limited the call',
        false,
        typeof e.retryAfter === 'number' && e.retryAfter >= 0 ? e.retryAfter : undefined,
      );
    case ErrorCode.HTTPError: {
      const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
      return new DeliveryError(
        `slack answered HTTP ${status}`,
        classifyStatus(status) === 'permanent',
        parseRetryAfter(e.headers?.['retry-after']),
      );
    }
    case ErrorCode.RequestError:
      return new DeliveryError(`slack unreachable: ${String(e.message ?? 'request failed').slice(0, 300)}`, false);
    case ErrorCode.PlatformError: {
      const code = slackPlatformError(err) ?? 'unknown_error';
      return new DeliveryError(`slack refused the call: ${code}`, !TRANSIENT_PLATFORM_ERRORS.has(code));
    }
    default:
      return new DeliveryError(String(e.message ?? err).slice(0, 1000), false);
  }
}

/** Where an incident's thread goes: the assignee's team's channel, else the severity's, else the default. */
export function channelFor(s: IncidentSnapshot, slack: IntegrationsConfig['slack']): string {
  const team = s.incident.team;
  return (team ? slack.byTeam[team] : undefined) ?? slack.bySeverity[s.incident.severity] ?? slack.channel;
}

/** A stable UUID for a key, so a reply or a direct message has a subject id in `integration_links`. */
export function subjectIdOf(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const answered = (what: string, value: unknown): string => {
  if (typeof value !== 'string' || value === '') throw new DeliveryError(`slack answered ${what} without an id`, false);
  return value;
};

/**
 * One Slack thread per incident. The top message (built from the snapshot, colour by severity,
 * buttons while the task is open) is created once, its `ts` and channel stored in
 * `integration_links`; each notice adds a reply in the thread and edits the top message to the
 * state now; escalations reach each executive by direct message too.
 *
 * Idempotency: the top message, each reply (keyed by the notice key) and each direct message
 * (keyed by notice and executive) are created through `links.ensure`, which stores the `ts`
 * Slack answered. A retry of the same notice therefore creates nothing twice, with one
 * exception Slack gives no way around (chat.postMessage takes no idempotency key): when Slack
 * posted the message but its answer was lost (timeout, connection reset), nothing was stored and
 * the retry posts it again. The edit of the top message is idempotent and simply runs again.
 */
export class SlackChannel implements Notifier {
  readonly name = 'slack';
  private readonly logger = new Logger('SlackChannel');

  constructor(
    private readonly client: WebClient,
    private readonly snapshots: Pick<SnapshotReader, 'read'>,
    private readonly links: Pick<IntegrationLinks, 'ensure'>,
    private readonly config: IntegrationsConfig,
    private readonly people: SlackPeople,
  ) {}

  async send(n: OutgoingNotification): Promise<void> {
    try {
      await this.deliver(n);
    } catch (err) {
      throw classifySlackError(err);
    }
  }

  private async deliver(n: OutgoingNotification): Promise<void> {
    const s = await this.snapshots.read({ incidentId: n.incidentId, taskId: n.taskId });
    if (!s) return; // nothing Slack could show: a digest or a notice about something gone

    let created = false;
    const top = await this.links.ensure(SLACK_LINK, s.incident.id, async () => {
      created = true;
      const message = incidentMessage(s);
      const res = await this.client.chat.postMessage({
        channel: channelFor(s, this.config.slack),
        text: message.text,
        attachments: message.attachments,
        unfurl_links: false,
        unfurl_media: false,
      });
      return { externalId: answered('chat.postMessage', res.ts), external: { channel: answered('chat.postMessage', res.channel) } };
    });
    const { channel, ts } = this.threadOf(top);

    // The reply first: it is the news. Then the edit, which a retry may safely repeat.
    await this.links.ensure(SLACK_REPLY_LINK, subjectIdOf(n.key), async () => {
      const reply = eventReply(n, s, (id) => this.people.slackUserOf(id));
      const res = await this.client.chat.postMessage({
        channel,
        thread_ts: ts,
        text: reply.text,
        blocks: reply.blocks,
        unfurl_links: false,
        unfurl_media: false,
      });
      // `ts` is unique only within a conversation; the links index is unique per link channel, hence both.
      const replyTs = answered('chat.postMessage', res.ts);
      return { externalId: `${channel}/${replyTs}`, external: { channel, ts: replyTs, thread: ts } };
    });

    if (!created) await this.editTop(channel, ts, s);

    if (DIRECT_MESSAGE_KINDS.has(n.kind)) await this.tellExecutives(n, s);
  }

  private threadOf(link: IntegrationLink): { channel: string; ts: string } {
    const channel = link.external?.channel;
    if (!link.externalId || typeof channel !== 'string' || channel === '')
      throw new DeliveryError(`the Slack link of incident ${link.subjectId} has no message`, true);
    return { channel, ts: link.externalId };
  }

  /** The top message shows the state now. One that was deleted or can no longer be edited leaves the thread as it is. */
  private async editTop(channel: string, ts: string, s: IncidentSnapshot): Promise<void> {
    const message = incidentMessage(s);
    try {
      await this.client.chat.update({ channel, ts, text: message.text, attachments: message.attachments });
    } catch (err) {
      const code = slackPlatformError(err);
      if (code === null || !UNEDITABLE.has(code)) throw err;
      this.logger.warn(`top message of incident ${s.incident.id} not edited: ${code}`);
    }
  }

  /** Each executive among the recipients who has a Slack user gets the escalation as a direct message, once. */
  private async tellExecutives(n: OutgoingNotification, s: IncidentSnapshot): Promise<void> {
    for (const analystId of new Set(n.recipients)) {
      if (this.people.roleOf(analystId) !== EXECUTIVE_ROLE) continue;
      const user = this.people.slackUserOf(analystId);
      if (!user) continue;
      await this.links.ensure(SLACK_DM_LINK, subjectIdOf(`${n.key}\n${analystId}`), async () => {
        const im = await this.client.conversations.open({ users: user });
        const channel = answered('conversations.open', im.channel?.id);
        const dm = directMessage(n, s);
        const res = await this.client.chat.postMessage({
          channel,
          text: dm.text,
          blocks: dm.blocks,
          unfurl_links: false,
          unfurl_media: false,
        });
        const dmTs = answered('chat.postMessage', res.ts);
        return { externalId: `${channel}/${dmTs}`, external: { channel, ts: dmTs, analystId } };
      });
    }
  }
}
