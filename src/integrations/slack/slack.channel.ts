import { Logger } from '@nestjs/common';
import { ErrorCode, type WebClient } from '@slack/web-api';
import { classifyStatus, DeliveryError, parseRetryAfter, type Notifier, type OutgoingNotification } from '../../notifications/notifier';
import type { IntegrationsConfig } from '../integrations.schema';
import { subjectIdOf, type CreateAttempt, type IntegrationLink, type IntegrationLinks } from '../links';
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

/** Message metadata (Slack's `metadata`): what Warden's messages carry so a retry can recognise them. */
export interface SlackMetadata {
  event_type: string;
  event_payload: Record<string, string>;
}

/** The top message of an incident. */
export const topMetadata = (incidentId: string): SlackMetadata => ({
  event_type: 'warden_incident',
  event_payload: { incident_id: incidentId },
});

/** A thread reply or a direct message, by its notice (and, for a direct message, its executive). */
export const noticeMetadata = (noticeKey: string, analystId?: string): SlackMetadata => ({
  event_type: 'warden_notice',
  event_payload: analystId ? { notice_key: noticeKey, analyst_id: analystId } : { notice_key: noticeKey },
});

/** Whether a message's metadata is `wanted`: the same event type and every payload field the same. */
export function carries(metadata: unknown, wanted: SlackMetadata): boolean {
  const m = metadata as { event_type?: unknown; event_payload?: Record<string, unknown> } | null | undefined;
  if (!m || m.event_type !== wanted.event_type || typeof m.event_payload !== 'object' || m.event_payload === null) return false;
  return Object.entries(wanted.event_payload).every(([k, v]) => m.event_payload![k] === v);
}

/** A Slack timestamp (`1767348900.123000`) for a time in ms. */
export const slackTs = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(6);

/** A conversation id (C…, G…, D…); anything else is a channel name. */
const CONVERSATION_ID = /^[CGD][A-Z0-9]{8,}$/;

/** How long before an earlier attempt a search for its message starts: Warden's database clock and Slack's differ. */
const LOOK_BACK_MS = 120_000;
/** Pages (of PAGE_SIZE) a search reads at most; a message not found within counts as not posted. */
const LOOK_PAGES = 10;
const PAGE_SIZE = 200;

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
 * Slack answered, so a retry after a stored answer creates nothing. chat.postMessage takes no
 * idempotency key, and Slack may post a message and still answer 500, time out or lose the answer;
 * so every message carries metadata naming what it is (`topMetadata`, `noticeMetadata`), and an
 * attempt that follows one whose outcome is unknown (ensure's `earlierSince`) first looks for it
 * (conversations.history, or .replies in the thread, from shortly before that attempt) and posts
 * only when it is not there. The first attempt fixes the channel, so every attempt looks and posts
 * in the same one. The common path costs no extra call. What stays possible: Slack applying a
 * timed-out post only after the retry has looked, and a retry where Slack refuses to show the
 * history (missing history scope, not a member), which posts as before with a warning. The edit
 * of the top message is idempotent and simply runs again.
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
    const target = channelFor(s, this.config.slack);
    const top = await this.links.ensure(
      SLACK_LINK,
      s.incident.id,
      async (attempt) => {
        // Every attempt aims where the first did, so the search below looks where that one may have posted.
        const aim = typeof attempt.intent.channel === 'string' ? attempt.intent.channel : target;
        const metadata = topMetadata(s.incident.id);
        const earlier = await this.lookFirst(attempt, aim, null, metadata);
        // Found: it shows the state of its own time, so the edit below brings it up to date.
        if (earlier) return { externalId: earlier.ts, external: { channel: earlier.channel } };
        created = true;
        const message = incidentMessage(s);
        const res = await this.client.chat.postMessage({
          channel: aim,
          text: message.text,
          attachments: message.attachments,
          metadata,
          unfurl_links: false,
          unfurl_media: false,
        });
        return { externalId: answered('chat.postMessage', res.ts), external: { channel: answered('chat.postMessage', res.channel) } };
      },
      { intent: { channel: target } },
    );
    const { channel, ts } = this.threadOf(top);

    // The reply first: it is the news. Then the edit, which a retry may safely repeat.
    await this.links.ensure(SLACK_REPLY_LINK, subjectIdOf(n.key), async (attempt) => {
      const metadata = noticeMetadata(n.key);
      const earlier = await this.lookFirst(attempt, channel, ts, metadata);
      let replyTs = earlier?.ts;
      if (!replyTs) {
        const reply = eventReply(n, s, (id) => this.people.slackUserOf(id));
        const res = await this.client.chat.postMessage({
          channel,
          thread_ts: ts,
          text: reply.text,
          blocks: reply.blocks,
          metadata,
          unfurl_links: false,
          unfurl_media: false,
        });
        replyTs = answered('chat.postMessage', res.ts);
      }
      // `ts` is unique only within a conversation; the links index is unique per link channel, hence both.
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
      await this.links.ensure(SLACK_DM_LINK, subjectIdOf(`${n.key}\n${analystId}`), async (attempt) => {
        // Opening the conversation again answers the same one.
        const im = await this.client.conversations.open({ users: user });
        const channel = answered('conversations.open', im.channel?.id);
        const metadata = noticeMetadata(n.key, analystId);
        const earlier = await this.lookFirst(attempt, channel, null, metadata);
        let dmTs = earlier?.ts;
        if (!dmTs) {
          const dm = directMessage(n, s);
          const res = await this.client.chat.postMessage({
            channel,
            text: dm.text,
            blocks: dm.blocks,
            metadata,
            unfurl_links: false,
            unfurl_media: false,
          });
          dmTs = answered('chat.postMessage', res.ts);
        }
        return { externalId: `${channel}/${dmTs}`, external: { channel, ts: dmTs, analystId } };
      });
    }
  }

  /**
   * After an attempt whose outcome is unknown: the message it may have posted, found by its metadata
   * in the conversation (or the thread `thread`) from shortly before that attempt on; null when
   * this is the first attempt, or nothing is there. A refusal to show the history is logged and
   * counts as nothing there; a transient failure is thrown, so the delivery is retried later.
   */
  private async lookFirst(
    attempt: CreateAttempt,
    target: string,
    thread: string | null,
    wanted: SlackMetadata,
  ): Promise<{ channel: string; ts: string } | null> {
    if (!attempt.earlierSince) return null;
    const oldest = slackTs(attempt.earlierSince.getTime() - LOOK_BACK_MS);
    try {
      const channel = await this.conversationOf(target);
      if (!channel) return null;
      let cursor: string | undefined;
      for (let page = 0; page < LOOK_PAGES; page++) {
        const res = thread
          ? await this.client.conversations.replies({ channel, ts: thread, oldest, include_all_metadata: true, limit: PAGE_SIZE, cursor })
          : await this.client.conversations.history({ channel, oldest, include_all_metadata: true, limit: PAGE_SIZE, cursor });
        const hit = (res.messages ?? []).find((m) => m.ts !== thread && carries(m.metadata, wanted));
        if (hit?.ts) return { channel, ts: hit.ts };
        cursor = res.response_metadata?.next_cursor;
        if (!res.has_more || !cursor) return null;
      }
      this.logger.warn(`no earlier ${wanted.event_type} message in the last ${LOOK_PAGES * PAGE_SIZE} of ${target}; posting`);
      return null;
    } catch (err) {
      const code = slackPlatformError(err);
      if (code === null || TRANSIENT_PLATFORM_ERRORS.has(code)) throw err;
      this.logger.warn(`cannot look for an earlier ${wanted.event_type} message in ${target} (${code}); posting`);
      return null;
    }
  }

  /** The conversation id of a configured channel (an id, or a name looked up among the channels); null when there is none. */
  private async conversationOf(target: string): Promise<string | null> {
    if (CONVERSATION_ID.test(target)) return target;
    const name = target.replace(/^#/, '');
    let cursor: string | undefined;
    for (let page = 0; page < LOOK_PAGES; page++) {
      const res = await this.client.conversations.list({
        types: 'public_channel,private_channel',
        exclude_archived: true,
        limit: PAGE_SIZE,
        cursor,
      });
      const hit = (res.channels ?? []).find((c) => c.name === name);
      if (hit?.id) return hit.id;
      cursor = res.response_metadata?.next_cursor;
      if (!cursor) return null;
    }
    return null;
  }
}
