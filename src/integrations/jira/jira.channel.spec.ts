import type { OutgoingNotification } from '../../notifications/notifier';
import type { IntegrationsConfig } from '../integrations.schema';
import type { CreateAttempt, Created, IntegrationLink } from '../links';
import type { IncidentSnapshot } from '../snapshot';
import { JiraChannel, type JiraClient } from './jira.channel';
import { rollUpEnrichment } from '../../enrichment';

const INCIDENT = '0b5f7c3e-1111-4a4a-9c9c-123456789abc';
const TASK = '9d0c6f6e-2222-4b4b-8d8d-abcdefabcdef';

const config = {
  publicUrl: 'https://warden.example',
  jira: {
    project: 'SOC',
    issueType: 'Task',
    priorities: { P1: 'Highest', P2: 'High', P3: 'Medium', P4: 'Low' },
    transitions: { acknowledged: 'In Progress', resolved: 'Done' },
    doneStatuses: ['Done'],
    resolutions: {},
    defaultDisposition: 'true_positive',
  },
} as unknown as IntegrationsConfig;

const snapshot = (status: 'assigned' | 'acknowledged' = 'assigned'): IncidentSnapshot => ({
  incident: {
    id: INCIDENT,
    title: 'Port scan',
    severity: 'high',
    priority: 'P2',
    status: 'open',
    types: ['port_scan'],
    sourceIp: '198.51.100.1',
    user: null,
    host: null,
    alertCount: 1,
    firstSeenAt: '2026-01-01T00:00:00.000Z',
    lastSeenAt: '2026-01-01T00:00:00.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
    resolvedAt: null,
    storm: false,
    team: null,
  },
  task: {
    id: TASK,
    status,
    assigneeId: 'sam',
    assigneeName: 'Sam',
    ackDeadline: null,
    resolveDeadline: null,
    disposition: null,
    checklist: [],
  },
  alerts: [],
  pendingApprovals: [],
  enrichment: rollUpEnrichment([]),
  links: { incident: `https://warden.example/app#incident/${INCIDENT}`, jira: null },
});

const notice = (kind: string, over: Partial<OutgoingNotification> = {}): OutgoingNotification => ({
  key: `k-${kind}`,
  kind,
  recipients: [],
  taskId: TASK,
  incidentId: INCIDENT,
  title: 'Escalated',
  text: 'Port scan (P2)',
  data: {},
  ...over,
});

/**
 * A Jira stand-in that records each call; `issues` is what a search finds, `comments` what it holds.
 * `failNext` makes the next call of a method throw before doing anything (503), `applyThenFail` do its
 * work and then throw (Jira answered 500).
 */
function stand(issues: Record<string, unknown>[] = []) {
  const calls: { method: string; args: any }[] = [];
  const comments: { id: string; body: unknown; created: string }[] = [];
  const failNext = new Set<string>();
  const applyThenFail = new Set<string>();
  const record = (method: string, answer: (args: any) => unknown) => async (args: any) => {
    calls.push({ method, args });
    if (failNext.delete(method)) throw Object.assign(new Error('Request failed with status code 503'), { status: 503 });
    const result = answer(args);
    if (applyThenFail.delete(method)) throw Object.assign(new Error('Request failed with status code 500'), { status: 500 });
    return result;
  };
  const client = {
    issueSearch: { searchForIssuesUsingJqlEnhancedSearch: record('search', () => ({ issues })) },
    issues: {
      createIssue: record('createIssue', () => ({ id: '10001', key: 'SOC-1', self: '' })),
      editIssue: record('editIssue', () => undefined),
      getTransitions: record('getTransitions', () => ({ transitions: [{ id: '21', name: 'Start', to: { name: 'In Progress' } }] })),
      doTransition: record('doTransition', () => undefined),
    },
    issueComments: {
      addComment: record('addComment', (args) => {
        const comment = { id: String(20000 + comments.length), body: args.comment, created: new Date().toISOString() };
        comments.push(comment);
        return comment;
      }),
      getComments: record('getComments', () => ({ startAt: 0, total: comments.length, comments: [...comments].reverse() })),
    },
    myself: { getCurrentUser: record('getCurrentUser', () => ({ accountId: 'acc-warden' })) },
  } as unknown as JiraClient;
  return { client, calls, comments, failNext, applyThenFail };
}

/**
 * Links in memory: `ensure` runs `create` only while nothing is stored, and tells it about an earlier
 * attempt that threw (its outcome unknown), as the real one does.
 */
function memoryLinks() {
  const stored = new Map<string, IntegrationLink>();
  const attempted = new Map<string, Date>();
  const synced: string[] = [];
  return {
    synced,
    stored,
    links: {
      async ensure(channel: string, subjectId: string, create: (attempt: CreateAttempt) => Promise<Created>) {
        const existing = stored.get(subjectId);
        if (existing) return existing;
        const earlierSince = attempted.get(subjectId) ?? null;
        if (!earlierSince) attempted.set(subjectId, new Date());
        const made = await create({ earlierSince, intent: {} });
        const link = {
          channel,
          subjectId,
          externalId: made.externalId,
          external: made.external ?? {},
          syncedAt: new Date(),
        } as unknown as IntegrationLink;
        stored.set(subjectId, link);
        return link;
      },
      async synced(_channel: string, subjectId: string) {
        synced.push(subjectId);
      },
    },
  };
}

const channel = (client: JiraClient, links: ReturnType<typeof memoryLinks>['links'], s: IncidentSnapshot | null = snapshot()) =>
  new JiraChannel(client, { read: async () => s }, links, config, { jiraAccountOf: (id) => (id === 'sam' ? 'acc-sam' : null) });

const methods = (calls: { method: string }[]) => calls.map((c) => c.method);

/** An issue already linked to the task, in the status and with the fields the snapshot wants but the priority. */
const linkedIssue = {
  id: '10001',
  key: 'SOC-1',
  fields: {
    summary: '[P2] Port scan',
    priority: { name: 'High' },
    assignee: { accountId: 'acc-sam' },
    labels: ['warden', `warden-incident-${INCIDENT}`, `warden-task-${TASK}`, 'warden-severity-high'],
    status: { name: 'In Progress' },
  },
};

const withIssue = (mem: ReturnType<typeof memoryLinks>) => {
  mem.stored.set(TASK, {
    channel: 'jira',
    subjectId: TASK,
    externalId: 'SOC-1',
    external: { id: '10001' },
    syncedAt: new Date(),
  } as unknown as IntegrationLink);
  return mem;
};

describe(JiraChannel.name, () => {
  it('looks for the issue by its label, then creates it with the fields and the description', async () => {
    const { client, calls } = stand();
    const mem = memoryLinks();
    await channel(client, mem.links).send(notice('assigned'));
    expect(methods(calls)).toEqual(['search', 'createIssue']);
    expect(calls[0].args.jql).toBe(`project = "SOC" AND labels = "warden-incident-${INCIDENT}" ORDER BY created ASC`);
    expect(calls[1].args.fields).toMatchObject({
      summary: '[P2] Port scan',
      priority: { name: 'High' },
      assignee: { accountId: 'acc-sam' },
      description: { type: 'doc', version: 1 },
    });
    expect(mem.synced).toEqual([TASK]);
  });

  it('adopts the issue a lost create answer made instead of creating a second', async () => {
    const found = { id: '10009', key: 'SOC-9', fields: { labels: ['warden', `warden-incident-${INCIDENT}`, `warden-task-${TASK}`] } };
    const { client, calls } = stand([found]);
    const mem = memoryLinks();
    await channel(client, mem.links).send(notice('assigned'));
    expect([methods(calls).includes('createIssue'), mem.stored.get(TASK)?.externalId]).toEqual([false, 'SOC-9']);
  });

  it('edits only what differs, moves the issue, and comments with the notice key', async () => {
    const current = {
      id: '10001',
      key: 'SOC-1',
      fields: {
        summary: '[P2] Port scan',
        priority: { name: 'Low' },
        assignee: { accountId: 'acc-sam' },
        labels: ['warden', `warden-incident-${INCIDENT}`, `warden-task-${TASK}`, 'warden-severity-high'],
        status: { name: 'To Do' },
      },
    };
    const { client, calls } = stand([current]);
    const mem = memoryLinks();
    mem.stored.set(TASK, {
      channel: 'jira',
      subjectId: TASK,
      externalId: 'SOC-1',
      external: { id: '10001' },
      syncedAt: new Date(),
    } as unknown as IntegrationLink);
    await channel(client, mem.links, snapshot('acknowledged')).send(notice('escalation'));
    expect(methods(calls)).toEqual(['search', 'editIssue', 'getTransitions', 'doTransition', 'addComment']);
    expect(calls[1].args.fields).toEqual({ priority: { name: 'High' } });
    expect(calls[3].args.transition).toEqual({ id: '21' });
    expect(JSON.stringify(calls[4].args.comment)).toContain('— Warden notice k-escalation');
  });

  it('adds a comment without reading the comments first', async () => {
    const { client, calls } = stand([linkedIssue]);
    const mem = withIssue(memoryLinks());
    await channel(client, mem.links, snapshot('acknowledged')).send(notice('escalation'));
    expect(methods(calls).filter((m) => m.includes('Comment'))).toEqual(['addComment']);
  });

  it('does not add a comment again when Jira added it and answered 500: the retry finds its footer', async () => {
    const { client, calls, comments, applyThenFail } = stand([linkedIssue]);
    const mem = withIssue(memoryLinks());
    const jira = channel(client, mem.links, snapshot('acknowledged'));
    applyThenFail.add('addComment');
    await expect(jira.send(notice('escalation'))).rejects.toMatchObject({ permanent: false });
    await jira.send(notice('escalation'));
    expect({ comments: comments.length, calls: methods(calls).filter((m) => m.includes('Comment')) }).toEqual({
      comments: 1,
      calls: ['addComment', 'getComments'],
    });
  });

  it('adds the comment on the retry when the failed attempt added none', async () => {
    const { client, calls, comments, failNext } = stand([linkedIssue]);
    const jira = channel(client, withIssue(memoryLinks()).links, snapshot('acknowledged'));
    failNext.add('addComment');
    await expect(jira.send(notice('escalation'))).rejects.toMatchObject({ permanent: false });
    await jira.send(notice('escalation'));
    expect({ comments: comments.length, calls: methods(calls).filter((m) => m.includes('Comment')) }).toEqual({
      comments: 1,
      calls: ['addComment', 'getComments', 'addComment'],
    });
  });

  it('makes no call to move an issue already in the target status', async () => {
    const current = {
      id: '10001',
      key: 'SOC-1',
      fields: {
        summary: '[P2] Port scan',
        priority: { name: 'High' },
        assignee: { accountId: 'acc-sam' },
        labels: ['warden', `warden-incident-${INCIDENT}`, `warden-task-${TASK}`, 'warden-severity-high'],
        status: { name: 'In Progress' },
      },
    };
    const { client, calls } = stand([current]);
    const mem = memoryLinks();
    mem.stored.set(TASK, {
      channel: 'jira',
      subjectId: TASK,
      externalId: 'SOC-1',
      external: { id: '10001' },
      syncedAt: new Date(),
    } as unknown as IntegrationLink);
    await channel(client, mem.links, snapshot('acknowledged')).send(notice('task.acknowledged', { data: { origin: 'jira' } }));
    expect(methods(calls)).toEqual(['search']);
  });

  it('does nothing for a notice without a task', async () => {
    const { client, calls } = stand();
    await channel(client, memoryLinks().links, null).send(notice('approval.requested', { taskId: null }));
    expect(calls).toEqual([]);
  });

  it('throws a permanent DeliveryError when Jira refuses', async () => {
    const { client } = stand();
    (client.issues as any).createIssue = async () => {
      throw Object.assign(new Error('Request failed'), { status: 400, response: { data: { errors: { priority: 'invalid' } } } });
    };
    await expect(channel(client, memoryLinks().links).send(notice('assigned'))).rejects.toMatchObject({
      name: 'DeliveryError',
      permanent: true,
      message: 'jira answered 400: priority: invalid',
    });
  });
});
