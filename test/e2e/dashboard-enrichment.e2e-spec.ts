import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createApiKey } from '../../src/auth/api-keys.service';
import { ensureChromium, launchChromium, type PageWatch, screenshot, watchedPage } from '../support/browser';
import { client } from '../support/harness';
import { alert, startStack, type Stack } from '../support/stack';

// Enrichment on the lead's stats and dashboard: top source countries and ASNs, and incidents by
// ATT&CK tactic and technique (GET /v1/stats), the incidents of a tactic or cell
// (GET /v1/stats/attack/incidents), and the dashboard's matrix clicked in chromium. On a database of
// its own, with MaxMind's test databases and no ATT&CK by alert type, so every count is the seed's.

const fixtures = join(__dirname, '..', 'fixtures');
const artifacts = join(__dirname, '..', '..', 'test-artifacts');
/** GB (London), no ASN in the test database. */
const LONDON = '81.2.69.142';
/** GB (Boxford), no ASN. */
const BOXFORD = '2.125.160.216';
/** SE, AS29518 "Bredband2 AB". */
const LINKOPING = '89.160.20.112';
/** US, AS209 (no organisation). */
const MILTON = '216.160.83.56';
const HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1"> powershell & <b>cmd</b>';

describe('stats and dashboard: enrichment (GeoIP/ASN, ATT&CK)', () => {
  let stack: Stack;
  let leadKey: string;
  let lead: ReturnType<typeof client>;
  /** The seed's incidents, in the order they opened. */
  const incident: Record<'interpreter' | 'hostile' | 'validAccounts' | 'exploit' | 'plain', string> = {
    interpreter: '',
    hostile: '',
    validAccounts: '',
    exploit: '',
    plain: '',
  };
  let range: string;

  beforeAll(async () => {
    stack = await startStack({
      name: 'dashboard-enrichment',
      // Batched: incidents without workflows, which this suite does not need.
      rules: (doc) => {
        doc.defaults.storm = false;
        doc.rules = [{ name: 'everything', match: {}, action: 'batch' }];
      },
      files: { 'attack.yaml': 'types: {}\n' },
      env: {
        GEOIP_CITY_DB: join(fixtures, 'geoip', 'GeoIP2-City-Test.mmdb'),
        GEOIP_ASN_DB: join(fixtures, 'geoip', 'GeoLite2-ASN-Test.mmdb'),
      },
      worker: false,
    });
    leadKey = (await createApiKey(stack.db, 'dashboard-enrichment-lead', ['lead'])).key;
    lead = client(stack.api.url, leadKey);
    const from = new Date(Date.now() - 3_600_000).toISOString();

    const post = async (path: string, body: unknown, status = 'new') => {
      const res = await stack.ingest('POST', path, body);
      const result = res.body?.results?.[0] ?? res.body;
      if (res.status !== 202 || result.status !== status) throw new Error(`ingest answered ${res.status}: ${res.text}`);
      return result.incidentId as string;
    };
    // One at a time, so the incidents open in this order. Alerts correlate by source address.
    incident.interpreter = await post('/v1/alerts', alert({ sourceIp: LONDON, title: 'Interpreter on ws-1', tags: ['T1059'] }));
    const joined = await post('/v1/alerts', alert({ sourceIp: LONDON, title: 'PowerShell on ws-1', tags: ['T1059.001'] }));
    const hostile = alert({ sourceIp: LINKOPING, title: HOSTILE_TITLE, tags: ['T1059'] });
    incident.hostile = await post('/v1/alerts', hostile);
    const repeat = await post('/v1/alerts', hostile, 'duplicate');
    incident.validAccounts = await post('/v1/alerts', alert({ sourceIp: MILTON, title: 'Login with a stolen account', tags: ['T1078'] }));
    // Suricata's ATT&CK metadata (T1190, TA0001), from an internal address: no country.
    const suricata = JSON.parse(readFileSync(join(fixtures, 'suricata', 'attack-metadata.json'), 'utf8'));
    incident.exploit = await post('/v1/alerts/suricata', [{ ...suricata, flow_id: randomInt(1, 2 ** 40) }]);
    incident.plain = await post('/v1/alerts', alert({ sourceIp: BOXFORD, title: 'No ATT&CK here' }));
    expect([joined, repeat]).toEqual([incident.interpreter, incident.hostile]);
    expect(new Set(Object.values(incident)).size).toBe(5);
    range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;
  }, 120_000);

  afterAll(async () => stack?.close());

  const stats = async () => {
    const res = await lead('GET', `/v1/stats?${range}`);
    if (res.status !== 200) throw new Error(`GET /v1/stats answered ${res.status}: ${res.text}`);
    return res.body;
  };
  const listed = async (query: string): Promise<string[]> => {
    const res = await lead('GET', `/v1/stats/attack/incidents?${range}&${query}`);
    if (res.status !== 200) throw new Error(`answered ${res.status}: ${res.text}`);
    return res.body.items.map((i: { id: string }) => i.id);
  };

  describe('GET /v1/stats', () => {
    it("counts alerts by their source address's country, duplicates included, internal addresses not", async () => {
      expect((await stats()).topCountries).toEqual([
        { iso: 'GB', name: 'United Kingdom', alerts: 3 },
        { iso: 'SE', name: 'Sweden', alerts: 2 },
        { iso: 'US', name: 'United States', alerts: 1 },
      ]);
    });

    it("counts alerts by their source address's ASN", async () => {
      expect((await stats()).topAsns).toEqual([
        { number: 29518, organization: 'Bredband2 AB', alerts: 2 },
        { number: 209, organization: null, alerts: 1 },
      ]);
    });

    it('lists every tactic in kill-chain order with the incidents that reached it', async () => {
      expect((await stats()).attack.tactics.map((t: { id: string; incidents: number }) => `${t.id} ${t.incidents}`)).toEqual([
        'TA0043 0',
        'TA0042 0',
        'TA0001 2',
        'TA0002 2',
        'TA0003 1',
        'TA0004 1',
        'TA0005 1',
        'TA0006 0',
        'TA0007 0',
        'TA0008 0',
        'TA0009 0',
        'TA0011 0',
        'TA0010 0',
        'TA0040 0',
      ]);
    });

    it('counts each incident once per technique under a tactic', async () => {
      const tactics = (await stats()).attack.tactics;
      const cells = (id: string) => tactics.find((t: { id: string }) => t.id === id).techniques;
      expect({ execution: cells('TA0002'), initialAccess: cells('TA0001') }).toEqual({
        execution: [
          { id: 'T1059', name: 'Command and Scripting Interpreter', incidents: 2 },
          { id: 'T1059.001', name: 'Command and Scripting Interpreter: PowerShell', incidents: 1 },
        ],
        initialAccess: [
          { id: 'T1078', name: 'Valid Accounts', incidents: 1 },
          { id: 'T1190', name: 'Exploit Public-Facing Application', incidents: 1 },
        ],
      });
    });
  });

  describe('GET /v1/stats/attack/incidents', () => {
    it("lists a tactic's incidents, newest first", async () => {
      expect(await listed('tactic=TA0002')).toEqual([incident.hostile, incident.interpreter]);
    });

    it("lists a cell's incidents (a technique under a tactic)", async () => {
      expect(await listed('tactic=TA0002&technique=T1059.001')).toEqual([incident.interpreter]);
    });

    it("lists a technique's incidents under any tactic", async () => {
      expect(await listed('technique=T1078')).toEqual([incident.validAccounts]);
    });

    it('lists nothing for a tactic no incident reached', async () => {
      expect(await listed('tactic=TA0040')).toEqual([]);
    });

    it('answers each incident as the dashboard shows it', async () => {
      const res = await lead('GET', `/v1/stats/attack/incidents?${range}&tactic=TA0001&technique=T1190`);
      expect(res.body.items).toEqual([
        {
          id: incident.exploit,
          title: 'ET EXPLOIT Possible CVE-2014-3704 Drupal SQLi attempt URLENCODE 1',
          severity: 'high',
          priority: 'P2',
          status: 'open',
          types: ['sql_injection'],
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        },
      ]);
    });

    it('pages on with the cursor it gave', async () => {
      const first = await lead('GET', `/v1/stats/attack/incidents?${range}&tactic=TA0002&limit=1`);
      const second = await lead('GET', `/v1/stats/attack/incidents?${range}&tactic=TA0002&limit=1&cursor=${first.body.nextCursor}`);
      expect([
        first.body.items.map((i: { id: string }) => i.id),
        second.body.items.map((i: { id: string }) => i.id),
        second.body.nextCursor,
      ]).toEqual([[incident.hostile], [incident.interpreter], null]);
    });

    it.each([
      ['tactic=T1059', 'query:tactic'],
      ['tactic=ta0002', 'query:tactic'],
      ['technique=TA0002', 'query:technique'],
      ['technique=T1059.1', 'query:technique'],
      ['limit=5', 'query:tactic'],
      ['tactic=TA0002&cursor=bm90IGEgY3Vyc29y', 'query:cursor'],
      [`tactic=TA0002&cursor=${Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url')}`, 'query:cursor'],
      ['tactic=TA0002&limit=0', 'query:limit'],
    ])('refuses %s with a 400 problem naming %s', async (query, field) => {
      const res = await lead('GET', `/v1/stats/attack/incidents?${range}&${query}`);
      expect([res.status, res.headers.get('content-type')?.split(';')[0], res.body.errors.map((e: { path: string }) => e.path)]).toEqual([
        400,
        'application/problem+json',
        [field],
      ]);
    });

    it('is for leads only', async () => {
      const analyst = await stack.as(null, ['analyst']);
      expect((await analyst('GET', `/v1/stats/attack/incidents?${range}&tactic=TA0002`)).status).toBe(403);
    });
  });

  describe('the dashboard (browser)', () => {
    let browser: Browser;
    let page: Page;
    const watch: PageWatch = { problems: [], failures: [], dialogs: [] };

    beforeAll(ensureChromium, 15 * 60_000);

    beforeAll(async () => {
      browser = await launchChromium();
      ({ page } = await watchedPage(browser, watch));
      await page.goto(`${stack.api.url}/dashboard`);
      await page.fill('#login-key', leadKey);
      await page.click('#login-form button[type=submit]');
      await page.waitForFunction(() => document.documentElement.dataset.state === 'ready', null, { timeout: 30_000 });
    }, 60_000);

    afterAll(async () => browser?.close());

    const rowsOf = (selector: string) =>
      page.$$eval(selector, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));

    /** Clicks a matrix button and waits for the list of that tactic or cell. */
    async function open(selector: string, query: string): Promise<{ id: string; href: string; title: string }[]> {
      await page.click(selector);
      await page.waitForFunction(
        (q) => (document.querySelector<HTMLElement>('#attack-incidents')?.dataset.query ?? '').endsWith(q),
        query,
        { timeout: 15_000 },
      );
      return page.$$eval('#attack-incidents tbody tr', (trs) =>
        trs.map((tr) => {
          const a = tr.querySelector('a')!;
          return { id: (tr as HTMLElement).dataset.incidentId ?? '', href: a.getAttribute('href') ?? '', title: a.textContent ?? '' };
        }),
      );
    }

    it('shows the top source countries and ASNs', async () => {
      expect({ countries: await rowsOf('#top-countries tbody tr'), asns: await rowsOf('#top-asns tbody tr') }).toEqual({
        countries: [
          ['United Kingdom (GB)', '3'],
          ['Sweden (SE)', '2'],
          ['United States (US)', '1'],
        ],
        asns: [
          ['AS29518 Bredband2 AB', '2'],
          ['AS209', '1'],
        ],
      });
    });

    it('shows the matrix: tactics as columns in kill-chain order, techniques as cells with counts', async () => {
      const matrix = await page.$$eval('#attack-matrix .tactic', (columns) =>
        columns.map((c) => {
          const head = c.querySelector<HTMLElement>('.tactic-head')!;
          const cells = [...c.querySelectorAll<HTMLElement>('.technique')].map((b) => `${b.dataset.technique} ${b.dataset.count}`);
          return [head.dataset.tactic, head.querySelector('.name')!.textContent, head.querySelector('.count')!.textContent, cells];
        }),
      );
      expect(matrix).toEqual([
        ['TA0043', 'Reconnaissance', '0', []],
        ['TA0042', 'Resource Development', '0', []],
        ['TA0001', 'Initial Access', '2', ['T1078 1', 'T1190 1']],
        ['TA0002', 'Execution', '2', ['T1059 2', 'T1059.001 1']],
        ['TA0003', 'Persistence', '1', ['T1078 1']],
        ['TA0004', 'Privilege Escalation', '1', ['T1078 1']],
        ['TA0005', 'Defense Evasion', '1', ['T1078 1']],
        ['TA0006', 'Credential Access', '0', []],
        ['TA0007', 'Discovery', '0', []],
        ['TA0008', 'Lateral Movement', '0', []],
        ['TA0009', 'Collection', '0', []],
        ['TA0011', 'Command and Control', '0', []],
        ['TA0010', 'Exfiltration', '0', []],
        ['TA0040', 'Impact', '0', []],
      ]);
    });

    it('lists exactly the incidents of a clicked tactic (Execution), linked to the workspace, titles as text', async () => {
      const rows = await open('#attack-matrix .tactic-head[data-tactic="TA0002"]', 'tactic=TA0002&limit=50');
      expect({
        rows,
        heading: await page.textContent('#attack-drill-title'),
        pwned: await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? null),
      }).toEqual({
        rows: [
          { id: incident.hostile, href: `/app#incident/${incident.hostile}`, title: HOSTILE_TITLE },
          { id: incident.interpreter, href: `/app#incident/${incident.interpreter}`, title: 'Interpreter on ws-1' },
        ],
        heading: 'Incidents in Execution (TA0002)',
        pwned: null,
      });
    });

    it('lists exactly the incidents of a clicked technique cell (T1059.001 under Execution)', async () => {
      const rows = await open(
        '#attack-matrix .technique[data-tactic="TA0002"][data-technique="T1059.001"]',
        'tactic=TA0002&limit=50&technique=T1059.001',
      );
      expect({ ids: rows.map((r) => r.id), heading: await page.textContent('#attack-drill-title') }).toEqual({
        ids: [incident.interpreter],
        heading: 'Incidents with T1059.001 Command and Scripting Interpreter: PowerShell under Execution (TA0002)',
      });
    });

    it('saves a full-page screenshot of the matrix and its list as a test artifact', async () => {
      mkdirSync(artifacts, { recursive: true });
      await screenshot(page, artifacts, 'dashboard-attack');
    });

    it('ran without script errors, refused requests or dialogs', () => {
      expect(watch).toEqual({ problems: [], failures: [], dialogs: [] });
    });
  });
});
