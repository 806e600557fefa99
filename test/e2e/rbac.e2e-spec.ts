import { randomUUID } from 'node:crypto';
import { createApiKey } from '../../src/auth/api-keys.service';
import { sessionClient, signInWithKey } from '../support/sign-in';
import { signJiraWebhook } from '../fakes/jira-server';
import { blockActionsPayload, signSlackRequest, slashCommandBody } from '../fakes/slack-server';
import { client, pollUntil } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { alert, FirstAssignment, startStack, Stack } from '../support/stack';

// Who may call what (DESIGN.md, HTTP contract). The rows are the routes the running api's
// router registered (Fastify's onRoute hook, test/support/harness.ts): a route without a row, or
// a row without a route, fails the suite by name. Each row is called by every principal that
// means something to it; a refused call re-reads what it aimed at and finds it unchanged.

/**
 * API keys. `robot`: an analyst-scope key that names no analyst. `analyst`: ana.one (role
 * analyst) where nobody owns the target; `analyst:own` and `analyst:other`: ana.one on her own
 * task (or herself) and on ana.two's task (or ana.two); `analyst:waiting`: ana.one on a task
 * waiting unassigned for the senior_analyst role. `senior`: sen.one (senior_analyst) on ana.one's
 * task, or on what nobody owns; `senior:waiting`: sen.one on a task waiting for her role.
 * `teamlead`: lead.one (role team_lead) with an analyst-scope key. `lead`, `admin`: keys of
 * those scopes that name no analyst.
 */
type KeyCaller =
  | 'none'
  | 'revoked'
  | 'ingest'
  | 'robot'
  | 'analyst'
  | 'analyst:own'
  | 'analyst:other'
  | 'analyst:waiting'
  | 'senior'
  | 'senior:waiting'
  | 'teamlead'
  | 'lead'
  | 'admin';
/**
 * Proofs other than API keys, sent with no key. `metrics`: the METRICS_TOKEN. `forged`: signed
 * with the wrong secret; `stale`: Slack's signature of a request ten minutes old; `signed`: Jira's
 * HMAC header; `signed:query`: Jira's `?secret=`. `slack:*`: correctly signed, from the Slack
 * user of ana.one on her task (`own`) or ana.two's (`other`), of sen.one (`senior`) or ana.one
 * (`analyst`) on an approval for the senior_analyst role, of lead.one (`lead`: a team lead acts
 * from Slack with the lead scope) on ana.one's task or the approval, or of a user mapped to nobody.
 * `session`: ana.one signed in to the workspace (key sign-in), sending her session cookie and its
 * CSRF token and no key: every row answers her as it answers `analyst:own`, except that a route
 * needing a scope she lacks says so about the cookie.
 */
type ProofCaller =
  | 'metrics'
  | 'forged'
  | 'stale'
  | 'signed'
  | 'signed:query'
  | 'slack:own'
  | 'slack:other'
  | 'slack:senior'
  | 'slack:analyst'
  | 'slack:lead'
  | 'slack:unmapped'
  | 'session';
type Caller = KeyCaller | ProofCaller;

interface Outcome {
  status: number;
  /** Refused: whatever the request aimed at reads the same afterwards. */
  refused: boolean;
  /** The problem's error path, when the refusal is an HTTP error. */
  path?: string;
  /** What the answer says (Slack's text, Jira's status), where the status alone does not tell. */
  says?: RegExp;
  /** What the target reads afterwards, where the answer does not tell (Slack's buttons answer nothing). */
  then?: unknown;
}

/** A number: 2xx applied, 4xx refused naming the Authorization header. */
type Cell = number | Outcome;

const refusedAt = (status: number, path: string): Outcome => ({ status, refused: true, path });
/** Slack answers 200 to every signed request, and says in its text (or through response_url) what happened. */
const slackRefusal = (says: RegExp): Outcome => ({ status: 200, refused: true, says });
const outcomeOf = (cell: Cell): Outcome =>
  typeof cell === 'number' ? { status: cell, refused: cell >= 400, ...(cell >= 400 && { path: 'header:authorization' }) } : cell;
const label = (o: Outcome) => `${o.status}${o.refused ? ', refused' : ''}${o.then !== undefined ? `, then ${String(o.then)}` : ''}`;

type Pool = 'mine' | 'waiting' | 'approval';

interface Call {
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Reads what the request aimed at: compared before and after a refused call. */
  state?: () => Promise<unknown>;
  /** Reads the one value `then` names. */
  effect?: () => Promise<unknown>;
}

interface Route {
  method: string;
  /** As the router registered it, with `:params`. */
  path: string;
  /** Why the route takes no API key; absent: it needs one. */
  public?: string;
  /** The pool a caller that may change the target draws an untouched target from. */
  draws?: (caller: Caller) => Pool | undefined;
  request(caller: Caller, outcome: Outcome): Promise<Call>;
  expected: Partial<Record<Caller, Cell>>;
}

const SLACK_SECRET = 'rbac-slack-signing-secret';
const JIRA_SECRET = 'rbac-jira-webhook-secret-0123456789';
const METRICS_TOKEN = 'rbac-metrics-token-0123456789';
const SLACK_USERS = { 'ana.one': 'U0ANAONE01', 'ana.two': 'U0ANATWO01', 'sen.one': 'U0SENONE01', 'lead.one': 'U0LEADONE1' } as const;
const UNMAPPED_SLACK_USER = 'U0NOBODY01';
const JIRA_ISSUE = 'RBAC-1';
/** A session refused by the guard for a scope it lacks. */
const SESSION_LACKS_SCOPE = refusedAt(403, 'cookie:warden_session');

// Port scans go to ana.one and DNS tunnelling to ana.two (expertise). Tasks of the rbac-waiting
// rule wait for a senior, and the only one, sen.one, is away, so they stay unassigned in that
// role. An rbac-gated incident runs a playbook whose one step waits for a senior's approval.
const roster = (doc: Record<string, unknown>) =>
  Object.assign(doc, {
    analysts: [
      { id: 'ana.one', name: 'Ana One', role: 'analyst', capacity: 100, expertise: ['port_scan'], slack: SLACK_USERS['ana.one'] },
      { id: 'ana.two', name: 'Ana Two', role: 'analyst', capacity: 100, expertise: ['dns_tunneling'], slack: SLACK_USERS['ana.two'] },
      { id: 'sen.one', name: 'Sen One', role: 'senior_analyst', capacity: 5, available: false, slack: SLACK_USERS['sen.one'] },
      { id: 'lead.one', name: 'Lead One', role: 'team_lead', capacity: 0, slack: SLACK_USERS['lead.one'] },
      { id: 'exec.one', name: 'Exec One', role: 'executive', capacity: 0 },
    ],
    teams: [],
    on_call: { rotations: [], overrides: [] },
  });
const RULES = [
  { name: 'rbac-waiting', match: { type: 'rbac_waiting' }, action: 'immediate', priority: 'P3', assign_role: 'senior_analyst' },
  {
    name: 'rbac-gated',
    match: { type: 'rbac_gated' },
    action: 'immediate',
    priority: 'P3',
    assign_role: 'analyst',
    playbooks: ['rbac-gated'],
  },
];
const GATED_PLAYBOOK = `steps:
  - id: tell-lead
    action: notify
    with: { role: team_lead, message: 'the RBAC matrix approved this' }
    approval: { role: senior_analyst, timeout: 1h, on_timeout: deny }
`;

const MINE = { type: 'port_scan', severity: 'medium' };
const THEIRS = { type: 'dns_tunneling', severity: 'medium' };
const WAITING = { type: 'rbac_waiting', severity: 'medium' };
const GATED = { type: 'rbac_gated', severity: 'medium' };

/** Every analyst-scope key reads; monitors and callers with no valid key do not. */
const read = {
  none: 401,
  revoked: 401,
  ingest: 403,
  robot: 200,
  analyst: 200,
  senior: 200,
  teamlead: 200,
  lead: 200,
  admin: 200,
  session: 200,
};
/** Only the `lead` scope (which `admin` includes); a team lead's role on an analyst-scope key is not enough. */
const leadOnly = (ok: number) => ({
  ...read,
  robot: 403,
  analyst: 403,
  senior: 403,
  teamlead: 403,
  lead: ok,
  admin: ok,
  session: SESSION_LACKS_SCOPE,
});
const ingest = { ...leadOnly(202), ingest: 202, lead: 403 };
/** No API key is asked for: whatever the Authorization header holds. */
const open = { ...read, revoked: 200, ingest: 200, none: 200 };
/** Acting on a task: its assignee, an analyst of the role it waits for while unassigned, or a lead. */
const act = (ok: number) => ({
  none: 401,
  revoked: 401,
  ingest: 403,
  robot: 403,
  'analyst:own': ok,
  'analyst:other': 403,
  'analyst:waiting': 403,
  senior: 403,
  'senior:waiting': ok,
  teamlead: 403,
  lead: ok,
  admin: ok,
  session: ok,
});
/** Slack's signature is the proof; an API key is none, and the request is refused before anything is read. */
const slackUnsigned = {
  none: refusedAt(401, 'header:x-slack-request-timestamp'),
  admin: refusedAt(401, 'header:x-slack-request-timestamp'),
  forged: refusedAt(401, 'header:x-slack-signature'),
  stale: refusedAt(401, 'header:x-slack-request-timestamp'),
};

describe('RBAC matrix', () => {
  let stack: Stack;
  let clients: Record<Caller, ReturnType<typeof client>>;
  /** Targets nobody has touched; a row that changes its target takes one of its own. */
  const pools: Record<Pool, string[]> = { mine: [], waiting: [], approval: [] };
  let shared: {
    mine: FirstAssignment;
    theirs: FirstAssignment;
    waiting: FirstAssignment;
    /** ana.one's task linked to the Jira issue JIRA_ISSUE. */
    linked: FirstAssignment;
    approval: string;
    silence: string;
    report: string;
    /** A playbook run with an undo that failed for good, to redrive. */
    failedRun: string;
  };
  let day = 0;

  const take = (pool: Pool): string => {
    const id = pools[pool].pop();
    if (!id) throw new Error(`no untouched ${pool} target left for this row`);
    return id;
  };

  const rows = <T>(sql: string, params: unknown[]) => stack.db.query<T[]>(sql, params);
  const taskState = async (id: string) => ({
    task: await rows(`SELECT * FROM tasks WHERE id = $1`, [id]),
    comments: await rows(`SELECT id, author, text FROM task_comments WHERE task_id = $1 ORDER BY id`, [id]),
    assignments: await rows(`SELECT id, analyst_id, actor, idempotency_key FROM task_assignments WHERE task_id = $1 ORDER BY id`, [id]),
    audit: await rows(`SELECT id, action FROM audit_log WHERE subject_id = $1 ORDER BY id`, [id]),
    notifications: await rows(`SELECT id, key FROM notifications WHERE task_id = $1 ORDER BY id`, [id]),
    outbox: await rows(`SELECT o.id, o.kind FROM outbox o JOIN tasks t ON t.incident_id = o.incident_id WHERE t.id = $1 ORDER BY o.id`, [
      id,
    ]),
  });
  const approvalState = async (id: string) => ({
    approval: await rows(`SELECT * FROM approvals WHERE id = $1`, [id]),
    audit: await rows(`SELECT id, action FROM audit_log WHERE subject_id = $1 ORDER BY id`, [id]),
    notifications: await rows(`SELECT id, key FROM notifications WHERE key LIKE $1 ORDER BY id`, [`approval:${id}:%`]),
    outbox: await rows(
      `SELECT o.id, o.kind FROM outbox o JOIN approvals a ON a.incident_id = o.incident_id WHERE a.id = $1 ORDER BY o.id`,
      [id],
    ),
  });
  /** What a redrive request writes: its audit entry and the outbox row that starts the redrive. */
  const redriveState = async (runId: string) => ({
    audit: await rows(`SELECT id FROM audit_log WHERE subject_id = $1 AND action = 'playbook.compensation_redriven' ORDER BY id`, [runId]),
    outbox: await rows(`SELECT id FROM outbox WHERE kind = 'playbook_redrive' AND payload->>'runId' = $1 ORDER BY id`, [runId]),
  });
  const analystState = async (id: string) => ({
    analyst: await rows(`SELECT * FROM analysts WHERE id = $1`, [id]),
    audit: await rows(`SELECT id, action FROM audit_log WHERE subject_id = $1 ORDER BY id`, [id]),
  });
  const statusOf = async (table: 'tasks' | 'approvals', id: string) =>
    (await rows<{ status: string }>(`SELECT status FROM ${table} WHERE id = $1`, [id]))[0].status;

  /** The task a row acts on: shared when the row only reads it or is refused, untouched otherwise. */
  const taskFor = (caller: Caller, method: string, outcome: Outcome): string => {
    if (caller === 'analyst:other') return shared.theirs.id;
    const waiting = caller === 'analyst:waiting' || caller === 'senior:waiting';
    if (method === 'GET' || outcome.refused) return waiting ? shared.waiting.id : shared.mine.id;
    return take(waiting ? 'waiting' : 'mine');
  };

  const taskRoute = (method: string, action: string, body: (waiting: boolean) => unknown, expected: Route['expected']): Route => ({
    method,
    path: `/v1/tasks/:id${action}`,
    draws: method === 'GET' ? undefined : (caller) => (caller === 'senior:waiting' ? 'waiting' : 'mine'),
    request: async (caller, outcome) => {
      const id = taskFor(caller, method, outcome);
      return {
        path: `/v1/tasks/${id}${action}`,
        body: body(caller === 'analyst:waiting' || caller === 'senior:waiting'),
        state: () => taskState(id),
      };
    },
    expected,
  });

  /** The Slack user a caller clicks or types as: ana.one unless the caller names someone else. */
  const slackUser = (caller: Caller): string =>
    caller === 'slack:unmapped'
      ? UNMAPPED_SLACK_USER
      : caller === 'slack:senior'
        ? SLACK_USERS['sen.one']
        : caller === 'slack:lead'
          ? SLACK_USERS['lead.one']
          : SLACK_USERS['ana.one'];
  const slackHeaders = (caller: Caller, body: string): Record<string, string> => {
    if (caller === 'forged') return signSlackRequest(body, 'not-the-signing-secret');
    if (caller === 'stale') return signSlackRequest(body, SLACK_SECRET, Math.floor(Date.now() / 1000) - 600);
    if (caller.startsWith('slack:')) return signSlackRequest(body, SLACK_SECRET);
    return { 'content-type': 'application/x-www-form-urlencoded' };
  };

  const jiraComment = (caller: Caller): Call => {
    const body = JSON.stringify({
      webhookEvent: 'comment_created',
      timestamp: Date.now(),
      issue: { key: JIRA_ISSUE, fields: {} },
      comment: { body: `RBAC matrix, as ${caller}`, author: { accountId: 'acct-rbac' } },
    });
    const headers =
      caller === 'signed'
        ? signJiraWebhook(body, JIRA_SECRET)
        : caller === 'forged'
          ? signJiraWebhook(body, 'a-different-secret-entirely')
          : { 'content-type': 'application/json' };
    const query = caller === 'signed:query' ? `?secret=${JIRA_SECRET}` : '';
    return { path: `/v1/integrations/jira/webhook${query}`, body, headers, state: () => taskState(shared.linked.id) };
  };

  const ROUTES: Route[] = [
    {
      method: 'POST',
      path: '/v1/alerts',
      request: async () => {
        const externalId = randomUUID();
        return {
          path: '/v1/alerts',
          body: alert({ sourceIp: uniqueIp(), externalId }),
          state: () => rows(`SELECT id FROM alerts WHERE external_id = $1`, [externalId]),
        };
      },
      expected: ingest,
    },
    {
      method: 'POST',
      path: '/v1/alerts/:format',
      request: async () => {
        const externalId = randomUUID();
        return {
          path: '/v1/alerts/falco',
          body: {
            uuid: externalId,
            output: 'A shell was spawned in a container with an attached terminal',
            priority: 'Warning',
            rule: 'Terminal shell in container',
            time: new Date().toISOString(),
            output_fields: { 'container.name': 'nginx', 'proc.name': 'bash' },
            hostname: 'k8s-node-1',
          },
          state: () => rows(`SELECT id FROM alerts WHERE external_id = $1`, [externalId]),
        };
      },
      expected: ingest,
    },
    { method: 'GET', path: '/v1/tasks', request: async () => ({ path: '/v1/tasks?status=all' }), expected: read },
    taskRoute('GET', '', () => undefined, {
      ...act(200),
      robot: 200,
      'analyst:other': 200,
      'analyst:waiting': 200,
      senior: 200,
      teamlead: 200,
    }),
    taskRoute('POST', '/ack', () => undefined, act(200)),
    taskRoute('POST', '/resolve', () => ({ disposition: 'benign', resolution: 'RBAC matrix' }), act(200)),
    // Nobody else of the senior_analyst role is free, so sen.one takes a waiting task herself.
    taskRoute('POST', '/reassign', (waiting) => (waiting ? { to: 'sen.one', reason: 'RBAC matrix' } : { reason: 'RBAC matrix' }), act(200)),
    taskRoute('POST', '/comments', () => ({ text: 'RBAC matrix' }), act(201)),
    // Taking is for a task nobody has, by someone who could act on it; a key naming nobody takes nothing.
    taskRoute('POST', '/take', () => ({}), {
      ...act(403),
      'analyst:own': refusedAt(409, '/assignee'),
      'analyst:other': refusedAt(409, '/assignee'),
      senior: refusedAt(409, '/assignee'),
      'senior:waiting': 200,
      teamlead: refusedAt(409, '/assignee'),
      session: refusedAt(409, '/assignee'),
    }),
    { method: 'GET', path: '/v1/incidents', request: async () => ({ path: '/v1/incidents' }), expected: read },
    {
      method: 'GET',
      path: '/v1/incidents/:id',
      request: async () => ({ path: `/v1/incidents/${shared.mine.incident_id}` }),
      expected: read,
    },
    {
      method: 'GET',
      path: '/v1/incidents/:id/evidence',
      request: async () => ({ path: `/v1/incidents/${shared.mine.incident_id}/evidence` }),
      expected: read,
    },
    {
      method: 'GET',
      path: '/v1/incidents/:id/evidence/verification',
      request: async () => ({ path: `/v1/incidents/${shared.mine.incident_id}/evidence/verification` }),
      expected: read,
    },
    {
      method: 'GET',
      path: '/v1/incidents/:id/links',
      request: async () => ({ path: `/v1/incidents/${shared.mine.incident_id}/links` }),
      expected: read,
    },
    {
      method: 'GET',
      path: '/v1/investigations/ip/:ip',
      request: async () => ({ path: '/v1/investigations/ip/192.0.2.10' }),
      expected: read,
    },
    { method: 'GET', path: '/v1/analysts', request: async () => ({ path: '/v1/analysts' }), expected: read },
    {
      method: 'PATCH',
      path: '/v1/analysts/:id',
      // ana.one changes herself as `analyst:own`; everyone else changes ana.two.
      request: async (caller) => {
        const id = caller === 'analyst:own' ? 'ana.one' : 'ana.two';
        return { path: `/v1/analysts/${id}`, body: { capacity: 100 }, state: () => analystState(id) };
      },
      expected: {
        none: 401,
        revoked: 401,
        ingest: 403,
        robot: 403,
        'analyst:own': 200,
        'analyst:other': 403,
        senior: 403,
        teamlead: 403,
        lead: 200,
        admin: 200,
        session: 403,
      },
    },
    { method: 'GET', path: '/v1/approvals', request: async () => ({ path: '/v1/approvals' }), expected: read },
    {
      method: 'POST',
      path: '/v1/approvals/:id',
      draws: () => 'approval',
      request: async (_, outcome) => {
        const id = outcome.refused ? shared.approval : take('approval');
        return { path: `/v1/approvals/${id}`, body: { decision: 'approve', reason: 'RBAC matrix' }, state: () => approvalState(id) };
      },
      // The approval waits for the senior_analyst role: that role or one above it in the roster, or the lead scope.
      expected: { ...leadOnly(200), senior: 200, teamlead: 200, session: 403 },
    },
    {
      method: 'POST',
      path: '/v1/playbooks/:name/dry-run',
      request: async () => ({
        path: '/v1/playbooks/rbac-gated/dry-run',
        body: { incidentId: shared.mine.incident_id },
        state: () => rows(`SELECT id FROM playbook_runs WHERE incident_id = $1`, [shared.mine.incident_id]),
      }),
      expected: read,
    },
    {
      method: 'POST',
      path: '/v1/playbooks/runs/:id/redrive',
      request: async () => ({ path: `/v1/playbooks/runs/${shared.failedRun}/redrive`, state: () => redriveState(shared.failedRun) }),
      // Its undo fails again (no firewall is configured here), so a second redrive is as welcome as the first.
      expected: leadOnly(202),
    },
    {
      method: 'POST',
      path: '/v1/silences',
      request: async () => {
        const ip = uniqueIp();
        return {
          path: '/v1/silences',
          body: { matchers: [{ name: 'sourceIp', value: ip }], durationSeconds: 60 },
          state: () => rows(`SELECT id FROM silences WHERE matchers::text LIKE $1`, [`%"${ip}"%`]),
        };
      },
      expected: leadOnly(201),
    },
    { method: 'GET', path: '/v1/silences', request: async () => ({ path: '/v1/silences' }), expected: read },
    {
      method: 'GET',
      path: '/v1/silences/:id',
      request: async () => ({ path: `/v1/silences/${shared.silence}` }),
      expected: read,
    },
    {
      method: 'DELETE',
      path: '/v1/silences/:id',
      request: async () => {
        const id = await silence();
        return { path: `/v1/silences/${id}`, state: () => rows(`SELECT * FROM silences WHERE id = $1`, [id]) };
      },
      expected: leadOnly(200),
    },
    { method: 'GET', path: '/v1/stats', request: async () => ({ path: '/v1/stats' }), expected: leadOnly(200) },
    {
      method: 'GET',
      path: '/v1/stats/attack/incidents',
      request: async () => ({ path: '/v1/stats/attack/incidents?tactic=TA0002' }),
      expected: leadOnly(200),
    },
    {
      method: 'POST',
      path: '/v1/reports',
      request: async () => {
        // A day of its own per call: a second report of one kind and period answers 200 with the first.
        const from = new Date(Date.UTC(2020, 0, 1 + day++));
        return {
          path: '/v1/reports',
          body: { kind: 'daily', from: from.toISOString() },
          state: () => rows(`SELECT id FROM reports WHERE kind = 'daily' AND period_from = $1`, [from]),
        };
      },
      expected: leadOnly(201),
    },
    { method: 'GET', path: '/v1/reports', request: async () => ({ path: '/v1/reports' }), expected: leadOnly(200) },
    { method: 'GET', path: '/v1/reports/:id', request: async () => ({ path: `/v1/reports/${shared.report}` }), expected: leadOnly(200) },
    {
      method: 'GET',
      path: '/v1/reports/:id/html',
      request: async () => ({ path: `/v1/reports/${shared.report}/html` }),
      expected: leadOnly(200),
    },
    {
      method: 'POST',
      path: '/v1/integrations/slack/commands',
      public: "Slack's signing secret (v0 HMAC of the body, five-minute window); the Slack user acts as their roster analyst",
      draws: (caller) => (caller === 'slack:own' || caller === 'slack:lead' ? 'mine' : undefined),
      request: async (caller, outcome) => {
        const id = caller === 'slack:other' ? shared.theirs.id : outcome.refused ? shared.mine.id : take('mine');
        const body = slashCommandBody({ userId: slackUser(caller), text: `ack ${id}`, responseUrl: '' });
        return {
          path: '/v1/integrations/slack/commands',
          body,
          headers: slackHeaders(caller, body),
          state: () => taskState(id),
          effect: () => statusOf('tasks', id),
        };
      },
      expected: {
        ...slackUnsigned,
        'slack:own': { status: 200, refused: false, says: /^:eyes: Acknowledged /, then: 'acknowledged' },
        'slack:lead': { status: 200, refused: false, says: /^:eyes: Acknowledged /, then: 'acknowledged' },
        'slack:other': slackRefusal(/^:no_entry: analyst:ana\.one may not act on task .*: the task is assigned to ana\.two/),
        'slack:unmapped': slackRefusal(/^Your Slack user is not mapped to a Warden analyst/),
      },
    },
    {
      method: 'POST',
      path: '/v1/integrations/slack/interactions',
      public: "Slack's signing secret (v0 HMAC of the body, five-minute window); the Slack user acts as their roster analyst",
      draws: (caller) => (caller === 'slack:senior' || caller === 'slack:lead' ? 'approval' : undefined),
      request: async (caller, outcome) => {
        const id = outcome.refused ? shared.approval : take('approval');
        // No response_url, so the outcome is posted nowhere: the approval itself tells.
        const body = blockActionsPayload({ userId: slackUser(caller), actionId: 'warden.approve', value: id, responseUrl: '' });
        return {
          path: '/v1/integrations/slack/interactions',
          body,
          headers: slackHeaders(caller, body),
          state: () => approvalState(id),
          effect: () => statusOf('approvals', id),
        };
      },
      expected: {
        ...slackUnsigned,
        'slack:senior': { status: 200, refused: false, then: 'approved' },
        'slack:lead': { status: 200, refused: false, then: 'approved' },
        'slack:analyst': slackRefusal(/^$/),
        'slack:unmapped': slackRefusal(/^$/),
      },
    },
    {
      method: 'POST',
      path: '/v1/integrations/jira/webhook',
      public:
        "Jira's shared secret (X-Hub-Signature HMAC of the body, or ?secret=); the Jira account acts as its mapped analyst, and an unmapped one's change becomes a refusal comment",
      request: async (caller) => jiraComment(caller),
      expected: {
        none: refusedAt(401, 'query:secret'),
        admin: refusedAt(401, 'query:secret'),
        forged: refusedAt(401, 'header:x-hub-signature'),
        signed: {
          status: 200,
          refused: false,
          says: /^\{"status":"refused","reason":"the Jira account is not mapped to a Warden analyst"\}$/,
        },
        'signed:query': {
          status: 200,
          refused: false,
          says: /^\{"status":"refused","reason":"the Jira account is not mapped to a Warden analyst"\}$/,
        },
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      public: 'Prometheus scrapes with METRICS_TOKEN, not an API key (open when METRICS_TOKEN is unset)',
      request: async () => ({ path: '/metrics' }),
      expected: { ...leadOnly(401), ingest: 401, robot: 401, analyst: 401, senior: 401, teamlead: 401, session: 401, metrics: 200 },
    },
    {
      method: 'GET',
      path: '/health',
      public: 'readiness for load balancers and orchestrators; says only whether the database and Temporal answer',
      request: async () => ({ path: '/health' }),
      expected: open,
    },
    {
      method: 'GET',
      path: '/dashboard',
      public: 'a static page holding no data; it asks for a lead key and sends it with each API call',
      request: async () => ({ path: '/dashboard' }),
      expected: open,
    },
    {
      method: 'GET',
      path: '/dashboard/assets/:name',
      public: "the dashboard's static script and style, holding no data",
      request: async () => ({ path: '/dashboard/assets/dashboard.js' }),
      expected: open,
    },
    {
      method: 'GET',
      path: '/app',
      public: "the analyst workspace's static page, holding no data; it reads the session and calls the API with it",
      request: async () => ({ path: '/app' }),
      expected: open,
    },
    {
      method: 'GET',
      path: '/app/assets/:name',
      public: "the workspace's static scripts and styles, holding no data",
      request: async () => ({ path: '/app/assets/workspace.js' }),
      expected: open,
    },
    {
      method: 'GET',
      path: '/v1/session',
      // Who the caller is: any valid key (a monitor's too: it names no analyst), or a session.
      request: async () => ({ path: '/v1/session' }),
      expected: { ...open, none: 401, revoked: 401 },
    },
    {
      method: 'GET',
      path: '/auth/login',
      public: 'the sign-in page (or, with OIDC, the redirect to the identity provider); it holds no data',
      request: async () => ({ path: '/auth/login?return=%2Fapp' }),
      expected: open,
    },
    {
      method: 'GET',
      path: '/auth/sign-in.css',
      public: "the sign-in page's stylesheet, holding no data",
      request: async () => ({ path: '/auth/sign-in.css' }),
      expected: open,
    },
    {
      method: 'GET',
      path: '/auth/callback',
      public: "the identity provider sends people back here; the flow's signed cookie, state, nonce and PKCE verifier are the proof",
      request: async () => ({ path: '/auth/callback?code=x&state=y' }),
      // Single sign-on is off here: there is no flow to complete, with a key or without.
      expected: { none: refusedAt(404, 'path:/auth/callback'), admin: refusedAt(404, 'path:/auth/callback') },
    },
    {
      method: 'POST',
      path: '/auth/key',
      public: 'signs a person in with the API key in its body, not the Authorization header',
      request: async () => ({
        path: '/auth/key',
        body: { key: 'wdn_not-a-key-anyone-was-given' },
        state: () => rows(`SELECT id FROM sessions ORDER BY id`, []),
      }),
      expected: { none: refusedAt(401, '/key'), admin: refusedAt(401, '/key'), session: refusedAt(401, '/key') },
    },
    {
      method: 'POST',
      path: '/auth/logout',
      public: "ends the caller's own session, if any; a key has nothing to end",
      // The session's own sign-out is in test/e2e/sign-in.e2e-spec.ts: here it would end the session the matrix uses.
      request: async () => ({ path: '/auth/logout' }),
      expected: { none: 204, revoked: 204, admin: 204 },
    },
  ];

  const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
  const cells = (r: Route) => Object.entries(r.expected).map(([caller, cell]) => [caller as Caller, outcomeOf(cell!)] as const);

  /** How many untouched targets each pool needs: one per row that may change one. */
  const needed = (pool: Pool) =>
    ROUTES.reduce((n, r) => n + cells(r).filter(([caller, o]) => !o.refused && r.draws?.(caller) === pool).length, 0);

  /** Opens one task per alert through the workflow and waits until each workflow has made and told its first assignment. */
  const openTasks = async (fields: Record<string, unknown>[]): Promise<FirstAssignment[]> => {
    const res = await stack.ingest(
      'POST',
      '/v1/alerts',
      fields.map((f) => alert({ sourceIp: uniqueIp(), ...f })),
    );
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${res.text}`);
    const incidentIds: string[] = res.body.results.map((r: { incidentId: string }) => r.incidentId);
    const tasks = await stack.firstAssignments(incidentIds);
    // The assignment notice is the workflow's last write before it waits on the SLA timer: from
    // here on, a task changes only when someone acts on it.
    await pollUntil(
      () =>
        rows<{ n: number }>(
          `SELECT count(*)::int AS n FROM unnest($1::uuid[]) AS t(id) WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.task_id = t.id AND n.key LIKE 'task-' || t.id || ':assignment:%')`,
          [tasks.map((t) => t.id)],
        ),
      ([{ n }]) => n === 0,
      { what: `the assignment notices of ${tasks.length} tasks`, timeoutMs: 60_000 },
    );
    return tasks;
  };

  /** A client for `analystId` signed in with a key of theirs: the session cookie and its CSRF token on every request, no key. */
  const signedIn = async (analystId: string): Promise<ReturnType<typeof client>> => {
    const key = (await createApiKey(stack.db, `${analystId}-sign-in`, ['analyst'], analystId)).key;
    const { jar, answer } = await signInWithKey(stack.api.url, key);
    if (answer.status !== 303) throw new Error(`key sign-in answered ${answer.status}: ${answer.text}`);
    const { csrfToken } = (await sessionClient(stack.api.url, jar)('GET', '/v1/session')).body as { csrfToken: string };
    const plain = client(stack.api.url);
    return (method, path, body, headers = {}) => plain(method, path, body, { ...jar.header(), 'x-csrf-token': csrfToken, ...headers });
  };

  const silence = async (): Promise<string> => {
    const res = await clients.lead('POST', '/v1/silences', { matchers: [{ name: 'sourceIp', value: uniqueIp() }], durationSeconds: 600 });
    if (res.status !== 201) throw new Error(`silence answered ${res.status}: ${res.text}`);
    return res.body.id;
  };

  beforeAll(async () => {
    stack = await startStack({
      name: 'rbac',
      assignment: roster,
      rules: (doc) => {
        doc.defaults.storm = false;
        doc.rules = [...RULES, ...doc.rules];
      },
      files: { 'playbooks/rbac-gated.yaml': GATED_PLAYBOOK },
      env: { SLACK_SIGNING_SECRET: SLACK_SECRET, JIRA_WEBHOOK_SECRET: JIRA_SECRET, METRICS_TOKEN },
    });
    const revoked = await createApiKey(stack.db, 'revoked', ['admin']);
    // Revoked before its first use, so no cached lookup outlives it.
    await stack.db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [revoked.id]);
    const analyst = await stack.as('ana.one');
    const senior = await stack.as('sen.one');
    const unkeyed = client(stack.api.url);
    clients = {
      none: unkeyed,
      revoked: client(stack.api.url, revoked.key),
      ingest: stack.ingest,
      robot: await stack.as(null),
      analyst,
      'analyst:own': analyst,
      'analyst:other': analyst,
      'analyst:waiting': analyst,
      senior,
      'senior:waiting': senior,
      teamlead: await stack.as('lead.one'),
      lead: await stack.as(null, ['lead']),
      admin: await stack.as(null, ['admin']),
      metrics: client(stack.api.url, METRICS_TOKEN),
      forged: unkeyed,
      stale: unkeyed,
      signed: unkeyed,
      'signed:query': unkeyed,
      'slack:own': unkeyed,
      'slack:other': unkeyed,
      'slack:senior': unkeyed,
      'slack:analyst': unkeyed,
      'slack:lead': unkeyed,
      'slack:unmapped': unkeyed,
      session: await signedIn('ana.one'),
    };
    // Shared: mine, theirs, waiting, linked; untouched: the matrix's and the Idempotency-Key tests' two.
    const mine = needed('mine') + 2;
    const waiting = needed('waiting');
    const tasks = await openTasks([...Array(mine + 2).fill(MINE), THEIRS, ...Array(waiting + 1).fill(WAITING)]);
    // The roster decides deterministically; anything else means the fixtures are wrong, not the access rules.
    expect(tasks.map((t) => t.assignee_id)).toEqual([...Array(mine + 2).fill('ana.one'), 'ana.two', ...Array(waiting + 1).fill(null)]);
    const gated = await openTasks(Array(needed('approval') + 1).fill(GATED));
    const approvals = await pollUntil(
      () =>
        rows<{ id: string }>(
          `SELECT a.id FROM unnest($1::uuid[]) WITH ORDINALITY AS i(id, n) JOIN approvals a ON a.incident_id = i.id AND a.status = 'pending' ORDER BY i.n`,
          [gated.map((t) => t.incident_id)],
        ),
      (found) => found.length === gated.length,
      { what: `the pending approvals of ${gated.length} gated incidents`, timeoutMs: 60_000 },
    );
    pools.mine = tasks.slice(2, mine + 2).map((t) => t.id);
    pools.waiting = tasks.slice(mine + 4).map((t) => t.id);
    pools.approval = approvals.slice(1).map((a) => a.id);
    const [linked] = tasks;
    await stack.db.query(`INSERT INTO integration_links (channel, subject_id, external_id) VALUES ('jira', $1, $2)`, [
      linked.id,
      JIRA_ISSUE,
    ]);
    const [failedRun] = await rows<{ id: string }>(
      `INSERT INTO playbook_runs (incident_id, playbook, status, definition, finished_at) VALUES ($1, 'rbac-redrive', 'compensation_failed', $2, now())
       RETURNING id`,
      [
        tasks[0].incident_id,
        {
          name: 'rbac-redrive',
          steps: [
            {
              id: 'block',
              action: 'block_ip',
              with: { ip: '198.51.100.7' },
              depends_on: [],
              retry: { attempts: 1, backoffSeconds: 1 },
              timeoutSeconds: 5,
              compensate: { action: 'unblock_ip', with: { ip: '198.51.100.7' }, retry: { attempts: 1, backoffSeconds: 1 } },
            },
          ],
        },
      ],
    );
    await stack.db.query(
      `INSERT INTO playbook_steps (run_id, step_id, action, status, input, compensation_status, compensation_error, compensation_failed_at)
       VALUES ($1, 'block', 'block_ip', 'succeeded', '{"ip": "198.51.100.7"}', 'failed', 'the RBAC matrix', now())`,
      [failedRun.id],
    );
    const report = await clients.lead('POST', '/v1/reports', { kind: 'daily', from: '2019-06-01T00:00:00Z' });
    if (report.status !== 201) throw new Error(`report answered ${report.status}: ${report.text}`);
    shared = {
      linked,
      mine: tasks[1],
      theirs: tasks[mine + 2],
      waiting: tasks[mine + 3],
      approval: approvals[0].id,
      silence: await silence(),
      report: report.body.id,
      failedRun: failedRun.id,
    };
  });
  afterAll(async () => stack?.close());

  describe('the matrix and the router', () => {
    /** The router's routes but the HEAD twin Fastify adds to each GET (see below). */
    const registered = () => {
      const routes = stack.api.routes ?? [];
      const gets = new Set(routes.filter((r) => r.method === 'GET').map((r) => r.url));
      return [...new Set(routes.filter((r) => !(r.method === 'HEAD' && gets.has(r.url))).map((r) => `${r.method} ${r.url}`))].sort();
    };

    it('has a row for every route the router registers', () => {
      const listed = new Set(ROUTES.map(key));
      expect(registered().filter((r) => !listed.has(r))).toEqual([]);
    });

    it('has no row for a route the router does not register', () => {
      const routes = new Set(registered());
      expect(ROUTES.map(key).filter((r) => !routes.has(r))).toEqual([]);
    });

    it('lets a caller with no API key through only on the routes it lists as public, with why', () => {
      expect(ROUTES.filter((r) => !r.public && !outcomeOf(r.expected.none!).refused).map(key)).toEqual([]);
    });
  });

  describe.each(ROUTES.map((r) => [key(r), r] as const))('%s', (_, route) => {
    it.each(cells(route).map(([caller, o]) => [caller, label(o), o] as const))('answers %s with %s', async (caller, _label, outcome) => {
      const call = await route.request(caller, outcome);
      const before = outcome.refused ? await call.state?.() : undefined;
      const res = await clients[caller](route.method, call.path, call.body, call.headers);
      const says = res.body?.text ?? res.text;
      if (!outcome.refused)
        expect({
          status: res.status,
          answer: res.status === outcome.status ? 'ok' : res.text,
          ...(outcome.says && { says }),
          ...(outcome.then !== undefined && { then: await call.effect!() }),
        }).toEqual({
          status: outcome.status,
          answer: 'ok',
          ...(outcome.says && { says: expect.stringMatching(outcome.says) }),
          ...(outcome.then !== undefined && { then: outcome.then }),
        });
      else if (outcome.says)
        expect({ status: res.status, says, unchanged: await call.state?.() }).toEqual({
          status: outcome.status,
          says: expect.stringMatching(outcome.says),
          unchanged: before,
        });
      else
        expect({
          status: res.status,
          type: res.headers.get('content-type'),
          paths: res.body?.errors?.map((e: { path: string }) => e.path),
          unchanged: await call.state?.(),
        }).toEqual({
          status: outcome.status,
          type: expect.stringContaining('application/problem+json'),
          paths: [outcome.path],
          unchanged: before,
        });
    });
  });

  // Fastify answers HEAD on every GET route with the GET's handler, guard included.
  describe('HEAD on each GET route', () => {
    const gets = ROUTES.filter((r) => r.method === 'GET');
    it.each(gets.map((r) => [r.path, r, outcomeOf(r.expected.none!).status] as const))(
      'answers %s with no key as its GET does: %i',
      async (_, route, status) => {
        const { path } = await route.request('none', outcomeOf(route.expected.none!));
        expect((await clients.none('HEAD', path)).status).toBe(status);
      },
    );
  });

  describe('Idempotency-Key on reassign', () => {
    const reassign = (taskId: string, body: unknown, key: string) =>
      clients.analyst('POST', `/v1/tasks/${taskId}/reassign`, body, { 'idempotency-key': key });

    it("answers the assignee's retry with the first result, though the task is no longer hers", async () => {
      const task = take('mine');
      const first = await reassign(task, { reason: 'end of shift' }, 'handover-1');
      const retry = await reassign(task, { reason: 'end of shift' }, 'handover-1');
      expect([first.status, first.body.assignee?.id, retry.status, retry.body.assignee?.id]).toEqual([200, 'ana.two', 200, 'ana.two']);
    });

    it('refuses a key reused with a different body with 422 naming the header', async () => {
      const task = take('mine');
      expect((await reassign(task, { reason: 'end of shift' }, 'handover-2')).status).toBe(200);
      const reused = await reassign(task, { reason: 'something else' }, 'handover-2');
      expect({ status: reused.status, errors: reused.body.errors }).toEqual({
        status: 422,
        errors: [{ path: 'header:idempotency-key', message: 'this Idempotency-Key was already used with a different request body' }],
      });
    });

    it('refuses a key longer than 200 characters with 400 naming the header', async () => {
      const res = await reassign(shared.mine.id, { reason: 'too long' }, 'k'.repeat(201));
      expect({ status: res.status, paths: res.body.errors.map((e: { path: string }) => e.path) }).toEqual({
        status: 400,
        paths: ['header:idempotency-key'],
      });
    });
  });

  it('tells an analyst of another role why a task waiting for a role is not theirs', async () => {
    const res = await clients.analyst('POST', `/v1/tasks/${shared.waiting.id}/comments`, { text: 'not my role' });
    expect({ status: res.status, detail: res.body.detail }).toEqual({
      status: 403,
      detail: expect.stringContaining('the task waits for the senior_analyst role; ana.one is analyst'),
    });
  });
});
