import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Request } from 'playwright-core';
import type { FakeJira } from '../fakes/jira-server';
import { startOidcProvider, type FakeOidcProvider } from '../fakes/oidc-provider';
import type { FakeSlack, SlackMessage } from '../fakes/slack-server';
import { cspViolations, ensureChromium, launchChromium, loaded, Opened, PageWatch, screenshot, watchedPage } from '../support/browser';
import { chatEnv, startChatFakes } from '../support/chat';
import { pollUntil } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { alert, startStack, Stack } from '../support/stack';
import { TcpProxy } from '../support/tcp-proxy';

// Issue 31, in the browser: the link Warden puts in an incident's Slack top message and in its Jira
// issue opens the incident in the workspace. Chromium (playwright-core) with no session opens that
// exact link, goes to Warden's /auth/login?return=…, on to a real OpenID provider (oidc-provider 9,
// its development login form), and comes back to the incident; the OIDC session then changes
// something through the page (take, acknowledge), its CSRF token on each POST. Real api, worker,
// Temporal and PostgreSQL; Slack and Jira are the spec-validated fakes.
//
// The links are PUBLIC_URL's, so PUBLIC_URL has to reach the api: the api takes a free port when it
// starts, after its settings are read, so PUBLIC_URL names a loopback TCP forwarder opened first
// (as a load balancer fronts Warden), which passes every connection to the api. The browser only
// ever uses PUBLIC_URL.

const CLIENT_ID = 'warden-workspace';
const CLIENT_SECRET = 'warden-workspace-client-secret-0123456789';
const TITLE = 'Password spraying on the VPN portal';
/** sara.lindqvist (senior_analyst) is mapped to this subject in assignment.yaml. */
const SARA_SUB = 'sub-sara';

const RULES = [
  // Waits for a senior analyst (everyone is away), so it sits in the capacity queue until taken.
  { name: 'oidc-linked', match: { type: 'ws_oidc_linked' }, action: 'immediate', priority: 'P2', assign_role: 'senior_analyst' },
];

type Doc = Record<string, any>;

/** Every string in a JSON value (Slack blocks and attachments, an ADF document). */
const strings = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : Array.isArray(value)
      ? value.flatMap(strings)
      : value && typeof value === 'object'
        ? Object.values(value).flatMap(strings)
        : [];

/** The workspace links in a Slack message: mrkdwn `<url|text>` whose url opens /app#incident/. */
const slackIncidentLinks = (m: SlackMessage): string[] => [
  ...new Set(strings([m.blocks, m.attachments]).flatMap((s) => [...s.matchAll(/<([^|>]*\/app#incident\/[^|>]*)\|/g)].map((x) => x[1]))),
];

/** The workspace links in an ADF document: the `href` of its link marks that open /app#incident/. */
const adfIncidentLinks = (doc: unknown): string[] => {
  const hrefs: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const n = node as Doc;
      if (n.type === 'link' && typeof n.attrs?.href === 'string') hrefs.push(n.attrs.href);
      Object.values(n).forEach(walk);
    }
  };
  walk(doc);
  return [...new Set(hrefs.filter((h) => h.includes('/app#incident/')))];
};

describe('GET /app through single sign-on, from the links in Slack and Jira (browser, oidc-provider 9)', () => {
  let front: TcpProxy;
  let publicUrl: string;
  let idp: FakeOidcProvider;
  let slack: FakeSlack;
  let jira: FakeJira;
  let stack: Stack;
  let browser: Browser;
  const screenshots = mkdtempSync(join(tmpdir(), 'warden-workspace-oidc-'));
  const watch: PageWatch = { problems: [], failures: [], dialogs: [] };
  let incident: { id: string; taskId: string };
  /** The link as the Slack top message and the Jira description gave it. */
  let links: { slack: string[]; jira: string[] };
  /** The signed-in page, from the sign-in test on. */
  let sara: Opened;
  /** Every CSRF token GET /v1/session gave the signed-in page: each POST must carry one of them. */
  const tokens = new Set<string>();

  beforeAll(ensureChromium, 15 * 60_000);

  beforeAll(async () => {
    let apiPort = 0;
    front = new TcpProxy('127.0.0.1', () => apiPort);
    publicUrl = `http://127.0.0.1:${await front.start()}`;
    idp = await startOidcProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: `${publicUrl}/auth/callback`,
      accounts: { [SARA_SUB]: { email: 'sara@example.org', email_verified: true, name: 'Sara Lindqvist' } },
    });
    ({ slack, jira } = await startChatFakes());
    stack = await startStack({
      name: 'workspace-oidc',
      rules: (doc) => {
        doc.defaults.storm = false;
        doc.rules = [...RULES, ...doc.rules];
      },
      assignment: (doc) => {
        for (const a of doc.analysts as Doc[]) {
          a.available = false;
          if (a.id === 'sara.lindqvist') a.oidc_sub = SARA_SUB;
        }
      },
      env: {
        ...chatEnv(slack, jira),
        PUBLIC_URL: publicUrl,
        OIDC_ISSUER_URL: idp.issuer,
        OIDC_CLIENT_ID: CLIENT_ID,
        OIDC_CLIENT_SECRET: CLIENT_SECRET,
      },
    });
    apiPort = Number(new URL(stack.api.url).port);

    const res = await stack.ingest(
      'POST',
      '/v1/alerts',
      alert({ type: 'ws_oidc_linked', severity: 'high', title: TITLE, sourceIp: uniqueIp() }),
    );
    expect(res.status).toBe(202);
    const incidentId: string = res.body.incidentId;
    const [task] = await stack.firstAssignments([incidentId]);
    expect(task.assignee_id).toBeNull();
    incident = { id: incidentId, taskId: task.id };

    browser = await launchChromium();
    console.log(`workspace (single sign-on) screenshots: ${screenshots}`);
  }, 180_000);

  afterAll(async () => {
    await sara?.context.close().catch(() => undefined);
    await browser?.close();
    await stack?.close();
    await Promise.all([front?.stop(), idp?.close(), slack?.close(), jira?.close()]);
  });

  it("the incident's Slack top message and its Jira description link its page in the workspace at PUBLIC_URL", async () => {
    const [top] = await pollUntil(
      async () =>
        slack.messages.filter((m) => m.threadTs === null && !m.channel.startsWith('D') && JSON.stringify(m).includes(incident.id)),
      (m) => m.length > 0,
      { what: `the Slack top message of incident ${incident.id}`, timeoutMs: 30_000 },
    );
    const [issue] = await pollUntil(
      async () => [...jira.issues.values()].filter((i) => i.labels.includes(`warden-incident-${incident.id}`)),
      (i) => i.length > 0,
      { what: `the Jira issue of incident ${incident.id}`, timeoutMs: 30_000 },
    );
    links = { slack: slackIncidentLinks(top), jira: adfIncidentLinks(issue.description) };
    expect(links).toEqual({
      slack: [`${publicUrl}/app#incident/${incident.id}`],
      jira: [`${publicUrl}/app#incident/${incident.id}`],
    });
  });

  it('opened without a session, the link goes to sign-in, on to the provider, and back to the incident', async () => {
    expect(links).toBeDefined();
    // The provider's development login page is not Warden's: it is not held to Warden's rules
    // (it loads a web font and has inline styles), so its origin is left out of the checks.
    sara = await watchedPage(browser, watch, [idp.issuer]);
    const { context, page, requests } = sara;
    page.on('response', async (res) => {
      if (new URL(res.url()).pathname === '/v1/session' && res.ok()) tokens.add(((await res.json()) as { csrfToken: string }).csrfToken);
    });
    // The provider's page imports a web font from the internet: refused here rather than left to time out.
    await context.route(/^https:\/\/fonts\.googleapis\.com\//, (route) => route.abort());
    await page.goto(links.slack[0]);
    const loginForm = page.locator('form input[name="login"]');
    await loginForm.waitFor({ timeout: 20_000 });
    const atProvider = new URL(page.url());
    await screenshot(page, screenshots, 'oidc-0-provider-login');
    await loginForm.fill(SARA_SUB);
    await page.fill('form input[name="password"]', 'any password at all');
    // The provider grants Warden what it asks for without a consent page: after its login form it sends the browser back.
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(`${publicUrl}/app`), { timeout: 30_000 }),
      page.click('form button[type="submit"]'),
    ]);
    await loaded(page, 'incident');
    await page.locator('#incident-title').filter({ hasText: TITLE }).waitFor({ timeout: 20_000 });

    const navigations = requests
      .filter((r) => r.isNavigationRequest() && r.frame() === page.mainFrame())
      .map((r: Request) => new URL(r.url()));
    const signInAt = navigations.find((u) => u.origin === publicUrl && u.pathname === '/auth/login');
    const session = await context.request.get(`${publicUrl}/v1/session`);
    expect({
      first: navigations[0].href,
      signIn: signInAt?.searchParams.get('return'),
      provider: atProvider.origin,
      callback: navigations.some((u) => u.origin === publicUrl && u.pathname === '/auth/callback'),
      landed: page.url(),
      title: await page.textContent('#incident-title'),
      session: [session.status(), ((await session.json()) as Doc).analyst?.id, ((await session.json()) as Doc).via],
      csp: await cspViolations(page),
    }).toEqual({
      // The link as sent: the fragment stays in the browser, so the page itself asks for sign-in.
      first: `${publicUrl}/app`,
      signIn: `/app#incident/${incident.id}`,
      provider: idp.issuer,
      callback: true,
      landed: `${publicUrl}/app#incident/${incident.id}`,
      title: TITLE,
      session: [200, 'sara.lindqvist', 'oidc'],
      csp: [],
    });
    await screenshot(page, screenshots, 'oidc-1-incident-from-link');
  });

  it('with that session, takes the task from the capacity queue and acknowledges it, each POST with the CSRF token /v1/session gave', async () => {
    const { page, requests } = sara;
    await page.evaluate(() => (location.hash = '#queue'));
    await loaded(page, 'queue');
    const waiting = page.locator(`#capacity-queue tr[data-task-id="${incident.taskId}"]`);
    await waiting.locator('button[data-action="take"]').click();
    const mine = page.locator(`#my-tasks tr[data-task-id="${incident.taskId}"]`);
    await mine.waitFor({ timeout: 20_000 });
    await mine.locator('button[data-action="ack"]').click();
    await page.waitForSelector(`#my-tasks tr[data-task-id="${incident.taskId}"][data-status="acknowledged"]`, { timeout: 20_000 });
    const [task] = await stack.db.query<{ assignee_id: string; status: string }[]>(`SELECT assignee_id, status FROM tasks WHERE id = $1`, [
      incident.taskId,
    ]);
    const actions = await stack.db.query<{ action: string; actor: string }[]>(
      `SELECT action, actor FROM audit_log WHERE subject_id = $1 AND action IN ('task.assigned', 'task.acknowledged') AND actor LIKE 'analyst:%' ORDER BY id`,
      [incident.taskId],
    );
    expect({
      task,
      actions,
      posts: requests
        .filter((r) => r.method() === 'POST' && new URL(r.url()).origin === publicUrl)
        .map((r) => [new URL(r.url()).pathname, tokens.has(r.headers()['x-csrf-token'])]),
      csp: await cspViolations(page),
    }).toEqual({
      task: { assignee_id: 'sara.lindqvist', status: 'acknowledged' },
      actions: [
        { action: 'task.assigned', actor: 'analyst:sara.lindqvist' },
        { action: 'task.acknowledged', actor: 'analyst:sara.lindqvist' },
      ],
      posts: [
        [`/v1/tasks/${incident.taskId}/take`, true],
        [`/v1/tasks/${incident.taskId}/ack`, true],
      ],
      csp: [],
    });
    await screenshot(page, screenshots, 'oidc-2-taken-and-acknowledged');
  });

  it("ran Warden's pages without a page error, a Content-Security-Policy violation, a dialog or a refusal but the session not there before sign-in", () => {
    expect({ ...watch, failures: [...new Set(watch.failures)] }).toEqual({
      problems: [],
      dialogs: [],
      failures: ['401 GET /v1/session'],
    });
  });
});
