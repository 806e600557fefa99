import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Version3Client } from 'jira.js';
import { DeliveryError, type OutgoingNotification } from '../../notifications/notifier';
import type { IntegrationsConfig } from '../integrations.schema';
import type { IncidentSnapshot } from '../snapshot';
import { commentDoc } from './adf';
import {
  classifyJiraError,
  commentFor,
  commentFooter,
  createFields,
  fieldChanges,
  isCommentFor,
  issueFields,
  parseJiraWebhook,
  readIssueState,
  readTransitions,
  transitionFor,
  webhookDecision,
  type JiraIssueState,
  type JiraWebhookEvent,
  type WebhookContext,
} from './jira-sync';
import { rollUpEnrichment } from '../../enrichment';

const jira: IntegrationsConfig['jira'] = {
  project: 'SOC',
  issueType: 'Task',
  priorities: { P1: 'Highest', P2: 'High', P3: 'Medium', P4: 'Low' },
  transitions: { acknowledged: 'In Progress', in_progress: 'In Progress', resolved: 'Done', closed: 'Done' },
  doneStatuses: ['Done'],
  resolutions: { 'False Positive': 'false_positive', "Won't Do": 'benign' },
  defaultDisposition: 'true_positive',
};

const INCIDENT = '0b5f7c3e-1111-4a4a-9c9c-123456789abc';
const TASK = '9d0c6f6e-2222-4b4b-8d8d-abcdefabcdef';

const snapshot = (over: { title?: string; assigneeId?: string | null; alerts?: IncidentSnapshot['alerts'] } = {}): IncidentSnapshot => ({
  incident: {
    id: INCIDENT,
    title: over.title ?? 'Failed logins from 203.0.113.7',
    severity: 'critical',
    priority: 'P1',
    status: 'open',
    types: ['failed_login'],
    sourceIp: '203.0.113.7',
    user: null,
    host: null,
    alertCount: 30,
    firstSeenAt: '2026-01-01T00:00:00.000Z',
    lastSeenAt: '2026-01-01T00:05:00.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
    resolvedAt: null,
    storm: false,
    team: null,
  },
  task: {
    id: TASK,
    status: 'assigned',
    assigneeId: over.assigneeId === undefined ? 'lee' : over.assigneeId,
    assigneeName: 'Lee Lead',
    ackDeadline: null,
    resolveDeadline: null,
    disposition: null,
    checklist: [],
  },
  alerts: over.alerts ?? [],
  pendingApprovals: [],
  enrichment: rollUpEnrichment([]),
  links: { incident: `https://warden.example/app#incident/${INCIDENT}`, jira: null },
});

const alert = (id: string, receivedAt: string) => ({
  id,
  type: 'failed_login',
  severity: 'high' as const,
  title: `Failed login ${id}`,
  sourceIp: '203.0.113.7',
  destinationIp: null,
  user: 'root',
  host: null,
  receivedAt,
});

const notice = (kind: string, data: Record<string, unknown> = {}, over: Partial<OutgoingNotification> = {}): OutgoingNotification => ({
  key: `task-${TASK}:${kind}`,
  kind,
  recipients: [],
  taskId: TASK,
  incidentId: INCIDENT,
  title: 'Escalated to team lead',
  text: 'Failed logins (P1, assigned)',
  data,
  ...over,
});

describe('jira-sync', () => {
  describe(issueFields.name, () => {
    it('names the priority in the summary and maps it to a Jira priority', () => {
      const f = issueFields(snapshot(), jira, 'acc-lee');
      expect([f.summary, f.priority, f.project, f.issuetype]).toEqual([
        '[P1] Failed logins from 203.0.113.7',
        { name: 'Highest' },
        { key: 'SOC' },
        { name: 'Task' },
      ]);
    });

    it('labels the issue with Warden, the incident, the task and the severity', () => {
      expect(issueFields(snapshot(), jira, null).labels).toEqual([
        'warden',
        `warden-incident-${INCIDENT}`,
        `warden-task-${TASK}`,
        'warden-severity-critical',
      ]);
    });

    it('caps the summary at 255 characters on one line', () => {
      const summary = issueFields(snapshot({ title: `a\nb${'x'.repeat(400)}` }), jira, null).summary;
      expect([summary.length, summary.startsWith('[P1] a b'), summary.includes('\n')]).toEqual([255, true, false]);
    });

    it('caps a summary of emoji at 255 code units, as Jira counts, without half an emoji', () => {
      const summary = issueFields(snapshot({ title: '😀'.repeat(400) }), jira, null).summary;
      expect([summary.length <= 255, /[\uD800-\uDBFF]…$/.test(summary), summary.endsWith('😀…')]).toEqual([true, false, true]);
    });

    it('assigns the mapped account, unassigns an unassigned task, and leaves an unmapped assignee alone', () => {
      expect([
        issueFields(snapshot(), jira, 'acc-lee').assignee,
        issueFields(snapshot({ assigneeId: null }), jira, null).assignee,
        'assignee' in issueFields(snapshot(), jira, null),
      ]).toEqual([{ accountId: 'acc-lee' }, null, false]);
    });

    it('creates without an empty assignee', () => {
      expect(
        'assignee' in createFields(issueFields(snapshot({ assigneeId: null }), jira, null), { type: 'doc', version: 1, content: [] }),
      ).toBe(false);
    });
  });

  describe(fieldChanges.name, () => {
    const desired = issueFields(snapshot(), jira, 'acc-lee');
    const current: JiraIssueState = {
      key: 'SOC-1',
      id: '10001',
      summary: desired.summary,
      priorityName: 'highest',
      assigneeAccountId: 'acc-lee',
      labels: [...desired.labels],
      statusName: 'To Do',
    };

    it('changes nothing on an issue that already matches', () => {
      expect(fieldChanges(current, desired)).toEqual({});
    });

    it('sets what differs', () => {
      expect(fieldChanges({ ...current, priorityName: 'Low', assigneeAccountId: null }, desired)).toEqual({
        priority: { name: 'Highest' },
        assignee: { accountId: 'acc-lee' },
      });
    });

    it("keeps people's own labels and replaces a stale severity label", () => {
      const labels = ['customer-x', ...desired.labels.filter((l) => !l.startsWith('warden-severity')), 'warden-severity-low'];
      expect(fieldChanges({ ...current, labels }, desired).labels).toEqual(['customer-x', ...desired.labels]);
    });

    it('leaves the assignee alone when the analyst has no Jira account', () => {
      expect(fieldChanges({ ...current, assigneeAccountId: 'someone' }, issueFields(snapshot(), jira, null))).toEqual({});
    });
  });

  describe(transitionFor.name, () => {
    const available = [
      { id: '11', name: 'Start work', to: { name: 'In Progress' } },
      { id: '31', name: 'Done', to: { name: 'Done' } },
    ];

    it('takes the transition that leads to the configured status', () => {
      expect(transitionFor('acknowledged', jira, 'To Do', available)).toBe('11');
    });

    it('does nothing when the issue is already there (a change from Jira is not echoed)', () => {
      expect(transitionFor('resolved', jira, 'done', available)).toBeNull();
    });

    it('does nothing for a status with no mapping', () => {
      expect(transitionFor('assigned', jira, 'To Do', available)).toBeNull();
    });

    it('does nothing when no available transition leads there', () => {
      expect(transitionFor('resolved', jira, 'To Do', available.slice(0, 1))).toBeNull();
    });

    it('falls back to a transition named like the status', () => {
      expect(transitionFor('resolved', jira, 'To Do', [{ id: '7', name: 'Done', to: { name: 'Closed' } }])).toBe('7');
    });
  });

  describe('reading Jira answers', () => {
    it('reads an issue leniently', () => {
      expect(readIssueState({ key: 'SOC-1', id: 10001, fields: { priority: null, labels: ['a', 3], status: { name: 'To Do' } } })).toEqual({
        key: 'SOC-1',
        id: '10001',
        summary: null,
        priorityName: null,
        assigneeAccountId: null,
        labels: ['a'],
        statusName: 'To Do',
      });
    });

    it('skips transitions without an id', () => {
      expect(readTransitions({ transitions: [{ name: 'x' }, { id: '2', name: 'Go', to: { name: 'Done' } }] })).toEqual([
        { id: '2', name: 'Go', to: { name: 'Done' } },
      ]);
    });
  });

  describe(commentFor.name, () => {
    it('comments on an escalation with its title, text and tier', () => {
      expect(commentFor(notice('escalation', { tier: 'team_lead' }), snapshot(), null)).toBe(
        'Escalated to team lead\n\nFailed logins (P1, assigned)\n\nTier: team_lead',
      );
    });

    it('mirrors a Warden comment with its author', () => {
      expect(commentFor(notice('task.commented', { author: 'analyst:sam', text: 'Blocked at the edge.' }), snapshot(), null)).toBe(
        'analyst:sam wrote in Warden:\n\nBlocked at the edge.',
      );
    });

    it('does not send a comment back to Jira', () => {
      expect(commentFor(notice('task.commented', { author: 'jira:x', text: 'hi', origin: 'jira' }), snapshot(), null)).toBeNull();
    });

    it('says nothing for an assignment (the assignee field shows it)', () => {
      expect(commentFor(notice('assigned'), snapshot(), null)).toBeNull();
    });

    it('names the resolution', () => {
      expect(commentFor(notice('task.resolved', { disposition: 'benign', resolution: 'Pen test.' }), snapshot(), null)).toBe(
        'Resolved in Warden as benign.\n\nPen test.',
      );
    });

    it('counts the alerts added since the last push, from the snapshot', () => {
      const s = snapshot({
        alerts: [alert('a3', '2026-01-01T00:05:00.000Z'), alert('a2', '2026-01-01T00:04:00.000Z'), alert('a1', '2026-01-01T00:01:00.000Z')],
      });
      expect(commentFor(notice('incident.alerts_added'), s, new Date('2026-01-01T00:02:00.000Z'))).toBe(
        '2 more alerts (30 in total):\n- high failed_login: Failed login a3 (203.0.113.7, root)\n- high failed_login: Failed login a2 (203.0.113.7, root)',
      );
    });
  });

  describe(isCommentFor.name, () => {
    it('knows the comment Warden wrote for the notice by its footer', () => {
      expect(isCommentFor(commentDoc('Escalated to the lead', commentFooter('task-1:escalation:2')), 'task-1:escalation:2')).toBe(true);
    });

    it('tells another notice’s comment apart, also one whose key starts the same', () => {
      const doc = commentDoc('Escalated', commentFooter('task-1:escalation:2'));
      expect([isCommentFor(doc, 'task-1:escalation:1'), isCommentFor(doc, 'task-1:escalation:')]).toEqual([false, false]);
    });

    it('finds the footer after a long comment', () => {
      expect(isCommentFor(commentDoc('x '.repeat(20_000), commentFooter('k-1')), 'k-1')).toBe(true);
    });

    it('is false for a person’s comment that only quotes a footer mid-text, and for anything not ADF', () => {
      const quoted = commentDoc(`${commentFooter('k-1')}\n\nis what Warden writes`);
      expect([isCommentFor(quoted, 'k-1'), isCommentFor('text', 'k-1'), isCommentFor(null, 'k-1')]).toEqual([false, false, false]);
    });
  });

  describe(parseJiraWebhook.name, () => {
    const updated: Record<string, unknown> = {
      timestamp: 1767225600000,
      webhookEvent: 'jira:issue_updated',
      user: { accountId: 'acc-sam', displayName: 'Sam' },
      issue: { id: '10001', key: 'SOC-1', fields: { status: { name: 'Done' }, resolution: { name: 'False Positive' } } },
      changelog: { items: [{ field: 'assignee' }, { field: 'status', fromString: 'To Do', toString: 'Done' }] },
    };

    it('reads a status change', () => {
      expect(parseJiraWebhook(updated).event).toEqual({
        type: 'jira:issue_updated',
        timestamp: 1767225600000,
        issueKey: 'SOC-1',
        accountId: 'acc-sam',
        statusChange: { from: 'To Do', to: 'Done' },
        resolutionName: 'False Positive',
        commentBody: undefined,
      });
    });

    it('reads a comment and its author', () => {
      const event = parseJiraWebhook({
        timestamp: '1767225600000',
        webhookEvent: 'comment_created',
        issue: { key: 'SOC-1' },
        comment: { body: 'On it', author: { accountId: 'acc-sam' } },
      }).event;
      expect([event?.accountId, event?.commentBody, event?.timestamp]).toEqual(['acc-sam', 'On it', 1767225600000]);
    });

    it('names each missing or hostile field', () => {
      expect(parseJiraWebhook({ webhookEvent: 42, timestamp: 'soon' }).errors).toEqual([
        { path: '/webhookEvent', message: 'must be the event name' },
        { path: '/timestamp', message: 'must be milliseconds since the epoch' },
      ]);
    });

    it('requires the issue of a followed event', () => {
      expect(parseJiraWebhook({ ...updated, issue: { key: 'DROP TABLE' } }).errors.map((e) => e.path)).toEqual(['/issue/key']);
    });

    it("does not take an object's own toString method for the new status", () => {
      expect(parseJiraWebhook({ ...updated, changelog: { items: [{ field: 'status' }] } }).errors.map((e) => e.path)).toEqual([
        '/changelog/items/0/toString',
      ]);
    });

    it('refuses what is not an object', () => {
      expect([null, [], 'x'].map((b) => parseJiraWebhook(b).errors)).toEqual([
        [{ path: '/', message: 'must be a JSON object' }],
        [{ path: '/', message: 'must be a JSON object' }],
        [{ path: '/', message: 'must be a JSON object' }],
      ]);
    });

    it('reads an event it does not follow without requiring an issue', () => {
      expect(parseJiraWebhook({ webhookEvent: 'worklog_created', timestamp: 1 }).event?.type).toBe('worklog_created');
    });
  });

  describe(webhookDecision.name, () => {
    const event = (over: Partial<JiraWebhookEvent> = {}): JiraWebhookEvent => ({
      type: 'jira:issue_updated',
      timestamp: Date.parse('2026-01-01T00:10:00Z'),
      issueKey: 'SOC-1',
      accountId: 'acc-sam',
      statusChange: { from: 'To Do', to: 'Done' },
      resolutionName: null,
      commentBody: undefined,
      ...over,
    });
    const ctx = (over: Partial<WebhookContext> = {}): WebhookContext => ({
      wardenAccountId: 'acc-warden',
      doneStatuses: jira.doneStatuses,
      resolutions: jira.resolutions,
      defaultDisposition: jira.defaultDisposition,
      transitions: jira.transitions,
      linkedTaskStatus: 'assigned',
      ...over,
    });

    it("ignores Warden's own changes", () => {
      expect(webhookDecision(event({ accountId: 'acc-warden' }), ctx()).action).toBe('ignore');
    });

    it("applies a person's change however long ago Jira stamped it (an echo is known by identity, not time)", () => {
      expect(webhookDecision(event({ timestamp: Date.parse('2020-01-01T00:00:00Z') }), ctx()).action).toBe('resolve');
    });

    it('ignores event types it does not follow', () => {
      expect(webhookDecision(event({ type: 'jira:issue_deleted' }), ctx()).action).toBe('ignore');
    });

    it('resolves on a done status, with the default disposition', () => {
      expect(webhookDecision(event(), ctx())).toEqual({
        action: 'resolve',
        disposition: 'true_positive',
        resolution: 'Resolved in Jira (SOC-1: Done).',
        accountId: 'acc-sam',
      });
    });

    it("takes the disposition from the issue's resolution", () => {
      expect(webhookDecision(event({ resolutionName: 'false positive' }), ctx())).toMatchObject({
        action: 'resolve',
        disposition: 'false_positive',
      });
    });

    it('ignores a resolve for a task already closed', () => {
      expect(webhookDecision(event(), ctx({ linkedTaskStatus: 'closed' })).action).toBe('ignore');
    });

    it('acknowledges on the status acknowledged maps to', () => {
      expect(webhookDecision(event({ statusChange: { from: 'To Do', to: 'In Progress' } }), ctx())).toEqual({
        action: 'status',
        status: 'acknowledged',
        accountId: 'acc-sam',
      });
    });

    it('ignores that status once the task is acknowledged', () => {
      expect(
        webhookDecision(event({ statusChange: { from: 'To Do', to: 'In Progress' } }), ctx({ linkedTaskStatus: 'acknowledged' })).action,
      ).toBe('ignore');
    });

    it('ignores a status that maps to nothing', () => {
      expect(webhookDecision(event({ statusChange: { from: 'To Do', to: 'In Review' } }), ctx()).action).toBe('ignore');
    });

    it('ignores an update without a status change', () => {
      expect(webhookDecision(event({ statusChange: null }), ctx()).action).toBe('ignore');
    });

    it('turns a comment (ADF) into a task comment', () => {
      const body = { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Looks benign.' }] }] };
      expect(webhookDecision(event({ type: 'comment_created', statusChange: null, commentBody: body }), ctx())).toEqual({
        action: 'comment',
        text: 'Looks benign.',
        author: 'acc-sam',
      });
    });

    it('ignores a comment that carries a Warden footer', () => {
      const text = `Escalated\n\n${commentFooter('task-1:escalation:1')}`;
      expect(
        webhookDecision(event({ type: 'comment_created', statusChange: null, commentBody: text }), ctx({ wardenAccountId: null })).action,
      ).toBe('ignore');
    });

    it('ignores an empty comment', () => {
      expect(webhookDecision(event({ type: 'comment_created', statusChange: null, commentBody: ' \u0000 ' }), ctx()).action).toBe('ignore');
    });
  });

  describe(classifyJiraError.name, () => {
    // Real jira.js errors, from a real Version3Client talking to a loopback server.
    let server: Server;
    let client: Version3Client;
    let answer: { status: number; headers?: Record<string, string>; body?: unknown } = { status: 200 };

    beforeAll(async () => {
      server = createServer((req, res) => {
        req.resume();
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(JSON.stringify(answer.body ?? {}));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      client = new Version3Client({
        host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        authentication: { basic: { email: 'warden@example.com', apiToken: 'token' } },
      });
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    const failure = async (a: typeof answer): Promise<DeliveryError> => {
      answer = a;
      try {
        await client.myself.getCurrentUser();
      } catch (err) {
        return classifyJiraError(err);
      }
      throw new Error('the call did not fail');
    };

    it('retries a 429 no sooner than Retry-After', async () => {
      const e = await failure({ status: 429, headers: { 'retry-after': '30' } });
      expect([e.permanent, e.retryAfterSeconds, e.message]).toEqual([false, 30, 'jira answered 429']);
    });

    it('retries a 5xx', async () => {
      const e = await failure({ status: 503 });
      expect([e.permanent, e.retryAfterSeconds]).toEqual([false, undefined]);
    });

    it.each([400, 401, 403, 404])('gives up on a %i, with what Jira said', async (status) => {
      const e = await failure({ status, body: { errorMessages: ['Issue does not exist'], errors: { priority: 'bad' } } });
      expect([e.permanent, e.message]).toEqual([true, `jira answered ${status}: Issue does not exist; priority: bad`]);
    });

    it('retries when Jira cannot be reached', async () => {
      const dead = new Version3Client({ host: 'http://127.0.0.1:9', authentication: { basic: { email: 'a@b.c', apiToken: 't' } } });
      const e = await dead.myself.getCurrentUser().then(
        () => null,
        (err: unknown) => classifyJiraError(err),
      );
      expect([e?.permanent, e?.message.startsWith('jira unreachable (ECONNREFUSED)')]).toEqual([false, true]);
    });

    it('retries anything else thrown', () => {
      expect(classifyJiraError(new TypeError('boom')).permanent).toBe(false);
    });

    it('passes its own DeliveryError through', () => {
      const own = new DeliveryError('x', true);
      expect(classifyJiraError(own)).toBe(own);
    });
  });
});
