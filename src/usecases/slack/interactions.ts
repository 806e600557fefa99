import { ANALYST_DISPOSITIONS, type AnalystDisposition } from '../../domain';
import { ACTIONS } from '../../integrations/slack/blocks';

export type SlackCommandKind = 'ack' | 'take' | 'resolve' | 'approve' | 'deny' | 'mine' | 'away' | 'help';

/** What a Slack user asked Warden to do, from a button, a menu or `/warden`. */
export interface SlackCommand {
  kind: SlackCommandKind;
  taskId?: string;
  approvalId?: string;
  disposition?: AnalystDisposition;
  /** `resolve`: the note after the disposition. `help`: why the command was not understood, if it was not. */
  text?: string;
  /** `away`: back at this instant (ISO 8601); absent: away until they say `away off`. */
  until?: string;
  /** `away off`: available again. */
  off?: boolean;
  slackUserId: string;
  /** Where Slack takes a delayed answer; null when the payload had none. */
  responseUrl: string | null;
}

/** A payload Warden cannot act on; the user and response URL when they could be read, so the user can still be told. */
export interface SlackCommandError {
  error: string;
  slackUserId?: string;
  responseUrl?: string | null;
}

export type SlackCommandResult = SlackCommand | SlackCommandError;

export const isCommandError = (r: SlackCommandResult): r is SlackCommandError => 'error' in r;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SLACK_USER = /^[UW][A-Z0-9]{2,30}$/;
/** A form field Slack sends is short; anything longer is not from Slack. */
const MAX_FIELD = 4000;

export const HELP_TEXT = [
  '*/warden* commands:',
  '• `/warden mine`: your open tasks',
  '• `/warden ack <taskId>`: acknowledge a task',
  '• `/warden take <taskId>`: take a task yourself',
  `• \`/warden resolve <taskId> <${ANALYST_DISPOSITIONS.join('|')}> [note…]\`: resolve a task`,
  '• `/warden away [until <ISO date or date-time>]`: stop getting new work; `/warden away off` to come back',
].join('\n');

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const field = (v: unknown): string | undefined => (typeof v === 'string' && v.length <= MAX_FIELD ? v : undefined);

/** `true-positive`, `TP`, `false_positive`… to a disposition an analyst may choose; undefined when it is none. */
export function parseDisposition(raw: string): AnalystDisposition | undefined {
  const v = raw.trim().toLowerCase().replace(/-/g, '_');
  const aliases: Record<string, AnalystDisposition> = { tp: 'true_positive', fp: 'false_positive' };
  const d = aliases[v] ?? v;
  return (ANALYST_DISPOSITIONS as readonly string[]).includes(d) ? (d as AnalystDisposition) : undefined;
}

/**
 * A `block_actions` interaction (the form field `payload`, JSON) to a command. Never throws:
 * anything malformed or unknown is an `{ error }`.
 */
export function parseInteraction(form: unknown): SlackCommandResult {
  try {
    const raw = isRecord(form) ? form.payload : undefined;
    if (typeof raw !== 'string' || raw.length === 0) return { error: 'the interaction has no payload' };
    let payload: unknown;
    try {
      payload = JSON.parse(raw);
    } catch {
      return { error: 'the interaction payload is not JSON' };
    }
    if (!isRecord(payload)) return { error: 'the interaction payload is not an object' };
    const user = isRecord(payload.user) ? field(payload.user.id) : undefined;
    const slackUserId = user && SLACK_USER.test(user) ? user : undefined;
    const responseUrl = field(payload.response_url) ?? null;
    const fail = (error: string): SlackCommandError => ({ error, slackUserId, responseUrl });
    if (payload.type !== 'block_actions')
      return fail(`interactions of type ${JSON.stringify(String(payload.type)).slice(0, 60)} are not handled`);
    if (!slackUserId) return fail('the interaction names no Slack user');
    const action = Array.isArray(payload.actions) && isRecord(payload.actions[0]) ? payload.actions[0] : undefined;
    if (!action) return fail('the interaction has no action');
    const base = { slackUserId, responseUrl };
    switch (action.action_id) {
      case ACTIONS.ack:
      case ACTIONS.take: {
        const taskId = field(action.value);
        if (!taskId || !UUID.test(taskId)) return fail('the button carries no task id');
        return { ...base, kind: action.action_id === ACTIONS.ack ? 'ack' : 'take', taskId: taskId.toLowerCase() };
      }
      case ACTIONS.resolve: {
        const value = isRecord(action.selected_option) ? field(action.selected_option.value) : undefined;
        const parts = (value ?? '').split(':');
        const [taskId, disposition] = parts;
        const d = parts.length === 2 ? parseDisposition(disposition) : undefined;
        if (!UUID.test(taskId) || !d) return fail('the menu choice carries no task id and disposition');
        return { ...base, kind: 'resolve', taskId: taskId.toLowerCase(), disposition: d };
      }
      case ACTIONS.approve:
      case ACTIONS.deny: {
        const approvalId = field(action.value);
        if (!approvalId || !UUID.test(approvalId)) return fail('the button carries no approval id');
        return { ...base, kind: action.action_id === ACTIONS.approve ? 'approve' : 'deny', approvalId: approvalId.toLowerCase() };
      }
      default:
        return fail(`unknown action ${JSON.stringify(String(action.action_id)).slice(0, 80)}`);
    }
  } catch {
    return { error: 'the interaction could not be read' };
  }
}

/** Slack sends command text with its three control characters escaped. */
const unescapeSlack = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** Date.parse rolls 2026-02-30 over into March; the written day and time must exist as written. */
function isCalendarDate(text: string): boolean {
  const [y, m, d, hh = 0, mm = 0, ss = 0] = (text.match(/\d+/g) ?? []).slice(0, 6).map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d && hh < 24 && mm < 60 && ss < 60;
}

/** `2025-06-02` (the start of that day, UTC) or a date-time with its offset, after `now`; an ISO instant. */
export function parseUntil(raw: string, now: Date): { until: string } | { error: string } {
  const text = raw.trim();
  if (!DATE_ONLY.test(text) && !DATE_TIME.test(text))
    return { error: `"${text.slice(0, 40)}" is not a date (2025-06-02) or a date-time with an offset (2025-06-02T18:00:00Z)` };
  const ms = Date.parse(DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms) || !isCalendarDate(text)) return { error: `"${text.slice(0, 40)}" is not a real date` };
  if (ms <= now.getTime()) return { error: `${new Date(ms).toISOString()} is already past` };
  return { until: new Date(ms).toISOString() };
}

/**
 * A slash command's form (`command`, `text`, `user_id`, `response_url`) to a command. Anything
 * that is not a known subcommand is `help`; a known one with bad arguments is an `{ error }`
 * that says how to write it. Never throws.
 */
export function parseSlashCommand(form: unknown, now = new Date()): SlackCommandResult {
  try {
    if (!isRecord(form)) return { error: 'the command has no form body' };
    const user = field(form.user_id);
    const slackUserId = user && SLACK_USER.test(user) ? user : undefined;
    const responseUrl = field(form.response_url) ?? null;
    const fail = (error: string): SlackCommandError => ({ error, slackUserId, responseUrl });
    if (!slackUserId) return fail('the command names no Slack user');
    const text = form.text === undefined ? '' : field(form.text);
    if (text === undefined) return fail('the command text is too long');
    const [sub = '', ...args] = text.trim().split(/\s+/).filter(Boolean);
    const base = { slackUserId, responseUrl };
    const taskArg = (usage: string): string | SlackCommandError => {
      const id = args[0];
      return id && UUID.test(id) ? id.toLowerCase() : fail(`give a task id: ${usage}`);
    };
    switch (sub.toLowerCase()) {
      case 'mine':
        return { ...base, kind: 'mine' };
      case 'ack':
      case 'take': {
        const kind = sub.toLowerCase() as 'ack' | 'take';
        const taskId = taskArg(`/warden ${kind} <taskId>`);
        return typeof taskId === 'string' ? { ...base, kind, taskId } : taskId;
      }
      case 'resolve': {
        const usage = `/warden resolve <taskId> <${ANALYST_DISPOSITIONS.join('|')}> [note…]`;
        const taskId = taskArg(usage);
        if (typeof taskId !== 'string') return taskId;
        const disposition = args[1] === undefined ? undefined : parseDisposition(args[1]);
        if (!disposition) return fail(`give a disposition: ${usage}`);
        // The note keeps the user's own spacing: everything after the disposition word, with
        // Slack's escaping of the command text (&amp; &lt; &gt;) undone: it is stored as written.
        const note = unescapeSlack(
          text
            .trim()
            .replace(/^\S+\s+\S+\s+\S+\s*/, '')
            .trim(),
        );
        return { ...base, kind: 'resolve', taskId, disposition, ...(note ? { text: note } : {}) };
      }
      case 'away': {
        if (args.length === 0) return { ...base, kind: 'away' };
        if (args.length === 1 && args[0].toLowerCase() === 'off') return { ...base, kind: 'away', off: true };
        const rest = args[0].toLowerCase() === 'until' ? args.slice(1) : args;
        if (rest.length !== 1) return fail('write /warden away, /warden away until 2025-06-02T18:00:00Z, or /warden away off');
        const until = parseUntil(rest[0], now);
        return 'error' in until ? fail(until.error) : { ...base, kind: 'away', until: until.until };
      }
      case '':
      case 'help':
        return { ...base, kind: 'help' };
      default:
        return { ...base, kind: 'help', text: `Unknown command "${sub.slice(0, 40)}".` };
    }
  } catch {
    return { error: 'the command could not be read' };
  }
}
