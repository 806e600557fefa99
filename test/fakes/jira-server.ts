import { createHmac } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { jiraOperationId, validateJiraCall, type CallRequest } from '../support/openapi';
import { sendJson, startLoopbackFake, type LoggedRequest } from './loopback-fake';

export type StatusCategory = 'new' | 'indeterminate' | 'done';

export interface FakeJiraIssue {
  id: string;
  key: string;
  project: string;
  summary: string;
  issueType: string;
  priority: string | null;
  labels: string[];
  /** The assignee's accountId. */
  assignee: string | null;
  reporter: string;
  /** ADF document, as sent. */
  description: unknown;
  duedate: string | null;
  status: string;
  resolution: string | null;
  created: Date;
  updated: Date;
}

export interface FakeJiraComment {
  id: string;
  issueKey: string;
  /** ADF document. */
  body: unknown;
  author: string;
  created: Date;
}

export interface JiraFailure {
  status: number;
  retryAfter?: number;
}
/** How a call fails after its change was applied: an error answer, or no answer at all (the client times out). */
export type JiraAfterFailure = JiraFailure | 'timeout';

export interface JiraCall extends LoggedRequest {
  path: string;
  /** The spec's operationId (`createIssue`, …), null when the spec has no such operation. */
  operationId: string | null;
  request: CallRequest;
}

/** A webhook body as Jira Cloud sends it (jira:issue_created, jira:issue_updated, comment_created). */
export type JiraWebhookBody = Record<string, unknown> & { webhookEvent: string; timestamp: number };

export interface JiraFakeOptions {
  /** The Basic credentials Warden is configured with (email and API token); anything else answers 401. */
  email: string;
  apiToken: string;
  /** The accountId of the credentials (what /myself answers). */
  accountId?: string;
  /** The site's projects (keys): an issue in any other is refused (400), as a search naming one. */
  projects: string[];
  issueTypes?: string[];
  priorities?: string[];
  resolutions?: string[];
  /** The workflow's statuses, first is the initial one; every status can move to every other (global transitions). */
  statuses?: { name: string; category: StatusCategory }[];
  /** accountId → display name, for the users the fake shows. */
  users?: Record<string, string>;
}

export interface FakeJira {
  /** `http://127.0.0.1:<port>`, jira.js' `host`. */
  url: string;
  /** Issue key → issue. */
  issues: Map<string, FakeJiraIssue>;
  comments: FakeJiraComment[];
  requests: JiraCall[];
  violations: string[];
  /** Webhook bodies Jira would have sent for every change, Warden's own included, in order. */
  events: JiraWebhookBody[];
  myAccountId: string;
  /**
   * The next `n` calls of an operation (spec operationId, e.g. `createIssue`, or `*` for any) answer `status`;
   * with `only`, just the calls it accepts, so a straggler from another test cannot use up the failure.
   */
  failNext(route: string, n: number, failure: JiraFailure, only?: (call: JiraCall) => boolean): void;
  /**
   * The next `n` calls of an operation (as failNext) are carried out, their change kept, and then answered
   * `failure` instead of the real answer, or not answered at all ('timeout'): a half success.
   */
  applyThenFail(route: string, n: number, failure: JiraAfterFailure, only?: (call: JiraCall) => boolean): void;
  /** While down, every call answers 503 (still logged and validated). */
  setDown(down: boolean): void;
  /** Every call is carried out and answered this many milliseconds after it arrived (0: at once), as a slow Jira. */
  setLatency(ms: number): void;
  setHang(hang: boolean): void;
  close(): Promise<void>;
  /** Moves the issue to `statusName` as a person in Jira would; returns the webhook body Jira sends. */
  transitionAsUser(key: string, statusName: string, accountId: string, resolution?: string): JiraWebhookBody;
  /** Adds a comment as a person in Jira would; returns the webhook body Jira sends. */
  commentAsUser(key: string, text: string, accountId: string): JiraWebhookBody;
}

const DEFAULT_STATUSES: { name: string; category: StatusCategory }[] = [
  { name: 'To Do', category: 'new' },
  { name: 'In Progress', category: 'indeterminate' },
  { name: 'Done', category: 'done' },
];
const CATEGORIES: Record<StatusCategory, { id: number; key: string; colorName: string; name: string }> = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
};
const SETTABLE = new Set(['summary', 'labels', 'priority', 'assignee', 'description', 'duedate']);
const SEARCHABLE = new Set(['labels', 'project', 'key', 'issuekey', 'status', 'assignee']);

/** Jira Cloud's timestamp format: milliseconds and an offset without a colon. */
export function jiraDate(d: Date): string {
  return d.toISOString().replace('Z', '+0000');
}

/** Why a value is not an ADF document Jira would take, or null. Jira refuses empty text nodes. */
export function adfProblem(doc: unknown): string | null {
  const d = doc as { type?: unknown; version?: unknown; content?: unknown } | null;
  if (!d || typeof d !== 'object' || d.type !== 'doc' || d.version !== 1 || !Array.isArray(d.content))
    return 'must be an Atlassian Document ({type:"doc", version:1, content:[…]})';
  const walk = (node: unknown, at: string): string | null => {
    const n = node as { type?: unknown; text?: unknown; content?: unknown; marks?: unknown } | null;
    if (!n || typeof n !== 'object' || typeof n.type !== 'string') return `${at}: a node needs a type`;
    if (n.type === 'text' && (typeof n.text !== 'string' || n.text === '')) return `${at}: a text node needs non-empty text`;
    if (n.marks !== undefined && !Array.isArray(n.marks)) return `${at}: marks must be an array`;
    if (n.content !== undefined) {
      if (!Array.isArray(n.content)) return `${at}: content must be an array`;
      for (const [i, child] of n.content.entries()) {
        const problem = walk(child, `${at}/content/${i}`);
        if (problem) return problem;
      }
    }
    return null;
  };
  for (const [i, child] of d.content.entries()) {
    const problem = walk(child, `/content/${i}`);
    if (problem) return problem;
  }
  return null;
}

/** The plain text of an ADF document (webhooks carry comment bodies as text). */
export function adfText(doc: unknown): string {
  const blocks: string[] = [];
  const inline = (node: unknown): string => {
    const n = node as { type?: string; text?: string; content?: unknown[] } | null;
    if (!n) return '';
    if (n.type === 'text') return n.text ?? '';
    if (n.type === 'hardBreak') return '\n';
    return (n.content ?? []).map(inline).join('');
  };
  for (const node of (doc as { content?: unknown[] } | null)?.content ?? []) blocks.push(inline(node));
  return blocks.join('\n');
}

function describe(logged: LoggedRequest): JiraCall {
  const url = new URL(logged.url, 'http://fake');
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(key);
    query[key] = all.length === 1 ? all[0] : all;
  }
  const request: CallRequest = { query, headers: logged.headers };
  if (logged.body !== '') {
    try {
      request.json = JSON.parse(logged.body);
    } catch {
      request.json = logged.body;
    }
  }
  return { ...logged, path: url.pathname, operationId: jiraOperationId(logged.method, url.pathname), request };
}

// ---------------------------------------------------------------- JQL

type Clause = { field: string; op: '=' | '!=' | 'in' | 'not in'; values: string[] };

/** The JQL subset Warden needs: `field = v`, `!=`, `in (…)`, `not in (…)` joined by AND, optional ORDER BY. */
export function parseJql(jql: string): { clauses: Clause[]; orderBy: { field: string; desc: boolean } | null } {
  const tokens: { kind: 'word' | 'string' | 'punct'; text: string }[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(!=|=|\(|\)|,)|([^\s=!(),"']+))\s*/y;
  while (re.lastIndex < jql.length) {
    const at = re.lastIndex;
    const m = re.exec(jql);
    if (!m) throw new Error(`cannot read JQL at ${JSON.stringify(jql.slice(at))}`);
    if (m[1] !== undefined || m[2] !== undefined) tokens.push({ kind: 'string', text: (m[1] ?? m[2]).replace(/\\(.)/g, '$1') });
    else if (m[3] !== undefined) tokens.push({ kind: 'punct', text: m[3] });
    else if (m[4] !== undefined) tokens.push({ kind: 'word', text: m[4] });
  }
  let i = 0;
  const word = (w: string) => tokens[i]?.kind === 'word' && tokens[i].text.toLowerCase() === w;
  const value = (): string => {
    const t = tokens[i++];
    if (!t || t.kind === 'punct') throw new Error('a value was expected');
    return t.text;
  };
  const clauses: Clause[] = [];
  let orderBy: { field: string; desc: boolean } | null = null;
  while (i < tokens.length) {
    if (word('order')) {
      i++;
      if (!word('by')) throw new Error('ORDER BY expected');
      i++;
      const field = value().toLowerCase();
      const desc = word('desc');
      if (word('desc') || word('asc')) i++;
      if (i < tokens.length) throw new Error('only one ORDER BY field is supported');
      orderBy = { field, desc };
      break;
    }
    const field = value().toLowerCase();
    let op: Clause['op'];
    if (tokens[i]?.text === '=' || tokens[i]?.text === '!=') op = tokens[i++].text as '=' | '!=';
    else if (word('in')) {
      i++;
      op = 'in';
    } else if (word('not') && tokens[i + 1]?.text.toLowerCase() === 'in') {
      i += 2;
      op = 'not in';
    } else throw new Error(`unsupported operator after ${field}`);
    const values: string[] = [];
    if (op === 'in' || op === 'not in') {
      if (tokens[i++]?.text !== '(') throw new Error('( expected');
      for (;;) {
        values.push(value());
        const t = tokens[i++]?.text;
        if (t === ')') break;
        if (t !== ',') throw new Error(', or ) expected');
      }
    } else values.push(value());
    clauses.push({ field, op, values });
    if (i < tokens.length && !word('order')) {
      if (!word('and')) throw new Error(`only AND is supported, got ${tokens[i].text}`);
      i++;
    }
  }
  return { clauses, orderBy };
}

// ---------------------------------------------------------------- the fake

/**
 * Jira Cloud's REST API v3 on loopback, stateful enough for Warden's Jira channel: /myself,
 * enhanced JQL search, create / get / edit issue, a small workflow (To Do, In Progress, Done,
 * transitions named by their target status), comments. Basic auth with the configured credentials,
 * the configured projects. Every request and answer is checked against the Jira spec
 * (test/support/openapi.ts); findings go to `violations`.
 */
export async function startJiraFake(options: JiraFakeOptions): Promise<FakeJira> {
  const myAccountId = options.accountId ?? '5f0c3a7b2e1d4c0029a1b2c3';
  const statuses = (options.statuses ?? DEFAULT_STATUSES).map((s, i) => ({ ...s, id: String(10000 + i) }));
  const issueTypes = options.issueTypes ?? ['Task', 'Bug', 'Incident', 'Story'];
  const priorities = options.priorities ?? ['Highest', 'High', 'Medium', 'Low', 'Lowest'];
  const resolutions = options.resolutions ?? ['Done', "Won't Do", 'Duplicate', 'Cannot Reproduce', 'Declined'];
  const users: Record<string, string> = { [myAccountId]: 'Warden', ...options.users };
  const issues = new Map<string, FakeJiraIssue>();
  const comments: FakeJiraComment[] = [];
  const violations: string[] = [];
  const events: JiraWebhookBody[] = [];
  const failures = new Map<string, { failure: JiraFailure; only?: (call: JiraCall) => boolean }[]>();
  const afterFailures = new Map<string, { failure: JiraAfterFailure; only?: (call: JiraCall) => boolean }[]>();
  /** Calls being carried out whose answer is replaced (applyThenFail). */
  const replaced = new Map<JiraCall, JiraAfterFailure>();
  const counters = new Map<string, number>();
  let down = false;
  let issueSeq = 10000;
  let commentSeq = 10000;
  let changelogSeq = 10000;
  let origin = '';

  const transitionId = (statusName: string) => String((statuses.findIndex((s) => s.name === statusName) + 1) * 10 + 1);
  const api = (path: string) => `${origin}/rest/api/3${path}`;
  const user = (accountId: string) => ({
    self: api(`/user?accountId=${encodeURIComponent(accountId)}`),
    accountId,
    displayName: users[accountId] ?? accountId,
    active: true,
    timeZone: 'UTC',
    accountType: 'atlassian',
  });
  const statusDetails = (name: string) => {
    const s = statuses.find((x) => x.name === name) ?? statuses[0];
    const c = CATEGORIES[s.category];
    return {
      self: api(`/status/${s.id}`),
      description: '',
      iconUrl: `${origin}/images/icons/statuses/generic.png`,
      name: s.name,
      id: s.id,
      statusCategory: { self: api(`/statuscategory/${c.id}`), id: c.id, key: c.key, colorName: c.colorName, name: c.name },
    };
  };
  const named = (kind: string, list: string[], name: string) => ({
    self: api(`/${kind}/${list.indexOf(name) + 1}`),
    id: String(list.indexOf(name) + 1),
    name,
  });
  const commentJson = (c: FakeJiraComment, bodyAsText = false) => ({
    self: api(`/issue/${issues.get(c.issueKey)?.id}/comment/${c.id}`),
    id: c.id,
    author: user(c.author),
    body: bodyAsText ? adfText(c.body) : c.body,
    updateAuthor: user(c.author),
    created: jiraDate(c.created),
    updated: jiraDate(c.created),
    jsdPublic: true,
  });
  const allFields = (issue: FakeJiraIssue): Record<string, unknown> => {
    const own = comments.filter((c) => c.issueKey === issue.key);
    return {
      summary: issue.summary,
      project: {
        self: api(`/project/${issue.project}`),
        id: String(10000 + issue.project.length),
        key: issue.project,
        name: issue.project,
      },
      issuetype: { ...named('issuetype', issueTypes, issue.issueType), subtask: false, hierarchyLevel: 0 },
      priority: issue.priority ? named('priority', priorities, issue.priority) : null,
      labels: issue.labels,
      assignee: issue.assignee ? user(issue.assignee) : null,
      reporter: user(issue.reporter),
      description: issue.description ?? null,
      duedate: issue.duedate,
      status: statusDetails(issue.status),
      resolution: issue.resolution ? { ...named('resolution', resolutions, issue.resolution), description: '' } : null,
      resolutiondate: issue.resolution ? jiraDate(issue.updated) : null,
      created: jiraDate(issue.created),
      updated: jiraDate(issue.updated),
      comment: {
        comments: own.map((c) => commentJson(c)),
        self: api(`/issue/${issue.id}/comment`),
        maxResults: own.length,
        total: own.length,
        startAt: 0,
      },
    };
  };
  const issueJson = (issue: FakeJiraIssue, fields: string[] | null) => {
    const all = allFields(issue);
    const wanted = fields === null || fields.some((f) => f === '*all' || f === '*navigable') ? Object.keys(all) : fields;
    const selected = Object.fromEntries(wanted.filter((f) => f in all).map((f) => [f, all[f]]));
    return {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id: issue.id,
      self: api(`/issue/${issue.id}`),
      key: issue.key,
      fields: selected,
    };
  };
  /** The fields a webhook's issue carries. */
  const webhookIssue = (issue: FakeJiraIssue) => ({
    id: issue.id,
    self: api(`/issue/${issue.id}`),
    key: issue.key,
    fields: allFields(issue),
  });
  const emit = (body: Omit<JiraWebhookBody, 'timestamp'>): JiraWebhookBody => {
    const event = { timestamp: Date.now(), ...body } as JiraWebhookBody;
    events.push(event);
    return event;
  };
  const findIssue = (idOrKey: string) => issues.get(idOrKey) ?? [...issues.values()].find((i) => i.id === idOrKey);

  const moveStatus = (issue: FakeJiraIssue, to: string, actor: string, resolution?: string): JiraWebhookBody => {
    const from = statusDetails(issue.status);
    const target = statuses.find((s) => s.name === to)!;
    const items: Record<string, unknown>[] = [
      { field: 'status', fieldtype: 'jira', fieldId: 'status', from: from.id, fromString: from.name, to: target.id, toString: target.name },
    ];
    const newResolution = target.category === 'done' ? (resolution ?? issue.resolution ?? 'Done') : null;
    if (newResolution !== issue.resolution)
      items.push({
        field: 'resolution',
        fieldtype: 'jira',
        fieldId: 'resolution',
        from: null,
        fromString: issue.resolution,
        to: null,
        toString: newResolution,
      });
    issue.status = target.name;
    issue.resolution = newResolution;
    issue.updated = new Date();
    return emit({
      webhookEvent: 'jira:issue_updated',
      issue_event_type_name: 'issue_generic',
      user: user(actor),
      issue: webhookIssue(issue),
      changelog: { id: String(++changelogSeq), items },
    });
  };
  const addComment = (issue: FakeJiraIssue, body: unknown, author: string): { comment: FakeJiraComment; event: JiraWebhookBody } => {
    const comment: FakeJiraComment = { id: String(++commentSeq), issueKey: issue.key, body, author, created: new Date() };
    comments.push(comment);
    issue.updated = comment.created;
    const event = emit({ webhookEvent: 'comment_created', comment: commentJson(comment, true), issue: webhookIssue(issue) });
    return { comment, event };
  };

  const send = (call: JiraCall, res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    violations.push(...validateJiraCall(call.method, call.path, call.request, { status, body }));
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    sendJson(res, status, body, 'application/json;charset=UTF-8');
  };
  /** Jira's error body for an injected failure (429: rate limited, 5xx: an internal error). */
  const fail = (call: JiraCall, res: ServerResponse, failure: JiraFailure) =>
    send(
      call,
      res,
      failure.status,
      { errorMessages: [failure.status === 429 ? 'Rate limit exceeded.' : 'Internal server error'], errors: {} },
      failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {},
    );
  /** The handler's answer; for a call chosen by applyThenFail, the failure (or silence) instead, whatever was done. */
  const answer = (call: JiraCall, res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    const after = replaced.get(call);
    if (after === undefined) return send(call, res, status, body, headers);
    replaced.delete(call);
    // What the fake would have answered is still checked against the spec.
    violations.push(...validateJiraCall(call.method, call.path, call.request, { status, body }));
    if (after === 'timeout') return fake.hold(res);
    fail(call, res, after);
  };
  const bad = (call: JiraCall, res: ServerResponse, errors: Record<string, string>, errorMessages: string[] = []) =>
    answer(call, res, 400, { errorMessages, errors });

  /** Applies create/edit `fields` to an issue; returns Jira's per-field errors. */
  const applyFields = (target: FakeJiraIssue, fields: Record<string, unknown>): Record<string, string> => {
    const errors: Record<string, string> = {};
    for (const [name, value] of Object.entries(fields)) {
      if (!SETTABLE.has(name)) {
        errors[name] = `Field '${name}' cannot be set. It is not on the appropriate screen, or unknown.`;
        continue;
      }
      if (name === 'summary') {
        if (typeof value !== 'string' || value.trim() === '') errors.summary = 'You must specify a summary of the issue.';
        else if (value.length > 255) errors.summary = 'Summary must be less than 255 characters.';
        else if (/[\r\n]/.test(value)) errors.summary = 'The summary is invalid because it contains newline characters.';
        else target.summary = value;
      } else if (name === 'labels') {
        if (!Array.isArray(value) || value.some((l) => typeof l !== 'string')) errors.labels = 'Labels must be an array of strings.';
        else {
          const invalid = value.find((l: string) => /\s/.test(l) || l === '' || l.length > 255);
          if (invalid !== undefined) errors.labels = `The label '${invalid}' contains spaces which is invalid.`;
          else target.labels = [...new Set(value as string[])];
        }
      } else if (name === 'priority') {
        const p = (value as { name?: unknown } | null)?.name;
        if (typeof p !== 'string' || !priorities.includes(p)) errors.priority = `Specify the Priority (id or name) in the string format`;
        else target.priority = p;
      } else if (name === 'assignee') {
        if (value === null) target.assignee = null;
        else {
          const accountId = (value as { accountId?: unknown }).accountId;
          if (typeof accountId !== 'string' || accountId === '') errors.assignee = 'Specify a valid value for assignee';
          else target.assignee = accountId;
        }
      } else if (name === 'description') {
        const problem = value === null ? null : adfProblem(value);
        if (problem) errors.description = `Operation value must be an Atlassian Document (see the Atlassian Document Format): ${problem}`;
        else target.description = value;
      } else if (name === 'duedate') {
        if (value !== null && (typeof value !== 'string' || !/^\d{4}-\d\d-\d\d$/.test(value)))
          errors.duedate = 'Error parsing date string: ' + String(value);
        else target.duedate = value;
      }
    }
    return errors;
  };

  const search = (call: JiraCall, res: ServerResponse, jql: unknown, fields: string[] | null, maxResults: number, token: unknown) => {
    if (typeof jql !== 'string' || jql.trim() === '')
      return bad(call, res, {}, ['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.']);
    let parsed: ReturnType<typeof parseJql>;
    try {
      parsed = parseJql(jql);
    } catch (err) {
      violations.push(
        `${call.method} ${call.path}: the Jira fake does not understand the JQL ${JSON.stringify(jql)}: ${(err as Error).message}`,
      );
      return bad(call, res, {}, [`Error in the JQL Query: ${(err as Error).message}`]);
    }
    const valueOf = (issue: FakeJiraIssue, field: string): string[] => {
      switch (field) {
        case 'labels':
          return issue.labels;
        case 'project':
          return [issue.project];
        case 'key':
        case 'issuekey':
          return [issue.key, issue.id];
        case 'status':
          return [issue.status];
        case 'assignee':
          return issue.assignee ? [issue.assignee] : [];
        default:
          return [];
      }
    };
    const unsupported = parsed.clauses.find((c) => !SEARCHABLE.has(c.field));
    if (unsupported) {
      violations.push(`${call.method} ${call.path}: the Jira fake does not search by ${unsupported.field}`);
      return bad(call, res, {}, [`Field '${unsupported.field}' is not supported by the fake.`]);
    }
    const unknownProject = parsed.clauses
      .filter((c) => c.field === 'project')
      .flatMap((c) => c.values)
      .find((v) => !options.projects.some((p) => p.toLowerCase() === v.toLowerCase()));
    if (unknownProject !== undefined) return bad(call, res, {}, [`The value '${unknownProject}' does not exist for the field 'project'.`]);
    let matching = [...issues.values()].filter((issue) =>
      parsed.clauses.every((c) => {
        const have = valueOf(issue, c.field).map((v) => v.toLowerCase());
        const hit = c.values.some((v) => have.includes(v.toLowerCase()));
        return c.op === '=' || c.op === 'in' ? hit : !hit;
      }),
    );
    if (parsed.orderBy) {
      const dir = parsed.orderBy.desc ? -1 : 1;
      matching = matching.sort((a, b) => dir * (Number(a.id) - Number(b.id)));
    }
    const start = typeof token === 'string' ? Number(Buffer.from(token, 'base64url').toString()) || 0 : 0;
    const page = matching.slice(start, start + maxResults);
    const isLast = start + page.length >= matching.length;
    const body: Record<string, unknown> = {
      // Enhanced search returns only ids unless asked for fields.
      issues: page.map((issue) => (fields === null ? { id: issue.id } : issueJson(issue, fields))),
      isLast,
    };
    if (!isLast) body.nextPageToken = Buffer.from(String(start + page.length)).toString('base64url');
    answer(call, res, 200, body);
  };

  const listParam = (value: unknown): string[] | null => {
    if (value === undefined) return null;
    const list = Array.isArray(value) ? value : [value];
    return list.flatMap((v) => String(v).split(',')).filter((v) => v !== '');
  };

  const handlers: Record<string, (call: JiraCall, res: ServerResponse, key: string | undefined) => void> = {
    getCurrentUser: (call, res) =>
      answer(call, res, 200, { ...user(myAccountId), emailAddress: options.email ?? 'warden@example.test', locale: 'en_US' }),

    searchAndReconsileIssuesUsingJql: (call, res) => {
      const q = call.request.query ?? {};
      search(call, res, q.jql, listParam(q.fields), Number(q.maxResults ?? 50), q.nextPageToken);
    },

    searchAndReconsileIssuesUsingJqlPost: (call, res) => {
      const b = (call.request.json ?? {}) as { jql?: unknown; fields?: unknown; maxResults?: unknown; nextPageToken?: unknown };
      search(call, res, b.jql, listParam(b.fields), typeof b.maxResults === 'number' ? b.maxResults : 50, b.nextPageToken);
    },

    createIssue: (call, res) => {
      const fields = (call.request.json as { fields?: Record<string, unknown> } | undefined)?.fields;
      if (!fields || typeof fields !== 'object') return bad(call, res, {}, ['No fields were given.']);
      const { project, issuetype, ...rest } = fields;
      const errors: Record<string, string> = {};
      const projectKey = (project as { key?: unknown } | undefined)?.key;
      if (typeof projectKey !== 'string' || !options.projects.includes(projectKey)) errors.project = 'valid project is required';
      const typeName = (issuetype as { name?: unknown } | undefined)?.name;
      if (typeof typeName !== 'string' || !issueTypes.includes(typeName)) errors.issuetype = 'valid issue type is required';
      if (rest.summary === undefined) errors.summary = 'You must specify a summary of the issue.';
      const now = new Date();
      const draft: FakeJiraIssue = {
        id: '',
        key: '',
        project: String(projectKey),
        summary: '',
        issueType: String(typeName),
        priority: 'Medium',
        labels: [],
        assignee: null,
        reporter: myAccountId,
        description: null,
        duedate: null,
        status: statuses[0].name,
        resolution: null,
        created: now,
        updated: now,
      };
      Object.assign(errors, applyFields(draft, rest));
      if (Object.keys(errors).length > 0) return bad(call, res, errors);
      const n = (counters.get(draft.project) ?? 0) + 1;
      counters.set(draft.project, n);
      draft.id = String(++issueSeq);
      draft.key = `${draft.project}-${n}`;
      issues.set(draft.key, draft);
      emit({
        webhookEvent: 'jira:issue_created',
        issue_event_type_name: 'issue_created',
        user: user(myAccountId),
        issue: webhookIssue(draft),
      });
      answer(call, res, 201, { id: draft.id, key: draft.key, self: api(`/issue/${draft.id}`) });
    },

    getIssue: (call, res, key) => {
      const issue = findIssue(key!);
      if (!issue)
        return answer(call, res, 404, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
      answer(call, res, 200, issueJson(issue, listParam(call.request.query?.fields)));
    },

    editIssue: (call, res, key) => {
      const issue = findIssue(key!);
      if (!issue)
        return answer(call, res, 404, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
      const body = (call.request.json ?? {}) as {
        fields?: Record<string, unknown>;
        update?: Record<string, { add?: unknown; remove?: unknown; set?: unknown }[]>;
      };
      const copy: FakeJiraIssue = { ...issue, labels: [...issue.labels] };
      const errors = applyFields(copy, body.fields ?? {});
      for (const [field, ops] of Object.entries(body.update ?? {})) {
        if (field !== 'labels' && field !== 'summary') {
          errors[field] = `Field '${field}' cannot be set. It is not on the appropriate screen, or unknown.`;
          continue;
        }
        for (const op of ops) {
          if (op.set !== undefined) Object.assign(errors, applyFields(copy, { [field]: op.set }));
          if (field === 'labels' && typeof op.add === 'string')
            Object.assign(errors, applyFields(copy, { labels: [...copy.labels, op.add] }));
          if (field === 'labels' && typeof op.remove === 'string') copy.labels = copy.labels.filter((l) => l !== op.remove);
        }
      }
      if (Object.keys(errors).length > 0) return bad(call, res, errors);
      const items = (['summary', 'labels', 'priority', 'assignee', 'duedate'] as const)
        .filter((f) => JSON.stringify(copy[f]) !== JSON.stringify(issue[f]))
        .map((f) => ({ field: f, fieldtype: 'jira', fromString: String(issue[f] ?? ''), toString: String(copy[f] ?? '') }));
      Object.assign(issue, copy, { updated: new Date() });
      if (items.length > 0)
        emit({
          webhookEvent: 'jira:issue_updated',
          issue_event_type_name: 'issue_updated',
          user: user(myAccountId),
          issue: webhookIssue(issue),
          changelog: { id: String(++changelogSeq), items },
        });
      answer(call, res, 204);
    },

    getTransitions: (call, res, key) => {
      const issue = findIssue(key!);
      if (!issue)
        return answer(call, res, 404, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
      const transitions = statuses
        .filter((s) => s.name !== issue.status)
        .map((s) => ({
          id: transitionId(s.name),
          name: s.name,
          to: statusDetails(s.name),
          hasScreen: false,
          isGlobal: true,
          isInitial: false,
          isAvailable: true,
          isConditional: false,
          isLooped: false,
        }));
      answer(call, res, 200, { expand: 'transitions', transitions });
    },

    doTransition: (call, res, key) => {
      const issue = findIssue(key!);
      if (!issue)
        return answer(call, res, 404, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
      const body = (call.request.json ?? {}) as {
        transition?: { id?: unknown };
        fields?: { resolution?: { name?: unknown } };
        update?: { comment?: { add?: { body?: unknown } }[] };
      };
      const target = statuses.find((s) => transitionId(s.name) === body.transition?.id && s.name !== issue.status);
      if (!target) return bad(call, res, {}, [`Transition id '${String(body.transition?.id)}' is not valid for this issue.`]);
      const resolution = body.fields?.resolution?.name;
      if (resolution !== undefined && (typeof resolution !== 'string' || !resolutions.includes(resolution) || target.category !== 'done'))
        return bad(call, res, { resolution: `Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown.` });
      for (const c of body.update?.comment ?? []) {
        const problem = adfProblem(c.add?.body);
        if (problem) return bad(call, res, { comment: `Comment body is not valid: ${problem}` });
      }
      moveStatus(issue, target.name, myAccountId, resolution as string | undefined);
      for (const c of body.update?.comment ?? []) addComment(issue, c.add?.body, myAccountId);
      answer(call, res, 204);
    },

    addComment: (call, res, key) => {
      const issue = findIssue(key!);
      if (!issue)
        return answer(call, res, 404, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
      const body = (call.request.json as { body?: unknown } | undefined)?.body;
      const problem = adfProblem(body);
      if (problem) return bad(call, res, { comment: `Comment body is not valid: ${problem}` });
      const { comment } = addComment(issue, body, myAccountId);
      answer(call, res, 201, commentJson(comment));
    },

    getComments: (call, res, key) => {
      const issue = findIssue(key!);
      if (!issue)
        return answer(call, res, 404, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
      // Oldest first unless orderBy says otherwise (created, +created, -created), a page at a time.
      const q = call.request.query ?? {};
      const own = comments.filter((c) => c.issueKey === issue.key);
      if (q.orderBy === '-created') own.reverse();
      const startAt = Math.max(0, Number(q.startAt ?? 0) || 0);
      const maxResults = Math.min(Math.max(1, Number(q.maxResults ?? 50) || 50), 5000);
      answer(call, res, 200, {
        startAt,
        maxResults,
        total: own.length,
        comments: own.slice(startAt, startAt + maxResults).map((c) => commentJson(c)),
      });
    },
  };

  const takeFailure = (call: JiraCall): JiraFailure | undefined => {
    for (const name of [call.operationId ?? '', '*']) {
      const queue = failures.get(name) ?? [];
      const index = queue.findIndex((f) => !f.only || f.only(call));
      if (index < 0) continue;
      const [{ failure }] = queue.splice(index, 1);
      if (queue.length === 0) failures.delete(name);
      return failure;
    }
    return undefined;
  };

  const takeAfterFailure = (call: JiraCall): JiraAfterFailure | undefined => {
    for (const name of [call.operationId ?? '', '*']) {
      const queue = afterFailures.get(name) ?? [];
      const index = queue.findIndex((f) => !f.only || f.only(call));
      if (index < 0) continue;
      const [{ failure }] = queue.splice(index, 1);
      if (queue.length === 0) afterFailures.delete(name);
      return failure;
    }
    return undefined;
  };

  const authorized = (header: unknown): boolean => {
    const m = /^Basic (\S+)$/.exec(String(header ?? ''));
    return m !== null && Buffer.from(m[1], 'base64').toString() === `${options.email}:${options.apiToken}`;
  };

  let latencyMs = 0;
  const fake = await startLoopbackFake<JiraCall>(
    (call, res) => {
      if (latencyMs > 0) return void setTimeout(() => handle(call, res), latencyMs);
      handle(call, res);
    },
    { describe },
  );
  function handle(call: JiraCall, res: ServerResponse): void {
    if (call.operationId === null) {
      violations.push(`${call.method} ${call.path}: no such operation in the Jira spec`);
      return sendJson(res, 404, { errorMessages: ['Not found'], errors: {} });
    }
    if (down) return answer(call, res, 503, { errorMessages: ['Service unavailable'], errors: {} });
    const failure = takeFailure(call);
    if (failure) return fail(call, res, failure);
    if (!authorized(call.headers.authorization))
      return answer(call, res, 401, { errorMessages: ['Client must be authenticated to access this resource.'], errors: {} });
    if (call.request.json !== undefined && typeof call.request.json === 'string')
      return bad(call, res, {}, ['Unexpected character in the request body: not JSON']);
    const handler = handlers[call.operationId];
    if (!handler) {
      violations.push(`${call.method} ${call.path}: the Jira fake does not implement ${call.operationId}`);
      return sendJson(res, 501, { errorMessages: [`Not implemented by the fake: ${call.operationId}`], errors: {} });
    }
    const key = /^\/rest\/api\/3\/issue\/([^/]+)/.exec(call.path)?.[1];
    const after = takeAfterFailure(call);
    if (after !== undefined) replaced.set(call, after);
    handler(call, res, key === undefined ? undefined : decodeURIComponent(key));
  }
  origin = fake.origin;

  return {
    url: fake.origin,
    issues,
    comments,
    requests: fake.requests,
    violations,
    events,
    myAccountId,
    failNext: (route, n, failure, only) => {
      const queue = failures.get(route) ?? [];
      for (let i = 0; i < n; i++) queue.push({ failure, only });
      failures.set(route, queue);
    },
    applyThenFail: (route, n, failure, only) => {
      const queue = afterFailures.get(route) ?? [];
      for (let i = 0; i < n; i++) queue.push({ failure, only });
      afterFailures.set(route, queue);
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    setDown: (value) => {
      down = value;
    },
    setHang: (value) => fake.setMode(value ? 'hang' : 'ok'),
    close: fake.close,
    transitionAsUser: (key, statusName, accountId, resolution) => {
      const issue = findIssue(key);
      if (!issue) throw new Error(`no issue ${key}`);
      if (!statuses.some((s) => s.name === statusName)) throw new Error(`no status ${statusName} in the fake's workflow`);
      if (issue.status === statusName) throw new Error(`${key} is already ${statusName}; Jira offers no transition to the same status`);
      return moveStatus(issue, statusName, accountId, resolution);
    },
    commentAsUser: (key, text, accountId) => {
      const issue = findIssue(key);
      if (!issue) throw new Error(`no issue ${key}`);
      const body = { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] };
      return addComment(issue, body, accountId).event;
    },
  };
}

/** The header Jira Cloud signs a webhook with when it has a secret: HMAC-SHA256 of the raw body. */
export function signJiraWebhook(body: string, secret: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-hub-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
  };
}
