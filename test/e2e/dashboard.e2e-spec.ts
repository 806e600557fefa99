import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { createApiKey } from '../../src/auth/api-keys.service';
import * as WardenFormat from '../../src/web/public/format';
import { client, pollUntil } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { alert, startStack, Stack } from '../support/stack';

// The team lead dashboard in Debian's chromium, driven by playwright-core, against the real api,
// worker, Temporal and PostgreSQL: the cards equal /v1/stats for the page's own range, a hostile
// alert title and description stay text, the task table filters, the login refuses bad keys, and
// the page loads nothing from elsewhere.

const shared = join(__dirname, '..', '..', '..', 'shared', 'data', 'suricata');
const CHROMIUM = '/usr/bin/chromium';
const ENSURE_CHROMIUM = join(__dirname, '..', '..', 'scripts', 'ensure-chromium.sh');
const artifacts = join(__dirname, '..', '..', 'test-artifacts');
const SCREENSHOT = join(artifacts, 'dashboard.png');

/** Every card the page must carry, by its StatsView path. */
const CARDS = [
  'alerts.received',
  'alerts.duplicates',
  'alerts.suppressed',
  'alerts.foldedIntoStorms',
  'alerts.compressionRatio',
  'incidents.opened',
  'incidents.byStatus.open',
  'tasks.created',
  'tasks.mtta.p50Seconds',
  'tasks.mtta.p90Seconds',
  'tasks.mttr.p50Seconds',
  'tasks.mttr.p90Seconds',
  'tasks.slaBreaches.total',
  'load.capacityQueue.waiting',
  'playbooks.pendingApprovals',
  'delivery.failedNotices',
  'delivery.outbox.lagSeconds',
];

const HOSTILE_MARKUP = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">';
// Markup that would open a dialog if it ever became elements.
const DIALOG_MARKUP = '<svg onload="alert(1)"></svg><iframe src="javascript:alert(2)"></iframe><details open ontoggle="alert(3)">';
// A title may hold at most 1,000 characters (the ingest schema); the 10 kB rides in the description.
const HOSTILE_TITLE = (HOSTILE_MARKUP + ' Exfiltration to <b>evil</b> &amp; co.' + ' data leaving the building'.repeat(60)).slice(0, 1000);
const HOSTILE_DESCRIPTION = (HOSTILE_MARKUP + DIALOG_MARKUP + '\n<b>evil</b> &amp; co.\n' + ' x'.repeat(6000)).slice(0, 10_000);
const OPEN_TASK_STATUSES = ['new', 'assigned', 'acknowledged', 'in_progress'];

const TARGET = '192.0.2.88';
const SILENCED = '198.51.100.23';

/** The StatsView value at a path, read independently of the page's own code; a count map omits zeros. */
function statAt(stats: Record<string, any>, path: string): unknown {
  const value = path.split('.').reduce<any>((node, key) => (node == null ? undefined : node[key]), stats);
  return value === undefined ? 0 : value;
}

interface Card {
  path: string;
  kind: WardenFormat.StatKind;
  value: unknown;
  text: string;
}

describe('GET /dashboard (browser)', () => {
  let stack: Stack;
  let leadKey: string;
  let lead: ReturnType<typeof client>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const dialogs: string[] = [];
  let hostileIncidentId: string;
  let hostileAlertId: string;
  let ackedTask: { id: string; assignee_id: string | null; priority: string };

  // Installs Debian's chromium when it is missing (apt-get can take minutes: a hook of its own).
  beforeAll(() => {
    if (!existsSync(CHROMIUM)) execFileSync(ENSURE_CHROMIUM, [], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (!existsSync(CHROMIUM))
      throw new Error(
        `chromium is not installed at ${CHROMIUM} and scripts/ensure-chromium.sh could not install it (it needs root and apt-get)`,
      );
  }, 15 * 60_000);

  beforeAll(async () => {
    stack = await startStack({
      name: 'dashboard',
      rules: (doc) => {
        // Scans of one target from several sources fold into a storm after three incidents.
        doc.rules.unshift({
          name: 'scan-storm',
          match: { type: 'port_scan', destination_ip_cidr: `${TARGET}/32` },
          action: 'correlate',
          priority: 'P4',
          correlate_by: ['sourceIp'],
          storm: { threshold: 3, within: '10m', quiet: '10m', key_by: ['destinationIp'] },
        });
      },
      assignment: (doc) => {
        for (const a of doc.analysts) if (a.capacity > 0) a.capacity = 1_000;
      },
    });
    leadKey = (await createApiKey(stack.db, 'dashboard-lead', ['lead'])).key;
    lead = client(stack.api.url, leadKey);
    const silence = await lead('POST', '/v1/silences', {
      matchers: [{ name: 'sourceIp', value: SILENCED }],
      comment: 'pen test',
      durationSeconds: 3600,
    });
    expect(silence.status).toBe(201);

    // Real Suricata events (fresh flow ids, so no other suite's copies are their repeats).
    const offset = randomInt(1, 2 ** 40);
    const suricata = (JSON.parse(readFileSync(join(shared, 'wrccdc-2018.json'), 'utf8')) as { flow_id?: number }[])
      .slice(0, 15)
      .map((r) => ({ ...r, flow_id: (r.flow_id ?? 0) + offset }));
    const eve = await stack.ingest('POST', '/v1/alerts/suricata', suricata);
    expect(eve.status).toBe(202);
    expect(eve.body.rejected).toBe(0);

    const repeated = alert({ type: 'malware', severity: 'critical', title: 'Beacon to known C2', host: 'ws-7', sourceIp: uniqueIp() });
    const native = [
      ...Array.from({ length: 6 }, (_, i) =>
        alert({ type: 'port_scan', severity: 'low', title: 'Port scan', sourceIp: `10.88.0.${i + 1}`, destinationIp: TARGET }),
      ),
      repeated,
      alert({
        type: 'sql_injection',
        severity: 'high',
        title: "SQL injection on /login: ' OR 1=1 --",
        sourceIp: uniqueIp(),
        host: 'web-1',
      }),
      alert({ type: 'failed_login', severity: 'medium', title: 'Failed logins for root', sourceIp: uniqueIp(), user: 'root' }),
      alert({ type: 'privilege_escalation', severity: 'high', title: 'sudo to root by www-data', host: 'web-2', user: 'www-data' }),
      alert({ type: 'dns_tunneling', severity: 'medium', title: 'Long TXT queries', sourceIp: uniqueIp() }),
      alert({ type: 'data_exfiltration', severity: 'high', title: HOSTILE_TITLE, description: HOSTILE_DESCRIPTION, sourceIp: uniqueIp() }),
      alert({ severity: 'medium', sourceIp: SILENCED }),
    ];
    const batch = await stack.ingest('POST', '/v1/alerts', { alerts: native });
    expect(batch.status).toBe(202);
    expect(batch.body.rejected).toBe(0);
    expect((await stack.ingest('POST', '/v1/alerts', repeated)).body.status).toBe('duplicate');
    const results: { index: number; status: string; alertId: string; incidentId: string }[] = batch.body.results;
    hostileIncidentId = results[native.length - 2].incidentId;
    hostileAlertId = results[native.length - 2].alertId;

    // Wait for the workflows to assign the tasks of the non-batched incidents, then give
    // MTTA and MTTR something to measure: acknowledge two tasks and resolve one.
    const assigned = await stack.firstAssignments(
      [6, 7, 8, 9, 10, 11].map((i) => results[i].incidentId).filter((id, i, all) => all.indexOf(id) === i),
    );
    for (const t of assigned.slice(0, 2)) expect((await lead('POST', `/v1/tasks/${t.id}/ack`)).status).toBe(200);
    expect((await lead('POST', `/v1/tasks/${assigned[0].id}/resolve`, { disposition: 'benign', resolution: 'lab host' })).status).toBe(200);
    ackedTask = assigned[1];

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`console: ${msg.text()}`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400) pageErrors.push(`${res.status()} ${res.url()}`);
    });
    await page.goto(`${stack.api.url}/dashboard`);
    await page.fill('#login-key', leadKey);
    await page.click('#login-form button[type=submit]');
    // The cards show numbers once the first load is in.
    await page.waitForFunction(() => /^\d/.test(document.querySelector('[data-stat="alerts.received"] .value')?.textContent ?? ''), null, {
      timeout: 30_000,
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const readCards = () =>
    page.evaluate(() => ({
      from: document.documentElement.dataset.from ?? '',
      to: document.documentElement.dataset.to ?? '',
      cards: [...document.querySelectorAll<HTMLElement>('[data-stat]')].map((c) => ({
        path: c.dataset.stat!,
        kind: c.dataset.kind!,
        value: JSON.parse(c.dataset.value ?? 'null') as unknown,
        text: c.querySelector('.value')?.textContent ?? '',
      })),
    }));

  /** Clicks Refresh and waits for the page to finish that load. */
  async function refreshPage(): Promise<void> {
    const before = await page.evaluate(() => Number(document.documentElement.dataset.refreshes ?? 0));
    await page.click('#refresh');
    await page.waitForFunction((n) => Number(document.documentElement.dataset.refreshes ?? 0) > n, before, { timeout: 15_000 });
  }

  it('shows on every card the same figure as GET /v1/stats for the range the page asked for', async () => {
    // "Now" figures (load, outbox, approvals) may move while workflows run: refresh until both agree.
    const { cards, stats } = await pollUntil(
      async () => {
        await refreshPage();
        const shown = await readCards();
        const res = await lead('GET', `/v1/stats?from=${encodeURIComponent(shown.from)}&to=${encodeURIComponent(shown.to)}`);
        expect(res.status).toBe(200);
        return { cards: shown.cards as Card[], stats: res.body, mismatches: mismatches(shown.cards as Card[], res.body) };
      },
      (r) => r.mismatches.length === 0,
      { what: 'the cards to equal /v1/stats', timeoutMs: 45_000, intervalMs: 500 },
    );
    expect(cards.map((c) => c.path).sort()).toEqual([...CARDS].sort());
    // The seed reached the figures, so the comparison is not of zeros.
    expect(stats.alerts.received).toBeGreaterThan(20);
    expect(cards.find((c) => c.path === 'alerts.received')!.text).toBe(WardenFormat.count(stats.alerts.received));
  });

  function mismatches(cards: Card[], stats: Record<string, any>): string[] {
    return CARDS.flatMap((path) => {
      const card = cards.find((c) => c.path === path);
      if (!card) return [`${path}: no card`];
      const expected = statAt(stats, path);
      const text = WardenFormat.format(card.kind, expected);
      return card.value === expected && card.text === text
        ? []
        : [`${path}: page ${JSON.stringify(card.value)} "${card.text}", api ${expected} "${text}"`];
    });
  }

  /** Opens the incident's detail panel through its URL and waits for it to load. */
  async function openDetail(incidentId: string): Promise<void> {
    await page.evaluate((id) => (location.hash = `#incident/${id}`), incidentId);
    await page.waitForSelector(`#detail[data-incident-id="${incidentId}"]`, { timeout: 15_000 });
  }

  const hostileDescription = () => page.locator(`#detail-body tr.alert-description[data-alert-id="${hostileAlertId}"] .description`);

  it('shows a hostile alert title as literal text and clips it on screen', async () => {
    const row = page.locator(`#incident-table tr[data-incident-id="${hostileIncidentId}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator('td.title a').textContent()).toBe(HOSTILE_TITLE);
    // One line tall: the 1,000 characters are clipped by CSS, not cut from the data.
    expect((await row.boundingBox())!.height).toBeLessThan(60);

    await row.locator('td.title a').click();
    await page.waitForSelector(`#detail[data-incident-id="${hostileIncidentId}"]`, { timeout: 15_000 });
    expect(await page.textContent('#detail-title')).toBe(HOSTILE_TITLE);
    expect(
      await page
        .locator(`#detail-body tr[data-alert-id="${hostileAlertId}"]:not(.alert-description) td`, { hasText: HOSTILE_MARKUP })
        .count(),
    ).toBe(1);
  });

  it("returns each alert's description, 10 kB and all, in GET /v1/incidents/{id}", async () => {
    const detail = await lead('GET', `/v1/incidents/${hostileIncidentId}`);
    expect(detail.body.alerts.find((a: { id: string }) => a.id === hostileAlertId).description).toBe(HOSTILE_DESCRIPTION);
  });

  it('shows the hostile 10 kB alert description in the incident detail as the exact text sent', async () => {
    await openDetail(hostileIncidentId);
    expect(await hostileDescription().textContent()).toBe(HOSTILE_DESCRIPTION);
  });

  it('keeps the 10 kB description in a box a few lines tall that scrolls', async () => {
    await openDetail(hostileIncidentId);
    const box = await hostileDescription().evaluate((e) => ({
      short: e.getBoundingClientRect().height < 200,
      scrolls: getComputedStyle(e).overflowY === 'auto' && e.scrollHeight > e.clientHeight,
    }));
    expect(box).toEqual({ short: true, scrolls: true });
  });

  it('runs none of the hostile title and description: no element, handler, script or dialog from them', async () => {
    await openDetail(hostileIncidentId);
    await hostileDescription().waitFor();
    const dom = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: unknown }).__pwned,
      images: document.querySelectorAll('img').length,
      bold: document.querySelectorAll('b').length,
      injected: document.querySelectorAll('svg, iframe, details, object, embed').length,
      handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length,
      scripts: [...document.scripts].map((s) => s.getAttribute('src') ?? 'inline'),
    }));
    expect({ ...dom, dialogs }).toEqual({
      pwned: undefined,
      images: 0,
      bold: 0,
      injected: 0,
      handlers: 0,
      scripts: [
        expect.stringMatching(/^\/dashboard\/assets\//),
        expect.stringMatching(/^\/dashboard\/assets\//),
        expect.stringMatching(/^\/dashboard\/assets\//),
      ],
      dialogs: [],
    });
  });

  it('opens the incident detail with its alerts, tasks, timeline, playbook runs and evidence', async () => {
    await page.evaluate((id) => (location.hash = `#incident/${id}`), hostileIncidentId);
    await page.waitForSelector(`#detail[data-incident-id="${hostileIncidentId}"]`);
    // Each section shows as many rows as the incident detail holds.
    const sections = await page.evaluate(() =>
      [...document.querySelectorAll('#detail-body h3')].map((h) => {
        const content = h.nextElementSibling!;
        // An alert's description is a row of its own beneath the alert's.
        return [h.textContent!.replace(/ \(.*\)$/, ''), content.querySelectorAll('tbody tr:not(.alert-description), .run').length];
      }),
    );
    const detail = (await lead('GET', `/v1/incidents/${hostileIncidentId}`)).body;
    expect(Object.fromEntries(sections)).toEqual({
      Alerts: detail.alerts.length,
      Tasks: detail.tasks.length,
      'Playbook runs': detail.playbookRuns.length,
      Approvals: detail.approvals.length,
      Evidence: detail.evidence.length,
      Notices: detail.notices.length,
      Timeline: detail.timeline.length,
    });
    expect(detail.alerts.length * detail.tasks.length * detail.timeline.length).toBeGreaterThan(0);
    await page.click('#detail-close');
    expect(await page.isHidden('#detail')).toBe(true);
  });

  it('filters the incident table through GET /v1/incidents', async () => {
    await page.selectOption('#filters select[name=severity]', 'high');
    await page.fill('#filters input[name=type]', 'data_exfiltration');
    await page.click('#filters button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#incident-table tbody tr').length === 1);
    expect(await page.locator('#incident-table tbody tr').getAttribute('data-incident-id')).toBe(hostileIncidentId);
    await page.click('#filters button[type=reset]');
    await page.waitForFunction(() => document.querySelectorAll('#incident-table tbody tr').length > 1);
  });

  /** The task rows shown once the task table answers exactly these filters. */
  async function taskRowsFor(filters: Record<string, string>): Promise<string[]> {
    await page.waitForFunction(
      (want) => {
        const shown = new URLSearchParams(document.querySelector<HTMLElement>('#task-table')?.dataset.query ?? '');
        shown.delete('limit');
        return JSON.stringify([...shown.entries()].sort()) === JSON.stringify(Object.entries(want).sort());
      },
      filters,
      { timeout: 15_000 },
    );
    return page.$$eval('#task-table tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.taskId!).sort());
  }

  it('filters the task table by status through GET /v1/tasks: acknowledged shows the one task only acknowledged', async () => {
    await page.click('#task-filters button[type=reset]');
    await page.selectOption('#task-filters select[name=status]', 'acknowledged');
    expect(await taskRowsFor({ status: 'acknowledged' })).toEqual([ackedTask.id]);
    await page.click('#task-filters button[type=reset]');
    await taskRowsFor({ status: 'open' });
  });

  it("narrows the task table to one analyst's open tasks of one priority", async () => {
    // Every incident that gets a task of its own has it, so the open tasks hold still.
    const incidents = await stack.db.query<{ id: string }[]>(`SELECT id FROM incidents WHERE action <> 'batch'`);
    await stack.firstAssignments(incidents.map((i) => i.id));
    const open = await stack.db.query<{ id: string; priority: string; assignee_id: string | null }[]>(
      `SELECT id, priority, assignee_id FROM tasks WHERE status = ANY($1)`,
      [OPEN_TASK_STATUSES],
    );
    const expected = open
      .filter((t) => t.priority === ackedTask.priority && t.assignee_id === ackedTask.assignee_id)
      .map((t) => t.id)
      .sort();
    // The filter leaves some open tasks out, so a table that ignored it would differ.
    expect(expected.length).toBeLessThan(open.length);

    await page.click('#task-filters button[type=reset]');
    await page.selectOption('#task-filters select[name=priority]', ackedTask.priority);
    await page.selectOption('#task-filters select[name=assignee]', ackedTask.assignee_id!);
    expect(await taskRowsFor({ status: 'open', priority: ackedTask.priority, assignee: ackedTask.assignee_id! })).toEqual(expected);
    await page.click('#task-filters button[type=reset]');
    await taskRowsFor({ status: 'open' });
  });

  it('saves a full-page screenshot as a test artifact', async () => {
    mkdirSync(artifacts, { recursive: true });
    await refreshPage();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const png = readFileSync(SCREENSHOT);
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(50_000);
  });

  it('ran without a script error or a Content-Security-Policy violation', () => {
    expect(pageErrors).toEqual([]);
  });

  it('names the bad filter when the API refuses it', async () => {
    await page.fill('#filters input[name=sourceIp]', 'not-an-ip');
    await page.click('#filters button[type=submit]');
    await page.waitForSelector('#filter-error:not([hidden])');
    expect(await page.textContent('#filter-error')).toContain('query:sourceIp: must be an IPv4 or IPv6 address');
    await page.click('#filters button[type=reset]');
    await page.waitForSelector('#filter-error', { state: 'hidden' });
  });

  describe('login', () => {
    const signIn = async (key: string) => {
      const fresh = await browser.newContext();
      const p = await fresh.newPage();
      await p.goto(`${stack.api.url}/dashboard`);
      await p.fill('#login-key', key);
      await p.click('#login-form button[type=submit]');
      return { fresh, p };
    };

    it('refuses an unknown key with a clear message and keeps nothing', async () => {
      const { fresh, p } = await signIn('wdn_this-key-does-not-exist');
      await p.waitForSelector('#login-error:not([hidden])');
      expect({
        error: await p.textContent('#login-error'),
        state: await p.evaluate(() => document.documentElement.dataset.state),
        stored: await p.evaluate(() => sessionStorage.getItem('warden.dashboard.key')),
      }).toEqual({ error: 'The API key was refused: it is unknown or revoked.', state: 'login', stored: null });
      await fresh.close();
    });

    it('refuses a key without the lead scope', async () => {
      const analystKey = (await createApiKey(stack.db, 'dashboard-analyst', ['analyst'])).key;
      const { fresh, p } = await signIn(analystKey);
      await p.waitForSelector('#login-error:not([hidden])');
      expect(await p.textContent('#login-error')).toBe('This API key lacks the lead scope. Use a team lead key.');
      await fresh.close();
    });

    it('logs out: the login comes back and the key is forgotten', async () => {
      const { fresh, p } = await signIn(leadKey);
      await p.waitForFunction(() => document.documentElement.dataset.state === 'ready');
      await p.click('#logout');
      expect({
        login: await p.isVisible('#login-form'),
        app: await p.isVisible('#app'),
        stored: await p.evaluate(() => sessionStorage.getItem('warden.dashboard.key')),
      }).toEqual({ login: true, app: false, stored: null });
      await fresh.close();
    });
  });

  describe('served by Warden itself', () => {
    it('serves chart.js from its npm package, as JavaScript that is never sniffed', async () => {
      const res = await fetch(`${stack.api.url}/dashboard/assets/chart.umd.min.js`);
      const body = Buffer.from(await res.arrayBuffer());
      const onDisk = readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'));
      expect({
        status: res.status,
        type: res.headers.get('content-type'),
        nosniff: res.headers.get('x-content-type-options'),
        same: body.equals(onDisk),
      }).toEqual({ status: 200, type: 'text/javascript; charset=utf-8', nosniff: 'nosniff', same: true });
    });

    it('answers the page with a strict CSP and references no other host', async () => {
      const res = await fetch(`${stack.api.url}/dashboard`);
      const html = await res.text();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self'; .*img-src 'self' data:/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="(https?:)?\/\//i);
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
    });

    it('caches a versioned asset for a year and answers 304 to its ETag', async () => {
      const html = await (await fetch(`${stack.api.url}/dashboard`)).text();
      const url = /src="(\/dashboard\/assets\/dashboard\.js\?v=[\w-]+)"/.exec(html)![1];
      const first = await fetch(`${stack.api.url}${url}`);
      const again = await fetch(`${stack.api.url}${url}`, { headers: { 'if-none-match': first.headers.get('etag')! } });
      expect([first.headers.get('cache-control'), again.status]).toEqual(['public, max-age=31536000, immutable', 304]);
    });

    it.each(['..%2F..%2Fpackage.json', 'index.html', 'nope.js'])('answers 404 for the asset %s', async (name) => {
      const res = await fetch(`${stack.api.url}/dashboard/assets/${name}`);
      expect([res.status, res.headers.get('content-type')]).toEqual([404, 'application/problem+json; charset=utf-8']);
    });
  });
});
