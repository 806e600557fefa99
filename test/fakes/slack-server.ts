import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { validateSlackCall, validateSlackResponseUrlPost, type CallRequest } from '../support/openapi';
import { sendJson, startLoopbackFake, type LoggedRequest } from './loopback-fake';

export interface SlackMessage {
  /** The channel id (C…, or D… for a direct message). */
  channel: string;
  ts: string;
  threadTs: string | null;
  text: string;
  blocks: unknown[] | null;
  attachments: unknown[] | null;
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

export interface SlackFakeOptions {
  /** The bot token to accept; by default any `xoxb-`/`xoxp-` token. */
  token?: string;
  /** Channel name (without #) → id, for channels Warden names in its config. Others get an id on first use. */
  channels?: Record<string, string>;
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
  /** While down, every call answers 503 (still logged and validated). */
  setDown(down: boolean): void;
  /** While hanging, calls get no answer at all (until close). */
  setHang(hang: boolean): void;
  close(): Promise<void>;
}

const CHANNEL_ID = /^[CG][A-Z0-9]{8,}$/;
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

/**
 * Slack's Web API on loopback, stateful enough for Warden's Slack channel: chat.postMessage,
 * chat.update, chat.postEphemeral, conversations.open and auth.test, with bot-token auth; plus
 * response_url endpoints. Every request and answer is checked against Slack's published spec
 * (test/support/openapi.ts) and the findings collected in `violations`, never thrown.
 */
export async function startSlackFake(options: SlackFakeOptions = {}): Promise<FakeSlack> {
  const teamId = options.teamId ?? 'T0WARDEN01';
  const botUserId = options.botUserId ?? 'U0WARDENBOT';
  const botId = options.botId ?? 'B0WARDENBOT';
  const messages: SlackMessage[] = [];
  const ephemerals: SlackEphemeral[] = [];
  const dms = new Map<string, string>();
  const channels = new Map<string, string>(Object.entries(options.channels ?? {}));
  const responseUrlPosts: ResponseUrlPost[] = [];
  const responseUrlUses = new Map<string, number>();
  const violations: string[] = [];
  const failures = new Map<string, { failure: SlackFailure; only?: (call: SlackCall) => boolean }[]>();
  let down = false;
  let seq = 0;
  let idSeq = 0;

  const newTs = (): string => {
    seq += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(seq % 1_000_000).padStart(6, '0')}`;
  };
  const newId = (prefix: string): string => `${prefix}${String(++idSeq).padStart(9, '0')}`;
  const nameToId = (name: string): string => {
    let id = channels.get(name);
    if (!id) channels.set(name, (id = newId('C')));
    return id;
  };
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
    if (CHANNEL_ID.test(value)) return value;
    if (DM_ID.test(value)) return [...dms.values()].includes(value) ? value : null;
    if (USER_ID.test(value)) return dmOf(value).id;
    const name = value.replace(/^#/, '');
    return /^[a-z0-9][a-z0-9_-]{0,79}$/.test(name) ? nameToId(name) : null;
  };

  const answer = (
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

  const takeFailure = (key: string, call: SlackCall): SlackFailure | undefined => {
    const queue = failures.get(key) ?? [];
    const index = queue.findIndex((f) => !f.only || f.only(call));
    if (index < 0) return undefined;
    const [{ failure }] = queue.splice(index, 1);
    if (queue.length === 0) failures.delete(key);
    return failure;
  };

  const fail = (call: SlackCall, res: ServerResponse, failure: SlackFailure) =>
    failure.status === 429
      ? answer(call, res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfter) })
      : answer(call, res, failure.status, { ok: false, error: 'service_unavailable' });

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
    responseUrlPosts.push({ id, body: call.request.json ?? call.body, headers: call.headers });
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
      const threadTs = typeof args.thread_ts === 'string' && args.thread_ts !== '' ? args.thread_ts : null;
      const ts = newTs();
      messages.push({ channel, ts, threadTs, text, blocks: blocks ?? null, attachments: attachments ?? null, edits: [] });
      // The echo keeps to what objs_message documents (it has additionalProperties: false).
      const message: Record<string, unknown> = { type: 'message', text, ts, user: botUserId, bot_id: botId, team: teamId };
      if (blocks?.length) message.blocks = blocks;
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
      const messageTs = newTs();
      const threadTs = typeof args.thread_ts === 'string' && args.thread_ts !== '' ? args.thread_ts : null;
      ephemerals.push({ channel, user: args.user, messageTs, threadTs, text, blocks: blocks ?? null });
      answer(call, res, 200, { ok: true, message_ts: messageTs });
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

  const fake = await startLoopbackFake<SlackCall>(
    (call, res) => {
      const responseUrl = /^\/actions\/[^/]+\/([^/]+)\/[^/]+$/.exec(call.path);
      if (responseUrl && call.method === 'POST') return handleResponseUrl(call, res, decodeURIComponent(responseUrl[1]));
      if (call.apiMethod === null) {
        violations.push(`${call.method} ${call.path}: not a Slack Web API path`);
        return sendJson(res, 404, { ok: false, error: 'unknown_method' });
      }
      if (down) return answer(call, res, 503, { ok: false, error: 'service_unavailable' });
      const failure = takeFailure(call.apiMethod, call);
      if (failure) return fail(call, res, failure);
      const auth = String(call.headers.authorization ?? '');
      const token = /^Bearer (\S+)$/.exec(auth)?.[1] ?? (typeof call.args.token === 'string' ? call.args.token : undefined);
      if (!token) return answer(call, res, 200, { ok: false, error: 'not_authed' });
      if (options.token ? token !== options.token : !/^xox[bp]-/.test(token))
        return answer(call, res, 200, { ok: false, error: 'invalid_auth' });
      if (call.request.json !== undefined && (typeof call.request.json !== 'object' || call.request.json === null))
        return answer(call, res, 200, { ok: false, error: 'invalid_json' });
      const handler = methods[call.apiMethod];
      if (!handler) {
        violations.push(`${call.method} ${call.path}: the Slack fake does not implement ${call.apiMethod}`);
        return answer(call, res, 200, { ok: false, error: 'unknown_method' });
      }
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
