import type { FieldError } from '../../common/problem';
import { isFinishedTask, isUnacknowledgedTask, type AnalystDisposition, type TaskStatus } from '../../domain';
import { classifyStatus, DeliveryError, parseRetryAfter, type OutgoingNotification } from '../../notifications/notifier';
import type { IntegrationsConfig } from '../integrations.schema';
import type { IncidentSnapshot } from '../snapshot';
import { adfToText, capUnits, MAX_SUMMARY, oneLine, type AdfDoc } from './adf';

/**
 * The decisions behind the Jira channel, free of I/O: what an issue should say, which
 * transition moves it, which notices earn a comment, what an incoming webhook means, and how
 * a failed call is retried.
 */

export type JiraConfig = IntegrationsConfig['jira'];

/** Jira status and resolution names are compared as people type them: case and outer spaces do not count. */
export const sameName = (a: string | null | undefined, b: string | null | undefined): boolean =>
  a !== null && a !== undefined && b !== null && b !== undefined && a.trim().toLowerCase() === b.trim().toLowerCase();

// ---- Warden → Jira: the issue's fields ----

export const LABEL_PREFIX = 'warden';
/** The label the channel searches by before it creates: one incident, one issue. */
export const incidentLabel = (incidentId: string) => `${LABEL_PREFIX}-incident-${labelPart(incidentId)}`;
export const taskLabel = (taskId: string) => `${LABEL_PREFIX}-task-${labelPart(taskId)}`;
const SEVERITY_LABEL = `${LABEL_PREFIX}-severity-`;

/** Jira labels take no spaces; ids are UUIDs, but nothing else gets through either. */
function labelPart(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 200);
}

export interface JiraIssueFields {
  project: { key: string };
  issuetype: { name: string };
  summary: string;
  priority: { name: string };
  labels: string[];
  /** `null`: unassigned in Warden, so unassigned in Jira. Absent: the assignee has no Jira account in the roster, so Jira's assignee is left alone. */
  assignee?: { accountId: string } | null;
}

/** `[P1] <title>`, one line, at most Jira's 255 characters (code units, as Jira counts them). */
export function issueSummary(s: IncidentSnapshot): string {
  return capUnits(
    oneLine(`[${s.incident.priority}] ${oneLine(s.incident.title, MAX_SUMMARY) || 'Untitled incident'}`, MAX_SUMMARY),
    MAX_SUMMARY,
  );
}

/** What the issue should show for this snapshot. `assigneeAccountId` is the roster's Jira account of the task's assignee. */
export function issueFields(s: IncidentSnapshot, config: JiraConfig, assigneeAccountId: string | null): JiraIssueFields {
  const labels = [LABEL_PREFIX, incidentLabel(s.incident.id)];
  if (s.task) labels.push(taskLabel(s.task.id));
  labels.push(`${SEVERITY_LABEL}${s.incident.severity}`);
  const fields: JiraIssueFields = {
    project: { key: config.project },
    issuetype: { name: config.issueType },
    summary: issueSummary(s),
    priority: { name: config.priorities[s.incident.priority] },
    labels,
  };
  if (!s.task?.assigneeId) fields.assignee = null;
  else if (assigneeAccountId) fields.assignee = { accountId: assigneeAccountId };
  return fields;
}

/** The fields of a create: everything but an empty assignee (Jira's default assignee rule applies then). */
export function createFields(
  fields: JiraIssueFields,
  description: AdfDoc,
): Omit<JiraIssueFields, 'assignee'> & { description: AdfDoc; assignee?: { accountId: string } } {
  const { assignee, ...rest } = fields;
  return { ...rest, description, ...(assignee ? { assignee } : {}) };
}

/** The issue as Jira shows it now: the fields the channel compares. */
export interface JiraIssueState {
  key: string;
  id: string | null;
  summary: string | null;
  priorityName: string | null;
  assigneeAccountId: string | null;
  labels: string[];
  statusName: string | null;
}

const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Reads an issue from a search answer leniently; null when it has no key. */
export function readIssueState(issue: unknown): JiraIssueState | null {
  const i = obj(issue);
  const key = str(i?.key);
  if (!i || !key) return null;
  const f = obj(i.fields) ?? {};
  return {
    key,
    id: str(i.id) ?? (typeof i.id === 'number' ? String(i.id) : null),
    summary: str(f.summary),
    priorityName: str(obj(f.priority)?.name),
    assigneeAccountId: str(obj(f.assignee)?.accountId),
    labels: Array.isArray(f.labels) ? f.labels.filter((l): l is string => typeof l === 'string') : [],
    statusName: str(obj(f.status)?.name),
  };
}

/**
 * The edit that brings the issue to `desired`, or an empty object when it already matches.
 * People's own labels stay; only a stale Warden severity label is replaced.
 */
export function fieldChanges(current: JiraIssueState, desired: JiraIssueFields): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  if (current.summary !== desired.summary) changes.summary = desired.summary;
  if (!sameName(current.priorityName, desired.priority.name)) changes.priority = desired.priority;
  if (desired.assignee !== undefined && (desired.assignee?.accountId ?? null) !== current.assigneeAccountId)
    changes.assignee = desired.assignee;
  const kept = current.labels.filter((l) => !l.startsWith(SEVERITY_LABEL) || desired.labels.includes(l));
  const labels = [...kept, ...desired.labels.filter((l) => !kept.includes(l))];
  const before = new Set(current.labels);
  if (labels.length !== before.size || labels.some((l) => !before.has(l))) changes.labels = labels;
  return changes;
}

/** A transition as GET /issue/{key}/transitions lists it. */
export interface AvailableTransition {
  id: string;
  name: string;
  to: { name: string };
}

/**
 * The transition to take for the task's status, or null: no status configured for it, the
 * issue is already there (so a change that came from Jira is not echoed back), or no
 * available transition leads there (the workflow needs steps Warden does not take).
 */
export function transitionFor(
  taskStatus: TaskStatus,
  config: Pick<JiraConfig, 'transitions'>,
  currentStatusName: string | null,
  available: readonly AvailableTransition[],
): string | null {
  const target = config.transitions[taskStatus];
  if (!target || sameName(target, currentStatusName)) return null;
  const byStatus = available.find((t) => sameName(t.to?.name, target));
  const byName = available.find((t) => sameName(t.name, target));
  return (byStatus ?? byName)?.id ?? null;
}

/** Reads GET /transitions leniently (jira.js types every field as optional). */
export function readTransitions(answer: unknown): AvailableTransition[] {
  const list = obj(answer)?.transitions;
  if (!Array.isArray(list)) return [];
  return list.flatMap((t) => {
    const o = obj(t);
    const id = str(o?.id);
    if (!o || !id) return [];
    return [{ id, name: str(o.name) ?? '', to: { name: str(obj(o.to)?.name) ?? '' } }];
  });
}

// ---- Warden → Jira: which notices become comments ----

const COMMENT_KINDS = new Set([
  'critical',
  'escalation',
  'sla_breach',
  'task.acknowledged',
  'task.resolved',
  'task.commented',
  'approval.requested',
  'approval.decided',
  'incident.alerts_added',
  'playbook.compensation_failed',
  'playbook.notify',
  'playbook.escalation',
]);

const dataString = (n: OutgoingNotification, key: string): string | null => {
  const v = n.data[key];
  return typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' ? String(v) : null;
};

/** "N more alerts" from the snapshot: those received after Warden last pushed (of the newest 20 it carries). */
export function alertsAddedText(s: IncidentSnapshot, since: Date | null): string {
  const total = s.incident.alertCount;
  const fresh = s.alerts.filter((a) => since === null || Date.parse(a.receivedAt) > since.getTime());
  if (fresh.length === 0) return `Alerts were added; the incident now has ${total} alert${total === 1 ? '' : 's'}.`;
  const more = fresh.length === s.alerts.length && total > fresh.length ? `${fresh.length}+` : String(fresh.length);
  const head = `${more} more alert${fresh.length === 1 ? '' : 's'} (${total} in total):`;
  const lines = fresh.slice(0, 10).map((a) => {
    const where = [a.sourceIp, a.user, a.host].filter((v): v is string => !!v).map((v) => oneLine(v, 80));
    return `- ${a.severity} ${oneLine(a.type, 60)}: ${oneLine(a.title, 200)}${where.length ? ` (${where.join(', ')})` : ''}`;
  });
  if (fresh.length > 10) lines.push(`- … and ${fresh.length - 10} more`);
  return [head, ...lines].join('\n');
}

/** The comment a notice adds to the issue, or null when the issue's fields already say it (or it came from Jira). */
export function commentFor(n: OutgoingNotification, s: IncidentSnapshot | null, lastSyncedAt: Date | null): string | null {
  if (!COMMENT_KINDS.has(n.kind) || n.data.origin === 'jira') return null;
  switch (n.kind) {
    case 'task.commented': {
      const body = dataString(n, 'text');
      if (!body) return null;
      return `${oneLine(dataString(n, 'author') ?? 'someone', 200)} wrote in Warden:\n\n${body}`;
    }
    case 'task.resolved': {
      const resolution = dataString(n, 'resolution');
      return `Resolved in Warden as ${oneLine(dataString(n, 'disposition') ?? 'resolved', 50)}.${resolution ? `\n\n${resolution}` : ''}`;
    }
    case 'approval.decided': {
      const reason = dataString(n, 'reason');
      const decision = oneLine(dataString(n, 'decision') ?? 'decided', 20);
      return `Approval ${oneLine(dataString(n, 'approvalId') ?? '', 64)} ${decision} by ${oneLine(dataString(n, 'decidedBy') ?? 'someone', 200)}.${reason ? `\n\n${reason}` : ''}`;
    }
    case 'incident.alerts_added':
      return s ? alertsAddedText(s, lastSyncedAt) : null;
  }
  const parts = [n.title, n.text].map((p) => p?.trim() ?? '').filter((p) => p !== '');
  const tier = dataString(n, 'tier');
  if (tier && ['critical', 'escalation', 'sla_breach'].includes(n.kind)) parts.push(`Tier: ${oneLine(tier, 50)}`);
  return parts.length ? parts.join('\n\n') : null;
}

/** The footer of every comment Warden writes: which notice it came from. Incoming comments carrying it are Warden's own. */
export const commentFooter = (noticeKey: string) => `— Warden notice ${noticeKey}`;
const FOOTER_LINE = /(^|\n)— Warden notice \S+\s*$/;

/**
 * Whether a comment (ADF, as Jira answers it) is the one Warden wrote for this notice: its last
 * paragraph is the notice's footer. Only the last node is read, so a long comment is no cost.
 */
export function isCommentFor(body: unknown, noticeKey: string): boolean {
  const content = (body as { content?: unknown } | null)?.content;
  if (!Array.isArray(content) || content.length === 0) return false;
  return adfToText({ type: 'doc', version: 1, content: [content[content.length - 1]] }).trim() === oneLine(commentFooter(noticeKey), 500);
}

// ---- Jira → Warden: the webhook ----

/** The webhook events the channel follows; any other is answered and ignored. */
export const FOLLOWED_EVENTS = ['jira:issue_updated', 'comment_created'] as const;

/** A Jira webhook body, reduced to what the decisions read. */
export interface JiraWebhookEvent {
  /** `webhookEvent`, e.g. `jira:issue_updated`. */
  type: string;
  /** When Jira made the change, ms since the epoch. */
  timestamp: number;
  issueKey: string | null;
  /** Who made the change: the event's user, or the comment's author. */
  accountId: string | null;
  statusChange: { from: string | null; to: string } | null;
  /** The issue's resolution after the change. */
  resolutionName: string | null;
  /** The comment's body: ADF, or a string from webhooks that render it. */
  commentBody: unknown;
}

const ISSUE_KEY = /^[A-Za-z][A-Za-z0-9_]{0,49}-[1-9][0-9]{0,17}$/;
const ACCOUNT_ID = /^[\x21-\x7e]{1,128}$/;

function accountOf(user: unknown, path: string, errors: FieldError[]): string | null {
  if (user === undefined || user === null) return null;
  const u = obj(user);
  if (!u) {
    errors.push({ path, message: 'must be an object' });
    return null;
  }
  if (u.accountId === undefined || u.accountId === null) return null;
  if (typeof u.accountId !== 'string' || !ACCOUNT_ID.test(u.accountId)) {
    errors.push({ path: `${path}/accountId`, message: 'must be a Jira account id (1 to 128 visible characters)' });
    return null;
  }
  return u.accountId;
}

/** The status item of a changelog. Own properties only: `toString` is also every object's method. */
function statusChangeOf(changelog: unknown, errors: FieldError[]): JiraWebhookEvent['statusChange'] {
  if (changelog === undefined || changelog === null) return null;
  const items = obj(changelog)?.items;
  if (!Array.isArray(items)) {
    errors.push({ path: '/changelog/items', message: 'must be an array' });
    return null;
  }
  for (const [index, raw] of items.slice(0, 1000).entries()) {
    const item = obj(raw);
    if (!item || (item.field !== 'status' && item.fieldId !== 'status')) continue;
    const own = (name: string): unknown => (Object.hasOwn(item, name) ? item[name] : undefined);
    const to = own('toString');
    const from = own('fromString');
    if (typeof to !== 'string' || to.trim() === '' || to.length > 255) {
      errors.push({ path: `/changelog/items/${index}/toString`, message: 'must be the new status name' });
      return null;
    }
    return { from: typeof from === 'string' ? from : null, to };
  }
  return null;
}

/** Reads a webhook body leniently: only what the decisions need is required, and each bad field is named. */
export function parseJiraWebhook(body: unknown): { event: JiraWebhookEvent; errors: [] } | { event: null; errors: FieldError[] } {
  const b = obj(body);
  if (!b) return { event: null, errors: [{ path: '/', message: 'must be a JSON object' }] };
  const errors: FieldError[] = [];
  const type = b.webhookEvent;
  if (typeof type !== 'string' || !/^[A-Za-z0-9_:.-]{1,100}$/.test(type))
    errors.push({ path: '/webhookEvent', message: 'must be the event name' });
  const rawTime = b.timestamp;
  const timestamp =
    typeof rawTime === 'number' ? rawTime : typeof rawTime === 'string' && /^\d{1,16}$/.test(rawTime) ? Number(rawTime) : NaN;
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    errors.push({ path: '/timestamp', message: 'must be milliseconds since the epoch' });
  if (errors.length) return { event: null, errors };

  const followed = (FOLLOWED_EVENTS as readonly string[]).includes(type as string);
  let issueKey: string | null = null;
  const issue = obj(b.issue);
  if (issue && typeof issue.key === 'string' && ISSUE_KEY.test(issue.key)) issueKey = issue.key;
  else if (followed)
    errors.push({ path: issue ? '/issue/key' : '/issue', message: issue ? 'must be an issue key (SOC-123)' : 'is required' });
  const resolutionName = str(obj(obj(issue?.fields)?.resolution)?.name);

  let accountId: string | null = null;
  let statusChange: JiraWebhookEvent['statusChange'] = null;
  let commentBody: unknown = undefined;
  if (type === 'comment_created') {
    const comment = obj(b.comment);
    if (!comment) errors.push({ path: '/comment', message: 'is required' });
    else {
      if (typeof comment.body !== 'string' && !obj(comment.body))
        errors.push({ path: '/comment/body', message: 'must be text or an ADF document' });
      commentBody = comment.body;
      accountId = accountOf(comment.author, '/comment/author', errors) ?? accountOf(b.user, '/user', errors);
    }
  } else if (followed) {
    accountId = accountOf(b.user, '/user', errors);
    statusChange = statusChangeOf(b.changelog, errors);
  }
  if (errors.length) return { event: null, errors };
  return {
    event: {
      type: type as string,
      timestamp,
      issueKey,
      accountId,
      statusChange,
      resolutionName: resolutionName ? oneLine(resolutionName, 255) : null,
      commentBody,
    },
    errors: [],
  };
}

/**
 * What the webhook decision reads. Warden's echo is recognised by identity, never by time: its own
 * account's changes and its own comments (the footer line) are dropped; a person's change is
 * applied whenever it arrives, also right after a Warden push to the same issue.
 */
export interface WebhookContext {
  /** Warden's own Jira account: its changes are its own echo. */
  wardenAccountId: string | null;
  doneStatuses: readonly string[];
  resolutions: Readonly<Record<string, AnalystDisposition>>;
  defaultDisposition: AnalystDisposition;
  /** Warden status → Jira status; read backwards to see which Jira statuses mean "acknowledged". */
  transitions?: Partial<Record<TaskStatus, string>>;
  linkedTaskStatus: TaskStatus;
}

export type WebhookDecision =
  | { action: 'ignore'; reason: string }
  | { action: 'resolve'; disposition: AnalystDisposition; resolution: string; accountId: string | null }
  | { action: 'comment'; text: string; author: string | null }
  | { action: 'status'; status: 'acknowledged' | 'in_progress'; accountId: string | null };

const ignore = (reason: string): WebhookDecision => ({ action: 'ignore', reason });

/** The disposition a Jira resolution name stands for (config `resolutions`), else the default. */
export function dispositionFor(
  resolutionName: string | null,
  ctx: Pick<WebhookContext, 'resolutions' | 'defaultDisposition'>,
): AnalystDisposition {
  if (resolutionName) {
    const match = Object.entries(ctx.resolutions).find(([name]) => sameName(name, resolutionName));
    if (match) return match[1];
  }
  return ctx.defaultDisposition;
}

/** What an incoming Jira event does to the task, or why it does nothing. */
export function webhookDecision(event: JiraWebhookEvent, ctx: WebhookContext): WebhookDecision {
  if (!(FOLLOWED_EVENTS as readonly string[]).includes(event.type)) return ignore(`event ${oneLine(event.type, 100)} is not followed`);
  if (ctx.wardenAccountId && event.accountId === ctx.wardenAccountId) return ignore("Warden's own change");

  if (event.type === 'comment_created') {
    const text = adfToText(event.commentBody);
    if (text === '') return ignore('empty comment');
    if (FOOTER_LINE.test(text)) return ignore("Warden's own comment");
    return { action: 'comment', text, author: event.accountId };
  }

  const change = event.statusChange;
  if (!change) return ignore('no status change');
  const to = change.to;
  const transitions = ctx.transitions ?? {};
  const wardenStatuses = (Object.entries(transitions) as [TaskStatus, string][]).filter(([, jira]) => sameName(jira, to)).map(([w]) => w);
  const done = ctx.doneStatuses.some((d) => sameName(d, to)) || wardenStatuses.some((w) => isFinishedTask(w));
  if (done) {
    if (isFinishedTask(ctx.linkedTaskStatus)) return ignore(`task already ${ctx.linkedTaskStatus}`);
    const key = event.issueKey ?? 'the issue';
    const resolution = `Resolved in Jira (${key}: ${oneLine(to, 100)}${event.resolutionName ? `, ${event.resolutionName}` : ''}).`;
    return { action: 'resolve', disposition: dispositionFor(event.resolutionName, ctx), resolution, accountId: event.accountId };
  }
  const working = wardenStatuses.find((w): w is 'acknowledged' | 'in_progress' => w === 'acknowledged' || w === 'in_progress');
  if (!working) return ignore(`Jira status ${oneLine(to, 100)} maps to no Warden status`);
  if (isFinishedTask(ctx.linkedTaskStatus)) return ignore(`task already ${ctx.linkedTaskStatus}; Warden does not reopen tasks`);
  if (!isUnacknowledgedTask(ctx.linkedTaskStatus)) return ignore(`task already ${ctx.linkedTaskStatus}`);
  return { action: 'status', status: working, accountId: event.accountId };
}

// ---- errors ----

function headerOf(headers: unknown, name: string): string | undefined {
  const h = obj(headers);
  if (!h) return undefined;
  const getter = h.get;
  const value = typeof getter === 'function' ? (getter as (n: string) => unknown).call(h, name) : (h[name] ?? h[name.toLowerCase()]);
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** Jira's own words from an error body (`errorMessages`, `errors`), short: they end up on the incident. */
function jiraMessages(data: unknown): string {
  const d = obj(data);
  if (!d) return typeof data === 'string' ? oneLine(data, 200) : '';
  const messages = Array.isArray(d.errorMessages) ? d.errorMessages.filter((m): m is string => typeof m === 'string') : [];
  const fields = obj(d.errors) ? Object.entries(d.errors as Record<string, unknown>).map(([k, v]) => `${k}: ${String(v)}`) : [];
  return oneLine([...messages, ...fields].join('; '), 300);
}

/**
 * A failed Jira call as the dispatcher should treat it. jira.js 5 throws its `HttpException`
 * (with `status`, `response.data` and the AxiosError as `cause`) when Jira answered, and the
 * bare AxiosError when it did not (refused, reset, timed out). 429, 408, 425 and 5xx are retried,
 * no sooner than Retry-After; other 4xx (400, 401, 403, 404) are final.
 */
export function classifyJiraError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = obj(err) ?? {};
  const cause = obj(e.cause);
  const response = obj(e.response);
  // HttpException keeps the AxiosError (and with it the headers) as its cause; a bare AxiosError has them itself.
  const axiosResponse = response?.headers !== undefined ? response : obj(cause?.response);
  const rawStatus = e.status ?? response?.status;
  const status = typeof rawStatus === 'number' ? rawStatus : undefined;
  if (status === undefined) {
    const code = str(e.code) ?? str(cause?.code);
    const message = oneLine(str(e.message) ?? String(err), 200);
    return new DeliveryError(`jira unreachable${code ? ` (${code})` : ''}: ${message}`, false);
  }
  const verdict = classifyStatus(status);
  const data = response?.data ?? axiosResponse?.data;
  const said = jiraMessages(data);
  const retryAfter = parseRetryAfter(headerOf(axiosResponse?.headers, 'retry-after'));
  return new DeliveryError(
    `jira answered ${status}${said ? `: ${said}` : ''}`,
    verdict === 'permanent',
    verdict === 'permanent' ? undefined : retryAfter,
  );
}
