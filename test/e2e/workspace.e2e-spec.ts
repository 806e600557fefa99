import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { createApiKey } from '../../src/auth/api-keys.service';
import { startContainmentWebhook, type FakeContainmentWebhook } from '../fakes/containment-webhook';
import { ensureChromium, launchChromium, loaded, Opened, PageWatch, screenshot as saveScreenshot, watchedPage } from '../support/browser';
import { client, pollUntil } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { alert, startStack, Stack } from '../support/stack';

// The analyst's workspace (GET /app) in Debian's chromium, driven by playwright-core, against the
// real api, worker, Temporal and PostgreSQL: a senior analyst takes a task from the capacity
// queue, acknowledges it, approves the gated block, resolves it as a false positive and sees the
// block rolled back in the run; a junior analyst's Approve shows the rule's refusal; a hostile
// alert title stays text on every page; the page updates without a reload (ETags); no page error
// and no Content-Security-Policy violation anywhere.
//
// Each browser context signs in for real, as a person without an identity provider does: Warden's
// sign-in page (/auth/login) and its form with an API key acting for the analyst (/auth/key). From
// then on the page has nothing but the session: its cookie on every request, its CSRF token on every
// change. (Single sign-on against a real OpenID provider is test/e2e/sign-in.e2e-spec.ts.)

const SCREENSHOTS = mkdtempSync(join(tmpdir(), 'warden-workspace-'));

/** Markup, a right-to-left override and zero-width characters: shown as the exact text, never run. */
const HOSTILE_TITLE =
  '<img src=x onerror=alert(1)><script>window.__pwned=1</script> \u202Egnp.exe\u202C invoice\u200B\u200D <b>bold</b> & <svg onload=alert(2)>';

const RULES = [
  // A block that waits for a senior analyst's approval; the task waits for the senior role.
  {
    name: 'ws-gated',
    match: { type: 'ws_gated' },
    action: 'immediate',
    priority: 'P2',
    assign_role: 'senior_analyst',
    playbooks: ['ws-block'],
  },
  { name: 'ws-hostile', match: { type: 'ws_hostile' }, action: 'immediate', priority: 'P2', assign_role: 'senior_analyst' },
];
const PLAYBOOK = `steps:
  - id: evidence
    action: collect_evidence
    with: { window: 1h, related_by: [ip] }
  - id: block
    action: block_ip
    with: { ip: '{{ incident.source_ip }}' }
    approval: { role: senior_analyst, timeout: 30m, on_timeout: deny }
`;

/** sen.one is the only senior analyst and away, so senior tasks wait in the capacity queue until someone takes one. */
const roster = (doc: Record<string, unknown>) =>
  Object.assign(doc, {
    analysts: [
      { id: 'sen.one', name: 'Sen One', role: 'senior_analyst', capacity: 5, available: false },
      { id: 'jun.one', name: 'Jun One', role: 'junior_analyst', capacity: 100 },
      { id: 'lead.one', name: 'Lead One', role: 'team_lead', capacity: 0 },
      { id: 'exec.one', name: 'Exec One', role: 'executive', capacity: 0 },
    ],
    teams: [],
    on_call: { rotations: [], overrides: [] },
  });

describe('GET /app: the analyst workspace (browser)', () => {
  let stack: Stack;
  let firewall: FakeContainmentWebhook;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  /** Script errors and CSP violations of every page of every context; every answer of 400 or more: only the refusals the test provokes may appear. */
  const watch: PageWatch = { problems: [], failures: [], dialogs: [] };
  const { problems, failures, dialogs } = watch;
  const keys: Record<string, string> = {};
  let gated: { incidentId: string; taskId: string; approvalId: string; ip: string };
  let refused: { incidentId: string; taskId: string; approvalId: string };
  let hostile: { incidentId: string; taskId: string; ip: string };

  beforeAll(ensureChromium, 15 * 60_000);

  beforeAll(async () => {
    process.env.WS_TEST_FW_SECRET = 'workspace-test-firewall-secret';
    firewall = await startContainmentWebhook({ secret: process.env.WS_TEST_FW_SECRET });
    stack = await startStack({
      name: 'workspace',
      assignment: roster,
      rules: (doc) => {
        doc.defaults.storm = false;
        doc.rules = [...RULES, ...doc.rules];
      },
      files: { 'playbooks/ws-block.yaml': PLAYBOOK },
      containment: (doc) => {
        doc.adapters.firewall = { type: 'webhook', url: firewall.url, secret_env: 'WS_TEST_FW_SECRET' };
      },
    });
    for (const [id, scopes] of [
      ['sen.one', ['analyst']],
      ['jun.one', ['analyst']],
      ['exec.one', ['lead']],
    ] as const) {
      keys[id] = (await createApiKey(stack.db, `workspace-${id}`, [...scopes], id)).key;
    }

    const ips = [uniqueIp(), uniqueIp(), uniqueIp()];
    const res = await stack.ingest('POST', '/v1/alerts', [
      alert({ type: 'ws_gated', severity: 'high', title: 'Brute force on the VPN', sourceIp: ips[0] }),
      alert({ type: 'ws_gated', severity: 'high', title: 'Brute force on the mail gateway', sourceIp: ips[1] }),
      alert({ type: 'ws_hostile', severity: 'high', title: HOSTILE_TITLE, sourceIp: ips[2], user: 'mallory', host: 'ws-hostile-1' }),
    ]);
    expect(res.status).toBe(202);
    const incidentIds: string[] = res.body.results.map((r: { incidentId: string }) => r.incidentId);
    const tasks = await stack.firstAssignments(incidentIds);
    // Nobody of the senior role is free: all three wait in the capacity queue.
    expect(tasks.map((t) => t.assignee_id)).toEqual([null, null, null]);
    const approvals = await pollUntil(
      () =>
        stack.db.query<{ id: string; incident_id: string }[]>(
          `SELECT id, incident_id FROM approvals WHERE incident_id = ANY($1::uuid[]) AND status = 'pending'`,
          [incidentIds.slice(0, 2)],
        ),
      (rows) => rows.length === 2,
      { what: 'the two pending approvals', timeoutMs: 60_000 },
    );
    const approvalOf = (incidentId: string) => approvals.find((a) => a.incident_id === incidentId)!.id;
    gated = { incidentId: incidentIds[0], taskId: tasks[0].id, approvalId: approvalOf(incidentIds[0]), ip: ips[0] };
    refused = { incidentId: incidentIds[1], taskId: tasks[1].id, approvalId: approvalOf(incidentIds[1]) };
    hostile = { incidentId: incidentIds[2], taskId: tasks[2].id, ip: ips[2] };

    browser = await launchChromium();
    console.log(`workspace screenshots: ${SCREENSHOTS}`);
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await stack?.close();
    await firewall?.close();
  });

  /** Signs in on Warden's sign-in page the page is on, with the key acting for `analystId`. */
  async function signIn(page: Page, analystId: string): Promise<void> {
    await page.waitForSelector('form[action="/auth/key"]', { timeout: 20_000 });
    await page.fill('#key', keys[analystId]);
    await Promise.all([page.waitForURL(/\/app(#|$)/, { timeout: 20_000 }), page.click('form[action="/auth/key"] button[type="submit"]')]);
  }

  /**
   * A browser context of its own (its own cookies), watching for errors, signed in as `analystId`
   * on the sign-in page and sent on to `/app<hash>`; `signedIn: false` opens `/app<hash>` with no session.
   */
  async function open(analystId: string, hash: string, options: { signedIn?: boolean } = {}): Promise<Opened> {
    const opened = await watchedPage(browser, watch);
    const { context, page } = opened;
    contexts.push(context);
    if (options.signedIn === false) await page.goto(`${stack.api.url}/app${hash}`);
    else {
      await page.goto(`${stack.api.url}/auth/login?return=${encodeURIComponent(`/app${hash}`)}`);
      await signIn(page, analystId);
    }
    return opened;
  }

  /** Checks the page ran nothing from alert text: no element or handler from it, no dialog; and no CSP violation. */
  async function nothingRan(page: Page): Promise<void> {
    expect(
      await page.evaluate(() => ({
        pwned: (window as unknown as { __pwned?: unknown }).__pwned ?? null,
        injected: document.querySelectorAll('img, svg, iframe, object, embed, b, body script:not([src])').length,
        handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length,
        csp: (window as unknown as { __csp: string[] }).__csp,
        // Nothing the page writes shows a value it could not format.
        garbled: /\bnull\b|\bundefined\b|\[object Object\]|\bNaN\b/.exec(document.body.innerText)?.[0] ?? null,
      })),
    ).toEqual({ pwned: null, injected: 0, handlers: 0, csp: [], garbled: null });
  }

  const screenshot = (page: Page, name: string) => saveScreenshot(page, SCREENSHOTS, name);

  const taskRow = (page: Page, table: 'my-tasks' | 'capacity-queue', taskId: string) =>
    page.locator(`#${table} tr[data-task-id="${taskId}"]`);

  describe('a senior analyst works an incident from the capacity queue to the rollback', () => {
    let senior: Opened;

    beforeAll(async () => {
      senior = await open('sen.one', '#queue');
      await loaded(senior.page, 'queue');
    });

    it('shows the capacity queue of her role, with Take, and her own tasks (none yet)', async () => {
      await taskRow(senior.page, 'capacity-queue', gated.taskId).waitFor({ timeout: 20_000 });
      expect({
        title: await senior.page.textContent('#capacity-title'),
        waiting: (
          await senior.page.$$eval('#capacity-queue tr[data-task-id]', (rows) => rows.map((r) => (r as HTMLElement).dataset.taskId))
        ).sort(),
        take: await taskRow(senior.page, 'capacity-queue', gated.taskId).locator('button[data-action="take"]').count(),
        mine: await senior.page.locator('#my-tasks tr[data-task-id]').count(),
      }).toEqual({
        title: 'Waiting for my role: senior_analyst',
        waiting: [gated.taskId, refused.taskId, hostile.taskId].sort(),
        take: 1,
        mine: 0,
      });
      await screenshot(senior.page, '1-queue');
    });

    it('takes the task: it leaves the capacity queue for her own, with its SLA countdown', async () => {
      await taskRow(senior.page, 'capacity-queue', gated.taskId).locator('button[data-action="take"]').click();
      await taskRow(senior.page, 'my-tasks', gated.taskId).waitFor({ timeout: 20_000 });
      const [task] = await stack.db.query<{ assignee_id: string }[]>(`SELECT assignee_id FROM tasks WHERE id = $1`, [gated.taskId]);
      expect({
        assignee: task.assignee_id,
        stillWaiting: await taskRow(senior.page, 'capacity-queue', gated.taskId).count(),
        countdown: await taskRow(senior.page, 'my-tasks', gated.taskId).locator('.countdown').textContent(),
        said: await senior.page.textContent('#queue-result .detail'),
      }).toEqual({
        assignee: 'sen.one',
        stillWaiting: 0,
        countdown: expect.stringMatching(/^(\d+m \d\ds|\d+h \d\dm) left$/),
        said: 'Taken: Brute force on the VPN',
      });
    });

    it('acknowledges it from the queue', async () => {
      await taskRow(senior.page, 'my-tasks', gated.taskId).locator('button[data-action="ack"]').click();
      await senior.page.waitForSelector(`#my-tasks tr[data-task-id="${gated.taskId}"][data-status="acknowledged"]`, { timeout: 20_000 });
      const [task] = await stack.db.query<{ status: string }[]>(`SELECT status FROM tasks WHERE id = $1`, [gated.taskId]);
      expect(task.status).toBe('acknowledged');
    });

    it('opens the incident from its title and approves the gated block: the firewall blocks the address', async () => {
      await taskRow(senior.page, 'my-tasks', gated.taskId).locator('td.title a').click();
      await loaded(senior.page, 'incident');
      const card = senior.page.locator(`#incident-pending [data-approval-id="${gated.approvalId}"]`);
      await card.waitFor({ timeout: 20_000 });
      await card.locator('input[name="reason"]').fill('confirmed brute force');
      await card.locator('button[data-decision="approve"]').click();
      // The step runs in its workflow; the page shows it on a later poll, without a reload.
      await senior.page.waitForSelector('#incident-runs li[data-step-id="block"][data-status="succeeded"]', { timeout: 30_000 });
      const [approval] = await stack.db.query<{ status: string; decided_by: string }[]>(
        `SELECT status, decided_by FROM approvals WHERE id = $1`,
        [gated.approvalId],
      );
      expect({ approval, blocked: firewall.blocked.has(gated.ip), pending: await card.count() }).toEqual({
        approval: { status: 'approved', decided_by: 'analyst:sen.one' },
        blocked: true,
        pending: 0,
      });
    });

    it("verifies the incident's evidence chain on request, as the API does", async () => {
      await senior.page.waitForSelector('#incident-evidence tbody tr', { timeout: 30_000 });
      await senior.page.click('button[data-action="verify-evidence"]');
      await senior.page.waitForSelector('#evidence-verification[data-ok]', { timeout: 20_000 });
      const api = await client(stack.api.url, keys['sen.one'])('GET', `/v1/incidents/${gated.incidentId}/evidence/verification`);
      expect({
        api: [api.status, api.body.ok, api.body.bundles, api.body.sealed, api.body.problems],
        shown: await senior.page.textContent('#evidence-verification'),
      }).toEqual({
        api: [200, true, 1, 1, []],
        shown: 'Verified just now: 1 bundle(s), 1 sealed in the audit log; every hash and link holds.',
      });
    });

    it('resolves it as a false positive and sees the block rolled back in the run', async () => {
      const form = senior.page.locator(`#incident-tasks [data-task-id="${gated.taskId}"] form[data-form="resolve"]`);
      await form.locator('select[name="disposition"]').selectOption('false_positive');
      await form.locator('input[name="resolution"]').fill('the VPN health check');
      await form.locator('button[data-action="resolve"]').click();
      const step = senior.page.locator('#incident-runs li[data-step-id="block"][data-compensation="compensated"]');
      await step.waitFor({ timeout: 30_000 });
      const [task] = await stack.db.query<{ status: string; disposition: string }[]>(
        `SELECT status, disposition FROM tasks WHERE id = $1`,
        [gated.taskId],
      );
      expect({
        task: { status: ['resolved', 'closed'].includes(task.status), disposition: task.disposition },
        step: await step.locator('.undo').textContent(),
        run: await senior.page.getAttribute('#incident-runs .run', 'data-status'),
        blocked: firewall.blocked.has(gated.ip),
      }).toEqual({
        task: { status: true, disposition: 'false_positive' },
        step: ' \u00b7 rolled back',
        run: 'compensated',
        blocked: false,
      });
      await nothingRan(senior.page);
      await screenshot(senior.page, '2-incident-rolled-back');
    });
  });

  describe("a junior analyst's Approve", () => {
    it("is refused with the rule's reason, shown as the API's problem detail, and the approval stays pending", async () => {
      const junior = await open('jun.one', `#incident/${refused.incidentId}`);
      await loaded(junior.page, 'incident');
      const card = junior.page.locator(`#incident-pending [data-approval-id="${refused.approvalId}"]`);
      await card.locator('input[name="reason"]').fill('looks bad to me');
      await card.locator('button[data-decision="approve"]').click();
      await junior.page.waitForSelector('#incident-result.refused', { timeout: 20_000 });
      // The same request through the API, independently of the page: the same refusal.
      const api = await client(stack.api.url, keys['jun.one'])('POST', `/v1/approvals/${refused.approvalId}`, {
        decision: 'approve',
        reason: 'looks bad to me',
      });
      const [approval] = await stack.db.query<{ status: string }[]>(`SELECT status FROM approvals WHERE id = $1`, [refused.approvalId]);
      expect({
        status: api.status,
        shown: await junior.page.textContent('#incident-result .detail'),
        approval: approval.status,
      }).toEqual({ status: 403, shown: api.body.detail, approval: 'pending' });
      expect(api.body.detail).toMatch(/the approval needs the senior_analyst role or above; jun\.one is junior_analyst/);
      await nothingRan(junior.page);
      await screenshot(junior.page, '3-junior-refused');
    });
  });

  describe('a hostile alert title', () => {
    const expectTitle = async (page: Page, selector: string) => {
      const shown = page.locator(selector).first();
      await shown.waitFor({ timeout: 20_000 });
      expect(await shown.textContent()).toBe(HOSTILE_TITLE);
    };

    it('is stored as sent', async () => {
      const detail = await client(stack.api.url, keys['sen.one'])('GET', `/v1/incidents/${hostile.incidentId}`);
      expect(detail.body.title).toBe(HOSTILE_TITLE);
    });

    it('is text in the queue, on the incident page, in search and in the IP investigation, and nothing of it runs', async () => {
      const { page } = await open('sen.one', '#queue');
      await loaded(page, 'queue');
      await expectTitle(page, `#capacity-queue tr[data-task-id="${hostile.taskId}"] td.title a`);
      await nothingRan(page);

      await page.evaluate((id) => (location.hash = `#incident/${id}`), hostile.incidentId);
      await loaded(page, 'incident');
      await expectTitle(page, '#incident-title');
      await expectTitle(page, `#incident-alerts tr[data-alert-id] td:nth-child(4) .clip`);
      // Shown as sent, and said to hold characters that can make it read as something else.
      expect(await page.textContent('#incident-head .hidden-chars')).toContain('(U+202E, U+202C, U+200B, U+200D)');
      await nothingRan(page);
      await screenshot(page, '4-hostile-incident');

      await page.evaluate(() => (location.hash = '#search?type=ws_hostile'));
      await loaded(page, 'search');
      await expectTitle(page, `#search-results tr[data-incident-id="${hostile.incidentId}"] td.title a`);
      await nothingRan(page);

      await page.evaluate((ip) => (location.hash = `#ip/${ip}`), hostile.ip);
      await loaded(page, 'ip');
      await expectTitle(page, `#ip-investigation tr[data-incident-id="${hostile.incidentId}"] td.title a`);
      await nothingRan(page);
      expect(dialogs).toEqual([]);
    });

    it("is text in an executive's report, which an executive opens from the report list", async () => {
      const to = new Date().toISOString();
      const from = new Date(Date.now() - 3_600_000).toISOString();
      const made = await client(stack.api.url, keys['exec.one'])('POST', '/v1/reports', { kind: 'executive', from, to });
      expect(made.status).toBe(201);
      const { page } = await open('exec.one', '');
      // An executive starts on the reports; a lead scope also shows the dashboard's link.
      await loaded(page, 'reports');
      expect(await page.isVisible('#dashboard-link')).toBe(true);
      await page.click(`#report-list tr[data-report-id="${made.body.id}"] a`);
      await loaded(page, 'report');
      await expectTitle(page, `#report a[href="#incident/${hostile.incidentId}"]`);
      expect(await page.textContent('#report-title')).toBe('Executive summary');
      await nothingRan(page);
      await screenshot(page, '5-report');
    });
  });

  describe('search', () => {
    it('names a filter the API refuses, as the API names it', async () => {
      const { page } = await open('sen.one', '#search?sourceIp=not-an-ip');
      await page.waitForSelector('#search-error:not([hidden])', { timeout: 20_000 });
      const api = await client(stack.api.url, keys['sen.one'])('GET', '/v1/incidents?sourceIp=not-an-ip&limit=50');
      expect({ status: api.status, errors: api.body.errors, shown: await page.textContent('#search-error') }).toEqual({
        status: 400,
        errors: [{ path: 'query:sourceIp', message: 'must be an IPv4 or IPv6 address' }],
        shown: `${api.body.detail} (query:sourceIp: must be an IPv4 or IPv6 address)`,
      });
    });

    it('refuses a type, user or host filter longer than any stored value, naming it', async () => {
      const analyst = client(stack.api.url, keys['sen.one']);
      const answers = await Promise.all(
        [`type=${'t'.repeat(65)}`, `user=${'u'.repeat(201)}`, `host=${'h'.repeat(256)}`].map((q) => analyst('GET', `/v1/incidents?${q}`)),
      );
      expect(answers.map((a) => [a.status, a.body.errors])).toEqual([
        [400, [{ path: 'query:type', message: 'must be at most 64 characters' }]],
        [400, [{ path: 'query:user', message: 'must be at most 200 characters' }]],
        [400, [{ path: 'query:host', message: 'must be at most 255 characters' }]],
      ]);
    });

    it("lists a role's capacity queue through GET /v1/tasks?assignee=none&role=", async () => {
      const analyst = client(stack.api.url, keys['jun.one']);
      const [senior, junior, tooLong] = await Promise.all([
        analyst('GET', '/v1/tasks?assignee=none&status=open&role=senior_analyst'),
        analyst('GET', '/v1/tasks?assignee=none&status=open&role=junior_analyst'),
        analyst('GET', `/v1/tasks?role=${'r'.repeat(101)}`),
      ]);
      const waiting = await stack.db.query<{ id: string }[]>(
        `SELECT id FROM tasks WHERE assignee_id IS NULL AND assign_role = 'senior_analyst' AND status IN ('new', 'assigned', 'acknowledged', 'in_progress') ORDER BY id`,
      );
      expect({
        senior: senior.body.items.map((t: { id: string }) => t.id).sort(),
        junior: junior.body.items,
        tooLong: [tooLong.status, tooLong.body.errors],
      }).toEqual({
        senior: waiting.map((t) => t.id),
        junior: [],
        tooLong: [400, [{ path: 'query:role', message: 'must be at most 100 characters' }]],
      });
    });
  });

  describe('live updates', () => {
    it('a comment made elsewhere appears on the open incident without a reload, the polls revalidating with ETags', async () => {
      const watcher = await open('sen.one', `#incident/${refused.incidentId}`);
      await loaded(watcher.page, 'incident');
      await watcher.page.evaluate(() => ((window as unknown as { __same: boolean }).__same = true));
      // Two more polls: the answers did not change, so they came back as 304s.
      await loaded(watcher.page, 'incident', 3);
      const text = `seen from the SOC floor ${Date.now()}`;
      const lead = client(stack.api.url, (await createApiKey(stack.db, 'workspace-lead', ['lead'])).key);
      expect((await lead('POST', `/v1/tasks/${refused.taskId}/comments`, { text })).status).toBe(201);
      await watcher.page
        .locator(`#incident-tasks [data-task-id="${refused.taskId}"] .comment-text`)
        .filter({ hasText: text })
        .waitFor({ timeout: 20_000 });
      const incidentPath = `/v1/incidents/${refused.incidentId}`;
      expect({
        sameDocument: await watcher.page.evaluate(() => (window as unknown as { __same?: boolean }).__same === true),
        askedWithEtag: watcher.requests.some(
          (r) => new URL(r.url()).pathname === incidentPath && r.headers()['if-none-match'] !== undefined,
        ),
        unchanged304: watcher.answers.filter(([status, path]) => status === 304 && path === incidentPath).length > 0,
      }).toEqual({ sameDocument: true, askedWithEtag: true, unchanged304: true });
    });

    it('answers a second GET with If-None-Match 304 until something changes, then 200 with a new ETag', async () => {
      const analyst = client(stack.api.url, keys['sen.one']);
      const path = `/v1/tasks/${refused.taskId}`;
      const first = await analyst('GET', path);
      const etag = first.headers.get('etag')!;
      const again = await analyst('GET', path, undefined, { 'if-none-match': etag });
      const lead = client(stack.api.url, (await createApiKey(stack.db, 'workspace-lead-2', ['lead'])).key);
      expect((await lead('POST', `${path}/comments`, { text: 'a change' })).status).toBe(201);
      const changed = await analyst('GET', path, undefined, { 'if-none-match': etag });
      const settled = await analyst('GET', path, undefined, { 'if-none-match': changed.headers.get('etag')! });
      expect({
        first: [first.status, first.headers.get('cache-control'), /^W\/"[\w-]+"$/.test(etag)],
        again: [again.status, again.text, again.headers.get('etag')],
        changed: [changed.status, changed.headers.get('etag') !== etag, changed.body.comments.at(-1).text],
        settled: settled.status,
      }).toEqual({
        first: [200, 'private, no-cache', true],
        again: [304, '', etag],
        changed: [200, true, 'a change'],
        settled: 304,
      });
    });
  });

  describe('sign-in and sign-out (the page side of the session contract)', () => {
    it('without a session goes to /auth/login with the way back, and after sign-in comes back to the same incident', async () => {
      const { page, requests } = await open('sen.one', `#incident/${hostile.incidentId}`, { signedIn: false });
      await page.waitForURL(/\/auth\/login\?/, { timeout: 20_000 });
      const login = new URL(page.url());
      await signIn(page, 'sen.one');
      await loaded(page, 'incident');
      await nothingRan(page);
      expect({
        back: login.searchParams.get('return'),
        signIn: requests.filter((r) => r.method() === 'POST').map((r) => new URL(r.url()).pathname),
        hash: new URL(page.url()).hash,
        title: await page.textContent('#incident-title'),
      }).toEqual({
        back: `/app#incident/${hostile.incidentId}`,
        signIn: ['/auth/key'],
        hash: `#incident/${hostile.incidentId}`,
        title: HOSTILE_TITLE,
      });
    });

    it("sends the session's CSRF token with every action (a comment, a reassignment) and with sign-out, which ends the session, then shows sign-in", async () => {
      const { context, page, requests } = await open('sen.one', `#incident/${refused.incidentId}`);
      await loaded(page, 'incident');
      const cookies = await context.cookies();
      const form = page.locator(`#incident-tasks [data-task-id="${refused.taskId}"] form[data-form="comment"]`);
      await form.locator('textarea').fill('with the token');
      await form.locator('button').click();
      await page.waitForSelector('#incident-result.ok', { timeout: 20_000 });
      // Reassign the task waiting for her role to herself, by name.
      const reassign = page.locator(`#incident-tasks [data-task-id="${refused.taskId}"] form[data-form="reassign"]`);
      await reassign.locator('select[name="to"]').selectOption('sen.one');
      await reassign.locator('input[name="reason"]').fill('mine now');
      await reassign.locator('button').click();
      await page.waitForSelector(`#incident-result.ok >> text=Reassigned.`, { timeout: 20_000 });
      await page.click('#sign-out');
      await page.waitForURL(`${stack.api.url}/auth/login`, { timeout: 20_000 });
      await page.waitForSelector('form[action="/auth/key"]', { timeout: 20_000 });
      // Each change carried a token, and the server, which checks it against the session's own secret, took it.
      const posts = await Promise.all(
        requests
          .filter((r) => r.method() === 'POST' && !r.url().endsWith('/auth/key'))
          .map(async (r) => [
            new URL(r.url()).pathname,
            /^\S{16,}$/.test(r.headers()['x-csrf-token'] ?? ''),
            (await r.response())?.status(),
          ]),
      );
      const [task] = await stack.db.query<{ assignee_id: string }[]>(`SELECT assignee_id FROM tasks WHERE id = $1`, [refused.taskId]);
      const reassigned = requests.find((r) => r.url().endsWith('/reassign'))!;
      // The session cookie the page had before signing out no longer opens anything.
      const session = cookies.find((c) => c.name === 'warden_session')!;
      const after = await fetch(`${stack.api.url}/v1/session`, { headers: { cookie: `${session.name}=${session.value}` } });
      expect({
        posts,
        assignee: task.assignee_id,
        body: reassigned.postDataJSON(),
        idempotent: /^[\w-]{16,}$/.test(reassigned.headers()['idempotency-key']),
        cookie: { httpOnly: session.httpOnly, sameSite: session.sameSite },
        after: after.status,
      }).toEqual({
        posts: [
          [`/v1/tasks/${refused.taskId}/comments`, true, 201],
          [`/v1/tasks/${refused.taskId}/reassign`, true, 200],
          ['/auth/logout', true, 204],
        ],
        assignee: 'sen.one',
        body: { to: 'sen.one', reason: 'mine now' },
        idempotent: true,
        cookie: { httpOnly: true, sameSite: 'Lax' },
        after: 401,
      });
    });
  });

  describe('served by Warden itself', () => {
    it('answers /app without authentication, with the strict CSP and the security headers of the dashboard', async () => {
      const [app, dashboard] = await Promise.all([fetch(`${stack.api.url}/app`), fetch(`${stack.api.url}/dashboard`)]);
      const headers = (r: Response) =>
        Object.fromEntries(
          ['content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy', 'cross-origin-opener-policy'].map(
            (h) => [h, r.headers.get(h)],
          ),
        );
      const html = await app.text();
      expect({ status: app.status, type: app.headers.get('content-type'), headers: headers(app) }).toEqual({
        status: 200,
        type: 'text/html; charset=utf-8',
        headers: headers(dashboard),
      });
      expect(headers(app)['content-security-policy']).toMatch(/^default-src 'self'; script-src 'self'; style-src 'self';/);
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>|\sstyle=/i);
    });

    it.each(['..%2Fworkspace.module.ts', 'index.html', 'main.js'])('answers 404 for the asset %s', async (name) => {
      const res = await fetch(`${stack.api.url}/app/assets/${name}`);
      expect([res.status, res.headers.get('content-type')]).toEqual([404, 'application/problem+json; charset=utf-8']);
    });

    it('saved the screenshots', () => {
      for (const name of ['1-queue', '2-incident-rolled-back', '3-junior-refused', '4-hostile-incident', '5-report'])
        expect(
          readFileSync(join(SCREENSHOTS, `${name}.png`))
            .subarray(1, 4)
            .toString(),
        ).toBe('PNG');
    });
  });

  it('ran without a page error or a Content-Security-Policy violation, and with no refusal but the one provoked', () => {
    expect({ problems, dialogs, failures: [...new Set(failures)] }).toEqual({
      problems: [],
      dialogs: [],
      // The junior's Approve, the search for a bad address, and the session that is not there before sign-in.
      failures: [`403 POST /v1/approvals/${refused.approvalId}`, '400 GET /v1/incidents', '401 GET /v1/session'],
    });
  });
});
