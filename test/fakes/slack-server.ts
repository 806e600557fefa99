import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { validateSlackCall, validateSlackResponseUrlPost, type CallRequest } from '../support/openapi';
import { BLOCK_KIT, messageBlockKitProblems } from './block-kit';
import { sendJson, startLoopbackFake, type LoggedRequest } from './loopback-fake';

/** Message metadata (chat.postMessage `metadata`), as conversations.history answers it. */
export interface SlackMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface SlackMessage {
  /** The channel id (C…, or D… for a direct message). */
  channel: string;
  ts: string;
  threadTs: string | null;
  text: string;
  blocks: unknown[] | null;
  attachments: unknown[] | null;
  metadata: SlackMetadata | null;
  /** The message as it was before each chat.update, oldest first. */
  edits: { text: string; blocks: unknown[] | null; attachments: unknown[] | null }[];
}

export interface SlackEphemeral {
  channel: string;
  user: string;
  messageTs: string;
  threadTs: string | null;
  text: string;
  blocks: unknown[] | null;
}

export interface SlackCall extends LoggedRequest {
  /** The path without the query. */
  path: string;
  /** `chat.postMessage` for a Web API call; null for anything else (response_url posts). */
  apiMethod: string | null;
  /** Query, form or JSON arguments merged (form values are strings, as sent). */
  args: Record<string, unknown>;
  request: CallRequest;
}

export interface ResponseUrlPost {
  id: string;
  body: unknown;
  headers: IncomingHttpHeaders;
}

export type SlackFailure = { status: 429; retryAfter: number } | { status: 500 | 502 | 503 | 504 };
/** How a call fails after its change was applied: an error answer, or no answer at all (the client times out). */
export type SlackAfterFailure = SlackFailure | 'timeout';

export interface SlackFakeOptions {
  /** The bot token Warden is configured with: any other answers invalid_auth, none not_authed. */
  token: string;
  /** The workspace's channels, name (without #) → id (C…). Any other name or id answers channel_not_found. */
  channels: Record<string, string>;
  teamId?: string;
  botUserId?: string;
  botId?: string;
}

export interface FakeSlack {
  /** The Web API base, ending in `/api/` (WebClient's `slackApiUrl`). */
  url: string;
  origin: string;
  /** What every `responseUrl(…)` starts with, the analogue of https://hooks.slack.com/. */
  responseUrlPrefix: string;
  /** A response_url on the fake; posts to it land in `responseUrlPosts` under `id`. */
  responseUrl(id: string): string;
  teamId: string;
  botUserId: string;
  /** Every message posted (channel and thread replies and DMs), in order. */
  messages: SlackMessage[];
  ephemerals: SlackEphemeral[];
  /** User id → the DM channel id conversations.open (or a post to the user id) gave it. */
  dms: Map<string, string>;
  requests: SlackCall[];
  responseUrlPosts: ResponseUrlPost[];
  /** Spec violations of requests and answers, as strings; a clean run leaves it empty. */
  violations: string[];
  /** The id a channel name (`#soc` or `soc`) maps to; ids come back unchanged. */
  channelId(nameOrId: string): string;
  /** Messages posted in the DM channel of this user. */
  dmsTo(userId: string): SlackMessage[];
  /** The top message at (channel, ts) and its replies, in order. */
  thread(channel: string, ts: string): SlackMessage[];
  /**
   * The next `n` calls of `method` (`chat.postMessage`, …, or `response_url`) fail like this; with `only`,
   * just the calls it accepts, so a straggler from another test cannot use up the failure.
   */
  failNext(method: string, n: number, failure: SlackFailure, only?: (call: SlackCall) => boolean): void;
  /**
   * The next `n` calls of `method` (as failNext) are carried out, their change kept, and then answered
   * with `failure` instead of the real answer, or not answered at all ('timeout'): a half success.
   */
  applyThenFail(method: string, n: number, failure: SlackAfterFailure, only?: (call: SlackCall) => boolean): void;
  /**
   * Slack's rate limit: with `everySeconds`, the workspace takes one Web API call per that many
   * seconds and answers any sooner one 429 with `Retry-After: everySeconds` (null: no limit).
   * The calls so answered are in `limited`.
   */
  rateLimit(everySeconds: number | null): void;
  limited: Set<SlackCall>;
  /** While down, every call answers 503 (still logged and validated). */
  setDown(down: boolean): void;
  /** While hanging, calls get no answer at all (until close). */
  setHang(hang: boolean): void;
  close(): Promise<void>;
}

const DM_ID = /^D[A-Z0-9]{8,}$/;
const USER_ID = /^[UW][A-Z0-9]{2,}$/;
/** response_url posts Slack accepts per URL. */
const RESPONSE_URL_USES = 5;

function parseArray(value: unknown): unknown[] | null | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value;
  if (typeof value !== 'string') return null;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

function describe(logged: LoggedRequest): SlackCall {
  const url = new URL(logged.url, 'http://fake');
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(key);
    query[key] = all.length === 1 ? all[0] : all;
  }
  const contentType = String(logged.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  const request: CallRequest = { query, headers: logged.headers };
  if (logged.body !== '') {
    if (contentType === 'application/json') {
      try {
        request.json = JSON.parse(logged.body);
      } catch {
        request.json = logged.body;
      }
    } else request.form = Object.fromEntries(new URLSearchParams(logged.body));
  }
  const args: Record<string, unknown> = { ...query, ...request.form };
  if (request.json && typeof request.json === 'object' && !Array.isArray(request.json)) Object.assign(args, request.json);
  const apiMethod = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname)?.[1] ?? null;
  return { ...logged, path: url.pathname, apiMethod, args, request };
}

/** A page of a list by cursor (the cursor is the offset, opaque to the client). */
function page<T>(items: T[], cursor: unknown, limit: unknown): { items: T[]; next: string | null } {
  const start = typeof cursor === 'string' && cursor !== '' ? Number(Buffer.from(cursor, 'base64url').toString()) || 0 : 0;
  const size = Math.min(Math.max(Number(limit) || 100, 1), 999);
  const items_ = items.slice(start, start + size);
  return { items: items_, next: start + size < items.length ? Buffer.from(String(start + size)).toString('base64url') : null };
}

/** A Slack ts (or a bare number) as a number of seconds; NaN when it is neither. */
const tsNumber = (value: unknown): number => (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN);

/**
 * Slack's Web API on loopback, stateful enough for Warden's Slack channel: chat.postMessage (with
 * metadata), chat.update, chat.postEphemeral, conversations.open, .history, .replies and .list, and
 * auth.test, with the configured bot token and channels; plus response_url endpoints. Block Kit's
 * limits are enforced (invalid_blocks). Every request and answer is checked against Slack's published
 * spec (test/support/openapi.ts) and the findings collected in `violations`, never thrown.
 */
export async function startSlackFake(options: SlackFakeOptions): Promise<FakeSlack> {
  const teamId = options.teamId ?? 'T0WARDEN01';
  const botUserId = options.botUserId ?? 'U0WARDENBOT';
  const botId = options.botId ?? 'B0WARDENBOT';
  const messages: SlackMessage[] = [];
  const ephemerals: SlackEphemeral[] = [];
  const dms = new Map<string, string>();
  const channels = new Map<string, string>(Object.entries(options.channels));
  const channelIds = new Set(channels.values());
  const responseUrlPosts: ResponseUrlPost[] = [];
  const responseUrlUses = new Map<string, number>();
  const violations: string[] = [];
  const failures = new Map<string, { failure: SlackFailure; only?: (call: SlackCall) => boolean }[]>();
  const afterFailures = new Map<string, { failure: SlackAfterFailure; only?: (call: SlackCall) => boolean }[]>();
  /** Calls being carried out whose answer is replaced (applyThenFail). */
  const replaced = new Map<SlackCall, SlackAfterFailure>();
  let down = false;
  let seq = 0;
  let idSeq = 0;

  const newTs = (): string => {
    seq += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(seq % 1_000_000).padStart(6, '0')}`;
  };
  const newId = (prefix: string): string => `${prefix}${String(++idSeq).padStart(9, '0')}`;
  const dmOf = (userId: string): { id: string; existed: boolean } => {
    const existing = dms.get(userId);
    if (existing) return { id: existing, existed: true };
    const id = newId('D');
    dms.set(userId, id);
    return { id, existed: false };
  };
  /** A channel argument as Slack reads it: an id, a #name, or a user id (their DM). */
  const resolveChannel = (value: unknown): string | null => {
    if (typeof value !== 'string' || value === '') return null;
    if (channelIds.has(value)) return value;
    if (DM_ID.test(value)) return [...dms.values()].includes(value) ? value : null;
    if (USER_ID.test(value)) return dmOf(value).id;
    return channels.get(value.replace(/^#/, '')) ?? null;
  };
  /** A conversation argument where Slack takes ids only (conversations.history, .replies). */
  const conversationId = (value: unknown): string | null =>
    typeof value === 'string' && (channelIds.has(value) || [...dms.values()].includes(value)) ? value : null;

  const send = (
    call: SlackCall,
    res: ServerResponse,
    status: number,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) => {
    if (call.apiMethod !== null) violations.push(...validateSlackCall(call.method, call.path, call.request, { status, body }));
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    sendJson(res, status, body, 'application/json; charset=utf-8');
  };

  /** The handler's answer; for a call chosen by applyThenFail, the failure (or silence) instead, whatever was done. */
  const answer = (
    call: SlackCall,
    res: ServerResponse,
    status: number,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) => {
    const after = replaced.get(call);
    if (after === undefined) return send(call, res, status, body, headers);
    replaced.delete(call);
    // What the fake would have answered is still checked against the spec.
    violations.push(...validateSlackCall(call.method, call.path, call.request, { status, body }));
    if (after === 'timeout') return fake.hold(res);
    fail(call, res, after);
  };

  /** Block Kit's limits (test/fakes/block-kit.ts): a breach is a violation, and Slack refuses the message. */
  const refusedBlocks = (call: SlackCall, res: ServerResponse, message: { blocks?: unknown; attachments?: unknown }): boolean => {
    const problems = messageBlockKitProblems(message);
    if (problems.length === 0) return false;
    violations.push(...problems.map((p) => `${call.method} ${call.path} Block Kit: ${p}`));
    answer(call, res, 200, { ok: false, error: 'invalid_blocks', response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });
    return true;
  };

  /** Message metadata: absent, or an object with an event type and a payload (Slack refuses anything else). */
  const parseMetadata = (value: unknown): SlackMetadata | null | 'invalid' => {
    if (value === undefined) return null;
    let parsed: unknown = value;
    if (typeof value === 'string') {
      try {
        parsed = JSON.parse(value);
      } catch {
        return 'invalid';
      }
    }
    const m = parsed as { event_type?: unknown; event_payload?: unknown } | null;
    if (!m || typeof m.event_type !== 'string' || typeof m.event_payload !== 'object' || m.event_payload === null) return 'invalid';
    return { event_type: m.event_type, event_payload: m.event_payload as Record<string, unknown> };
  };

  /** A message as conversations.history answers it (objs_message); metadata only when asked for. */
  const historyMessage = (m: SlackMessage, withMetadata: boolean): Record<string, unknown> => {
    const replies = messages.filter((r) => r.channel === m.channel && r.threadTs === m.ts);
    const out: Record<string, unknown> = { type: 'message', text: m.text, ts: m.ts, user: botUserId, bot_id: botId, team: teamId };
    if (m.blocks?.length) out.blocks = m.blocks;
    if (replies.length) {
      out.thread_ts = m.ts;
      out.reply_count = replies.length;
      out.latest_reply = replies[replies.length - 1].ts;
    }
    if (withMetadata && m.metadata) out.metadata = m.metadata;
    return out;
  };

  const takeFailure = (key: string, call: SlackCall): SlackFailure | undefined => {
    const queue = failures.get(key) ?? [];
    const index = queue.findIndex((f) => !f.only || f.only(call));
    if (index < 0) return undefined;
    const [{ failure }] = queue.splice(index, 1);
    if (queue.length === 0) failures.delete(key);
    return failure;
  };

  const takeAfterFailure = (key: string, call: SlackCall): SlackAfterFailure | undefined => {
    const queue = afterFailures.get(key) ?? [];
    const index = queue.findIndex((f) => !f.only || f.only(call));
    if (index < 0) return undefined;
    const [{ failure }] = queue.splice(index, 1);
    if (queue.length === 0) afterFailures.delete(key);
    return failure;
  };

  // Slack's own words for its 5xx: fatal_error for a 500, service_unavailable for the rest.
  const fail = (call: SlackCall, res: ServerResponse, failure: SlackFailure) =>
    failure.status === 429
      ? send(call, res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfter) })
      : send(call, res, failure.status, { ok: false, error: failure.status === 500 ? 'fatal_error' : 'service_unavailable' });

  const handleResponseUrl = (call: SlackCall, res: ServerResponse, id: string) => {
    violations.push(...validateSlackResponseUrlPost(call.request));
    const failure = down ? ({ status: 503 } as const) : takeFailure('response_url', call);
    if (failure) {
      if (failure.status === 429) res.setHeader('retry-after', String(failure.retryAfter));
      res.writeHead(failure.status, { 'content-type': 'text/plain' });
      return void res.end(failure.status === 429 ? 'rate_limited' : 'service_unavailable');
    }
    const used = (responseUrlUses.get(id) ?? 0) + 1;
    responseUrlUses.set(id, used);
    if (used > RESPONSE_URL_USES) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('used_url');
    }
    const problems = messageBlockKitProblems((call.request.json ?? {}) as { blocks?: unknown; attachments?: unknown });
    if (problems.length > 0) {
      violations.push(...problems.map((p) => `POST response_url Block Kit: ${p}`));
      res.writeHead(400, { 'content-type': 'text/plain' });
      return void res.end('invalid_blocks');
    }
    responseUrlPosts.push({ id, body: call.request.json ?? call.body, headers: call.headers });
    const after = takeAfterFailure('response_url', call);
    if (after === 'timeout') return fake.hold(res);
    if (after) {
      res.writeHead(after.status, { 'content-type': 'text/plain' });
      return void res.end(after.status === 429 ? 'rate_limited' : 'service_unavailable');
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('ok');
  };

  const methods: Record<string, (call: SlackCall, res: ServerResponse) => void> = {
    'auth.test': (call, res) =>
      answer(call, res, 200, {
        ok: true,
        url: 'https://warden-test.slack.com/',
        team: 'Warden Test',
        user: 'warden',
        team_id: teamId,
        user_id: botUserId,
        bot_id: botId,
      }),

    'chat.postMessage': (call, res) => {
      const { args } = call;
      const channel = resolveChannel(args.channel);
      if (!channel) return answer(call, res, 200, { ok: false, error: 'channel_not_found' });
      const blocks = parseArray(args.blocks);
      const attachments = parseArray(args.attachments);
      if (blocks === null || attachments === null) return answer(call, res, 200, { ok: false, error: 'invalid_array_arg' });
      const text = typeof args.text === 'string' ? args.text : '';
      if (text === '' && !blocks?.length && !attachments?.length) return answer(call, res, 200, { ok: false, error: 'no_text' });
      if (text.length > BLOCK_KIT.messageText) {
        violations.push(`${call.method} ${call.path}: text of ${text.length} characters (Slack takes ${BLOCK_KIT.messageText})`);
        return answer(call, res, 200, { ok: false, error: 'msg_too_long' });
      }
      if (refusedBlocks(call, res, { blocks, attachments })) return;
      const metadata = parseMetadata(args.metadata);
      if (metadata === 'invalid') return answer(call, res, 200, { ok: false, error: 'invalid_metadata_format' });
      const threadTs = typeof args.thread_ts === 'string' && args.thread_ts !== '' ? args.thread_ts : null;
      const ts = newTs();
      messages.push({ channel, ts, threadTs, text, blocks: blocks ?? null, attachments: attachments ?? null, metadata, edits: [] });
      // The echo keeps to what objs_message documents (it has additionalProperties: false).
      const message: Record<string, unknown> = { type: 'message', text, ts, user: botUserId, bot_id: botId, team: teamId };
      if (blocks?.length) message.blocks = blocks;
      if (metadata) message.metadata = metadata;
      if (attachments?.length)
        message.attachments = attachments.map((a, i) => {
          const fallback = (a as { fallback?: unknown } | null)?.fallback;
          return typeof fallback === 'string' ? { id: i + 1, fallback } : { id: i + 1 };
        });
      if (threadTs) message.thread_ts = threadTs;
      answer(call, res, 200, { ok: true, channel, ts, message });
    },

    'chat.update': (call, res) => {
      const { args } = call;
      const channel = resolveChannel(args.channel);
      if (!channel) return answer(call, res, 200, { ok: false, error: 'channel_not_found' });
      const message = messages.find((m) => m.channel === channel && m.ts === args.ts);
      if (!message) return answer(call, res, 200, { ok: false, error: 'message_not_found' });
      const blocks = parseArray(args.blocks);
      const attachments = parseArray(args.attachments);
      if (blocks === null || attachments === null) return answer(call, res, 200, { ok: false, error: 'invalid_array_arg' });
      if (typeof args.text === 'string' && args.text.length > BLOCK_KIT.messageText) {
        violations.push(`${call.method} ${call.path}: text of ${args.text.length} characters (Slack takes ${BLOCK_KIT.messageText})`);
        return answer(call, res, 200, { ok: false, error: 'msg_too_long' });
      }
      if (refusedBlocks(call, res, { blocks, attachments })) return;
      message.edits.push({ text: message.text, blocks: message.blocks, attachments: message.attachments });
      // Fields left out keep their previous value; an empty array clears (Slack's documented rule).
      if (typeof args.text === 'string') message.text = args.text;
      if (blocks !== undefined) message.blocks = blocks.length ? blocks : null;
      if (attachments !== undefined) message.attachments = attachments.length ? attachments : null;
      answer(call, res, 200, { ok: true, channel, ts: message.ts, text: message.text, message: { text: message.text } });
    },

    'chat.postEphemeral': (call, res) => {
      const { args } = call;
      const channel = resolveChannel(args.channel);
      if (!channel) return answer(call, res, 200, { ok: false, error: 'channel_not_found' });
      if (typeof args.user !== 'string' || !USER_ID.test(args.user))
        return answer(call, res, 200, { ok: false, error: 'user_not_in_channel' });
      const blocks = parseArray(args.blocks);
      if (blocks === null) return answer(call, res, 200, { ok: false, error: 'invalid_array_arg' });
      const text = typeof args.text === 'string' ? args.text : '';
      if (text === '' && !blocks?.length) return answer(call, res, 200, { ok: false, error: 'no_text' });
      if (refusedBlocks(call, res, { blocks })) return;
      const messageTs = newTs();
      const threadTs = typeof args.thread_ts === 'string' && args.thread_ts !== '' ? args.thread_ts : null;
      ephemerals.push({ channel, user: args.user, messageTs, threadTs, text, blocks: blocks ?? null });
      answer(call, res, 200, { ok: true, message_ts: messageTs });
    },

    // Top-level messages, newest first, between oldest and latest (exclusive unless inclusive), a page at a time.
    'conversations.history': (call, res) => {
      const { args } = call;
      const channel = conversationId(args.channel);
      if (!channel) return answer(call, res, 200, { ok: false, error: 'channel_not_found' });
      const oldest = args.oldest === undefined ? 0 : tsNumber(args.oldest);
      const latest = args.latest === undefined ? Infinity : tsNumber(args.latest);
      if (Number.isNaN(oldest)) return answer(call, res, 200, { ok: false, error: 'invalid_ts_oldest' });
      if (Number.isNaN(latest)) return answer(call, res, 200, { ok: false, error: 'invalid_ts_latest' });
      const inclusive = args.inclusive === true || args.inclusive === 'true' || args.inclusive === '1';
      const within = (ts: number) => (inclusive ? ts >= oldest && ts <= latest : ts > oldest && ts < latest);
      const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true' || args.include_all_metadata === '1';
      const top = messages.filter((m) => m.channel === channel && m.threadTs === null && within(Number(m.ts))).reverse();
      const { items, next } = page(top, args.cursor, args.limit);
      const body: Record<string, unknown> = {
        ok: true,
        messages: items.map((m) => historyMessage(m, withMetadata)),
        has_more: next !== null,
        pin_count: 0,
        channel_actions_ts: null,
        channel_actions_count: 0,
      };
      if (next) body.response_metadata = { next_cursor: next };
      answer(call, res, 200, body);
    },

    // The thread's parent first, then its replies oldest first (replies between oldest and latest), a page at a time.
    'conversations.replies': (call, res) => {
      const { args } = call;
      const channel = conversationId(args.channel);
      if (!channel) return answer(call, res, 200, { ok: false, error: 'channel_not_found' });
      const parent = messages.find((m) => m.channel === channel && m.ts === args.ts && m.threadTs === null);
      if (!parent) return answer(call, res, 200, { ok: false, error: 'thread_not_found' });
      const oldest = args.oldest === undefined ? 0 : tsNumber(args.oldest);
      const latest = args.latest === undefined ? Infinity : tsNumber(args.latest);
      if (Number.isNaN(oldest)) return answer(call, res, 200, { ok: false, error: 'invalid_ts_oldest' });
      if (Number.isNaN(latest)) return answer(call, res, 200, { ok: false, error: 'invalid_ts_latest' });
      const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true' || args.include_all_metadata === '1';
      const replies = messages.filter((m) => m.threadTs === parent.ts && m.channel === channel);
      const thread = [parent, ...replies.filter((m) => Number(m.ts) > oldest && Number(m.ts) < latest)];
      const { items, next } = page(thread, args.cursor, args.limit);
      // The spec's two shapes: the parent (with its reply count) and a reply (with its parent's user); bot_id is in neither.
      const shaped = items.map((m) => {
        const out: Record<string, unknown> =
          m === parent
            ? { type: 'message', user: botUserId, text: m.text, thread_ts: m.ts, reply_count: replies.length, subscribed: false, ts: m.ts }
            : { type: 'message', user: botUserId, text: m.text, thread_ts: parent.ts, parent_user_id: botUserId, ts: m.ts };
        if (withMetadata && m.metadata) out.metadata = m.metadata;
        return out;
      });
      const body: Record<string, unknown> = { ok: true, messages: shaped, has_more: next !== null };
      if (next) body.response_metadata = { next_cursor: next };
      answer(call, res, 200, body);
    },

    // The configured channels (public, the bot a member), a page at a time.
    'conversations.list': (call, res) => {
      const { args } = call;
      const all = [...channels.entries()].map(([name, id]) => ({
        id,
        name,
        created: 1_700_000_000,
        creator: botUserId,
        is_archived: false,
        is_channel: true,
        is_general: false,
        is_mpim: false,
        is_group: false,
        is_org_shared: false,
        is_im: false,
        is_shared: false,
        is_private: false,
        is_member: true,
        name_normalized: name,
        topic: { value: '', creator: '', last_set: 0 },
        purpose: { value: '', creator: '', last_set: 0 },
      }));
      const { items, next } = page(all, args.cursor, args.limit);
      answer(call, res, 200, { ok: true, channels: items, response_metadata: { next_cursor: next ?? '' } });
    },

    'conversations.open': (call, res) => {
      const { args } = call;
      if (typeof args.channel === 'string' && args.channel !== '') {
        if (![...dms.values()].includes(args.channel)) return answer(call, res, 200, { ok: false, error: 'channel_not_found' });
        return answer(call, res, 200, { ok: true, no_op: true, already_open: true, channel: { id: args.channel } });
      }
      const users = typeof args.users === 'string' ? args.users.split(',').filter((u) => u !== '') : [];
      if (users.length === 0) return answer(call, res, 200, { ok: false, error: 'users_list_not_supplied' });
      // Group DMs (several users) are not something Warden opens; the fake does not model them.
      if (users.length > 1) return answer(call, res, 200, { ok: false, error: 'invalid_user_combination' });
      if (!USER_ID.test(users[0])) return answer(call, res, 200, { ok: false, error: 'user_not_found' });
      const { id, existed } = dmOf(users[0]);
      answer(call, res, 200, existed ? { ok: true, no_op: true, already_open: true, channel: { id } } : { ok: true, channel: { id } });
    },
  };

  let limit: number | null = null;
  let lastTaken = -Infinity;
  const limited = new Set<SlackCall>();

  const fake = await startLoopbackFake<SlackCall>(
    (call, res) => {
      const responseUrl = /^\/actions\/[^/]+\/([^/]+)\/[^/]+$/.exec(call.path);
      if (responseUrl && call.method === 'POST') return handleResponseUrl(call, res, decodeURIComponent(responseUrl[1]));
      if (call.apiMethod === null) {
        violations.push(`${call.method} ${call.path}: not a Slack Web API path`);
        return sendJson(res, 404, { ok: false, error: 'unknown_method' });
      }
      if (down) return answer(call, res, 503, { ok: false, error: 'service_unavailable' });
      if (limit !== null) {
        if (call.at < lastTaken + limit * 1000) {
          limited.add(call);
          return fail(call, res, { status: 429, retryAfter: limit });
        }
        lastTaken = call.at;
      }
      const failure = takeFailure(call.apiMethod, call);
      if (failure) return fail(call, res, failure);
      const auth = String(call.headers.authorization ?? '');
      const token = /^Bearer (\S+)$/.exec(auth)?.[1] ?? (typeof call.args.token === 'string' ? call.args.token : undefined);
      if (!token) return answer(call, res, 200, { ok: false, error: 'not_authed' });
      if (token !== options.token) return answer(call, res, 200, { ok: false, error: 'invalid_auth' });
      if (call.request.json !== undefined && (typeof call.request.json !== 'object' || call.request.json === null))
        return answer(call, res, 200, { ok: false, error: 'invalid_json' });
      const handler = methods[call.apiMethod];
      if (!handler) {
        violations.push(`${call.method} ${call.path}: the Slack fake does not implement ${call.apiMethod}`);
        return answer(call, res, 200, { ok: false, error: 'unknown_method' });
      }
      const after = takeAfterFailure(call.apiMethod, call);
      if (after !== undefined) replaced.set(call, after);
      handler(call, res);
    },
    { describe },
  );

  return {
    url: `${fake.origin}/api/`,
    origin: fake.origin,
    responseUrlPrefix: `${fake.origin}/`,
    responseUrl: (id) => `${fake.origin}/actions/${teamId}/${encodeURIComponent(id)}/fAkEsEcReT`,
    teamId,
    botUserId,
    messages,
    ephemerals,
    dms,
    requests: fake.requests,
    responseUrlPosts,
    violations,
    channelId: (nameOrId) => resolveChannel(nameOrId) ?? nameOrId,
    dmsTo: (userId) => {
      const channel = dms.get(userId);
      return channel ? messages.filter((m) => m.channel === channel) : [];
    },
    thread: (channel, ts) => messages.filter((m) => m.channel === channel && (m.ts === ts || m.threadTs === ts)),
    failNext: (method, n, failure, only) => {
      const queue = failures.get(method) ?? [];
      for (let i = 0; i < n; i++) queue.push({ failure, only });
      failures.set(method, queue);
    },
    rateLimit: (everySeconds) => {
      limit = everySeconds;
      lastTaken = -Infinity;
    },
    limited,
    applyThenFail: (method, n, failure, only) => {
      const queue = afterFailures.get(method) ?? [];
      for (let i = 0; i < n; i++) queue.push({ failure, only });
      afterFailures.set(method, queue);
    },
    setDown: (value) => {
      down = value;
    },
    setHang: (value) => fake.setMode(value ? 'hang' : 'ok'),
    close: fake.close,
  };
}

/** The headers Slack signs a request to Warden with (v0 scheme: HMAC-SHA256 of `v0:<ts>:<body>`). */
export function signSlackRequest(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': `v0=${signature}`,
  };
}

export interface BlockActionsOptions {
  userId: string;
  actionId: string;
  value: string;
  responseUrl: string;
  userName?: string;
  teamId?: string;
  channelId?: string;
  /** The ts of the message that carried the button. */
  messageTs?: string;
  messageText?: string;
  blockId?: string;
  buttonText?: string;
  triggerId?: string;
}

/** A block_actions interaction payload as Slack builds it for a button click. */
export function blockActionsJson(o: BlockActionsOptions): Record<string, unknown> {
  const teamId = o.teamId ?? 'T0WARDEN01';
  const channelId = o.channelId ?? 'C000000001';
  const messageTs = o.messageTs ?? `${Math.floor(Date.now() / 1000)}.000100`;
  const userName = o.userName ?? o.userId.toLowerCase();
  return {
    type: 'block_actions',
    user: { id: o.userId, username: userName, name: userName, team_id: teamId },
    api_app_id: 'A0WARDEN01',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: messageTs, channel_id: channelId, is_ephemeral: false },
    trigger_id: o.triggerId ?? `${Date.now()}.1234567890.${'a'.repeat(32)}`,
    team: { id: teamId, domain: 'warden-test' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channelId, name: 'soc' },
    message: { type: 'message', user: 'U0WARDENBOT', bot_id: 'B0WARDENBOT', ts: messageTs, text: o.messageText ?? '', blocks: [] },
    state: { values: {} },
    response_url: o.responseUrl,
    actions: [
      {
        action_id: o.actionId,
        block_id: o.blockId ?? 'actions',
        text: { type: 'plain_text', text: o.buttonText ?? o.actionId, emoji: true },
        value: o.value,
        type: 'button',
        action_ts: `${Math.floor(Date.now() / 1000)}.000200`,
      },
    ],
  };
}

/** The form body Slack posts for a button click: a single `payload` field holding the JSON. */
export function blockActionsPayload(o: BlockActionsOptions): string {
  return new URLSearchParams({ payload: JSON.stringify(blockActionsJson(o)) }).toString();
}

/** The form body Slack posts for a slash command. */
export function slashCommandBody(o: {
  userId: string;
  text: string;
  responseUrl: string;
  command?: string;
  userName?: string;
  teamId?: string;
  channelId?: string;
  triggerId?: string;
}): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: o.teamId ?? 'T0WARDEN01',
    team_domain: 'warden-test',
    channel_id: o.channelId ?? 'C000000001',
    channel_name: 'soc',
    user_id: o.userId,
    user_name: o.userName ?? o.userId.toLowerCase(),
    command: o.command ?? '/warden',
    text: o.text,
    api_app_id: 'A0WARDEN01',
    is_enterprise_install: 'false',
    response_url: o.responseUrl,
    trigger_id: o.triggerId ?? `${Date.now()}.1234567890.${'b'.repeat(32)}`,
  }).toString();
}
