import { createApiKey } from '../../src/auth/api-keys.service';
import type { Env } from '../../src/common/env';
import { startContainmentWebhook, type FakeContainmentWebhook } from '../fakes/containment-webhook';
import { startOidcProvider, type FakeOidcProvider } from '../fakes/oidc-provider';
import { pollUntil, startApi, type RunningApi } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { browse, CookieJar, sessionClient, signInWithKey, signInWithOidc } from '../support/sign-in';
import { alert, startStack, type Stack } from '../support/stack';

// Sign-in to the workspace (issue 31), server side: a real OpenID provider (oidc-provider 9 on a
// loopback port) and the real api, worker, Temporal and PostgreSQL. The test is the browser: it
// follows every redirect by hand and keeps each site's cookies. Warden's PUBLIC_URL is a name the
// provider sends people back to; the test forwards it to the api, as a reverse proxy would.

const PUBLIC_URL = 'http://warden.test';
const CLIENT_ID = 'warden-workspace';
const CLIENT_SECRET = 'warden-workspace-client-secret-0123456789';
const FIREWALL_SECRET_ENV = 'SIGN_IN_TEST_FW_SECRET';

const ACCOUNTS = {
  // sara.lindqvist (senior_analyst) by her subject.
  'sub-sara': { email: 'sara@example.org', email_verified: true, name: 'Sara Lindqvist' },
  // kim.nguyen (junior_analyst) by her verified email.
  'sub-kim': { email: 'Kim.Nguyen@example.org', email_verified: true, name: 'Kim Nguyen' },
  // Known to the provider, not to Warden.
  'sub-stranger': { email: 'stranger@example.org', email_verified: true, name: 'Someone Else' },
};

const RULES = [
  // Waits unassigned for a senior analyst (everyone is away), and its block waits for a senior's approval.
  {
    name: 'sign-in-gated',
    match: { type: 'sign_in_gated' },
    action: 'immediate',
    priority: 'P3',
    assign_role: 'senior_analyst',
    playbooks: ['sign-in-gated'],
  },
];
const FILES = {
  'playbooks/sign-in-gated.yaml': `steps:
  - id: block
    action: block_ip
    with: { ip: '{{ incident.source_ip }}' }
    approval: { role: senior_analyst, timeout: 10m, on_timeout: deny }
`,
};

type Doc = Record<string, any>;

describe('sign-in: OIDC with oidc-provider 9, sessions, CSRF and key sign-in (real api, worker, Temporal, Postgres)', () => {
  let idp: FakeOidcProvider;
  let firewall: FakeContainmentWebhook;
  let stack: Stack;
  const apis: RunningApi[] = [];

  beforeAll(async () => {
    idp = await startOidcProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: `${PUBLIC_URL}/auth/callback`,
      accounts: ACCOUNTS,
    });
    process.env[FIREWALL_SECRET_ENV] = 'sign-in-test-firewall-secret';
    firewall = await startContainmentWebhook({ secret: process.env[FIREWALL_SECRET_ENV]! });
    stack = await startStack({
      name: 'sign-in',
      files: FILES,
      rules: (doc) => {
        doc.rules = [...RULES, ...doc.rules];
      },
      assignment: (doc) => {
        doc.queue.sweep_every = '1h';
        for (const a of doc.analysts as Doc[]) {
          a.available = false; // nobody is free, so tasks wait for someone to take them
          if (a.id === 'sara.lindqvist') a.oidc_sub = 'sub-sara';
          if (a.id === 'kim.nguyen') a.email = 'kim.nguyen@example.org';
        }
      },
      containment: (doc) => {
        doc.adapters.firewall = { type: 'webhook', url: firewall.url, secret_env: FIREWALL_SECRET_ENV };
      },
      env: { PUBLIC_URL, OIDC_ISSUER_URL: idp.issuer, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: CLIENT_SECRET },
    });
  });
  afterAll(async () => {
    for (const api of apis) await api.close();
    await stack?.close();
    await Promise.all([idp?.close(), firewall?.close()]);
  });

  /** Another api on the same database: single sign-on off (so key sign-in is on), with these settings. */
  const apiWithoutOidc = async (overrides: Partial<Env> = {}): Promise<RunningApi> => {
    const env: Env = {
      ...stack.env,
      OIDC_ISSUER_URL: undefined,
      OIDC_CLIENT_ID: undefined,
      OIDC_CLIENT_SECRET: undefined,
      OUTBOX_DISPATCHER_ENABLED: false,
      ...overrides,
    };
    const api = await startApi(env);
    apis.push(api);
    return api;
  };

  const signIn = async (login: keyof typeof ACCOUNTS, returnTo?: string) => {
    const result = await signInWithOidc({ apiUrl: stack.api.url, publicUrl: PUBLIC_URL, login, returnTo });
    if (result.final.status !== 302) throw new Error(`sign-in of ${login} answered ${result.final.status}: ${result.final.text}`);
    return result;
  };
  const post = async (fields: Record<string, unknown>) => {
    const res = await stack.ingest('POST', '/v1/alerts', alert(fields));
    expect(res.status).toBe(202);
    return (res.body as { incidentId: string }).incidentId;
  };
  const waitingTask = (incidentId: string) =>
    stack.task(incidentId, (t) => t.status === 'new' && t.assignee_id === null, 'the task waiting for someone to take it');
  const pendingApproval = async (incidentId: string) =>
    (await pollUntil(
      async () => (await stack.db.query(`SELECT id FROM approvals WHERE incident_id = $1 AND status = 'pending'`, [incidentId]))[0],
      (a) => a !== undefined,
      { what: 'the pending approval', timeoutMs: 30_000 },
    )) as { id: string };
  const gatedIncident = async () => {
    const ip = uniqueIp();
    const incidentId = await post({ type: 'sign_in_gated', severity: 'high', sourceIp: ip });
    return { ip, incidentId, task: await waitingTask(incidentId), approval: await pendingApproval(incidentId) };
  };
  const lastAuditId = async () => Number((await stack.db.query(`SELECT coalesce(max(id), 0) AS id FROM audit_log`))[0].id);
  const authAudit = async (after: number) =>
    stack.db.query(`SELECT actor, action, subject_type, after FROM audit_log WHERE id > $1 AND action LIKE 'auth.%' ORDER BY id`, [after]);

  it('signs in with OIDC and, with the session alone, takes, acknowledges, approves the gated block and resolves as a false positive; the run shows the rollback', async () => {
    const { ip, incidentId, task, approval } = await gatedIncident();
    const { jar, final } = await signIn('sub-sara', `/app#incident/${incidentId}`);
    const sara = sessionClient(stack.api.url, jar);
    const session = await sara('GET', '/v1/session');
    const queue = await sara('GET', '/v1/tasks?assignee=none');
    const take = await sara('POST', `/v1/tasks/${task.id}/take`, {});
    const ack = await sara('POST', `/v1/tasks/${task.id}/ack`);
    const approve = await sara('POST', `/v1/approvals/${approval.id}`, { decision: 'approve', reason: 'seen the scan, block it' });
    await pollUntil(
      async () => firewall.blocked.has(ip),
      (b) => b,
      { what: `the block of ${ip}`, timeoutMs: 30_000 },
    );
    const resolve = await sara('POST', `/v1/tasks/${task.id}/resolve`, { disposition: 'false_positive', resolution: 'our own scanner' });
    await pollUntil(
      async () => firewall.blocked.has(ip),
      (b) => !b,
      { what: `the rollback of the block of ${ip}`, timeoutMs: 30_000 },
    );
    const detail = await pollUntil(
      () => sara('GET', `/v1/incidents/${incidentId}`),
      (d) => d.body?.playbookRuns?.[0]?.status === 'compensated',
      { what: 'the run compensated', timeoutMs: 30_000 },
    );
    const [run] = detail.body.playbookRuns;
    expect({
      landed: final.headers.get('location'),
      session: {
        ...session.body,
        csrfToken: typeof session.body.csrfToken === 'string' && session.body.csrfToken.length > 0,
        expiresAt: typeof session.body.expiresAt,
      },
      queue: queue.body.items.some((t: { id: string }) => t.id === task.id),
      answers: [take.status, ack.status, approve.status, resolve.status],
      actions: await stack.db.query(`SELECT action, actor FROM audit_log WHERE subject_id = $1 AND action LIKE 'task.%' ORDER BY id`, [
        task.id,
      ]),
      approval: (await stack.db.query(`SELECT status, decided_by FROM approvals WHERE id = $1`, [approval.id]))[0],
      run: { status: run.status, steps: run.steps.map((s: Doc) => [s.id, s.status, s.compensation?.status]) },
    }).toEqual({
      landed: `/app#incident/${incidentId}`,
      session: {
        analyst: { id: 'sara.lindqvist', name: 'Sara Lindqvist', roles: ['senior_analyst'] },
        scopes: ['analyst'],
        csrfToken: true,
        expiresAt: 'string',
        via: 'oidc',
      },
      queue: true,
      answers: [200, 200, 200, 200],
      actions: expect.arrayContaining([
        { action: 'task.assigned', actor: 'analyst:sara.lindqvist' },
        { action: 'task.acknowledged', actor: 'analyst:sara.lindqvist' },
        { action: 'task.resolved', actor: 'analyst:sara.lindqvist' },
      ]),
      approval: { status: 'approved', decided_by: 'analyst:sara.lindqvist' },
      run: { status: 'compensated', steps: [['block', 'succeeded', 'compensated']] },
    });
  });

  it("refuses a junior analyst's approve with the rule's reason, as the REST path does", async () => {
    const { approval } = await gatedIncident();
    const kim = sessionClient(stack.api.url, (await signIn('sub-kim')).jar);
    const who = await kim('GET', '/v1/session');
    const res = await kim('POST', `/v1/approvals/${approval.id}`, { decision: 'approve', reason: 'looks bad' });
    expect({
      who: who.body.analyst,
      status: res.status,
      type: res.headers.get('content-type'),
      detail: res.body.detail,
      approval: (await stack.db.query(`SELECT status FROM approvals WHERE id = $1`, [approval.id]))[0].status,
    }).toEqual({
      who: { id: 'kim.nguyen', name: 'Kim Nguyen', roles: ['junior_analyst'] },
      status: 403,
      type: expect.stringContaining('application/problem+json'),
      detail: expect.stringContaining('the approval needs the senior_analyst role or above; kim.nguyen is junior_analyst'),
      approval: 'pending',
    });
  });

  it("refuses a change without the session's CSRF token, or with another session's, and changes nothing", async () => {
    const { task } = await gatedIncident();
    const sara = sessionClient(stack.api.url, (await signIn('sub-sara')).jar);
    const other = sessionClient(stack.api.url, (await signIn('sub-kim')).jar);
    const othersToken = (await other('GET', '/v1/session')).body.csrfToken as string;
    const before = await stack.db.query(`SELECT * FROM tasks WHERE id = $1`, [task.id]);
    const without = await sara('POST', `/v1/tasks/${task.id}/take`, {}, { csrf: false });
    const foreign = await sara('POST', `/v1/tasks/${task.id}/take`, {}, { csrf: othersToken });
    expect({
      answers: [without, foreign].map((r) => ({ status: r.status, type: r.headers.get('content-type'), errors: r.body.errors })),
      task: await stack.db.query(`SELECT * FROM tasks WHERE id = $1`, [task.id]),
      audited: (
        await stack.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE subject_id = $1 AND action = 'task.assigned'`, [task.id])
      )[0].n,
    }).toEqual({
      answers: [
        {
          status: 403,
          type: expect.stringContaining('application/problem+json'),
          errors: [{ path: 'header:x-csrf-token', message: 'missing CSRF token' }],
        },
        {
          status: 403,
          type: expect.stringContaining('application/problem+json'),
          errors: [{ path: 'header:x-csrf-token', message: 'invalid CSRF token for this session' }],
        },
      ],
      task: before,
      audited: 0,
    });
  });

  it('refuses a forged session cookie with 401', async () => {
    const { jar } = await signIn('sub-sara');
    const real = decodeURIComponent(jar.get('warden_session')!);
    const [token, signature] = [real.slice(0, real.lastIndexOf('.')), real.slice(real.lastIndexOf('.') + 1)];
    const forged = new CookieJar();
    // Another token under the real signature, and a token with no signature at all.
    forged.set('warden_session', encodeURIComponent(`${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}.${signature}`));
    const unsigned = new CookieJar();
    unsigned.set('warden_session', token);
    const answers = [];
    for (const j of [forged, unsigned]) {
      const res = await sessionClient(stack.api.url, j)('GET', '/v1/tasks');
      answers.push({ status: res.status, type: res.headers.get('content-type'), errors: res.body.errors });
    }
    const refused = {
      status: 401,
      type: expect.stringContaining('application/problem+json'),
      errors: [{ path: 'cookie:warden_session', message: 'forged or damaged session cookie' }],
    };
    expect(answers).toEqual([refused, refused]);
  });

  it('ends the session at sign-out: the cookie copied before gets 401 afterwards', async () => {
    const { jar } = await signIn('sub-sara');
    const copied = jar.copy();
    const sara = sessionClient(stack.api.url, jar);
    const before = await sessionClient(stack.api.url, copied)('GET', '/v1/session');
    const logout = await sara('POST', '/auth/logout');
    const after = await sessionClient(stack.api.url, copied)('GET', '/v1/session');
    const change = await sessionClient(stack.api.url, copied)('POST', '/v1/tasks/00000000-0000-4000-8000-000000000000/ack', undefined, {
      csrf: before.body.csrfToken,
    });
    expect({
      before: before.status,
      logout: logout.status,
      cleared: jar.get('warden_session'),
      after: { status: after.status, errors: after.body.errors },
      change: change.status,
    }).toEqual({
      before: 200,
      logout: 204,
      cleared: undefined,
      after: { status: 401, errors: [{ path: 'cookie:warden_session', message: 'the session was signed out' }] },
      change: 401,
    });
  });

  it('refuses, with 403, someone the provider knows and the roster does not', async () => {
    const { final } = await signInWithOidc({ apiUrl: stack.api.url, publicUrl: PUBLIC_URL, login: 'sub-stranger' });
    expect({
      status: final.status,
      type: final.headers.get('content-type'),
      errors: final.body.errors,
      cookie: final.headers.getSetCookie().some((c) => c.startsWith('warden_session=')),
    }).toEqual({
      status: 403,
      type: expect.stringContaining('application/problem+json'),
      errors: [
        { path: 'claim:sub', message: 'no analyst in assignment.yaml has the OIDC subject sub-stranger or the email stranger@example.org' },
      ],
      cookie: false,
    });
  });

  it('refuses key sign-in while OIDC is on and KEY_SIGN_IN is not set', async () => {
    const key = (await createApiKey(stack.db, 'sara-key', ['analyst'], 'sara.lindqvist')).key;
    const { jar, answer } = await signInWithKey(stack.api.url, key);
    expect({
      status: answer.status,
      page: answer.text.includes('Sign-in with an API key is off here'),
      cookie: jar.get('warden_session'),
    }).toEqual({
      status: 403,
      page: true,
      cookie: undefined,
    });
  });

  describe('with OIDC off (another api on the same database)', () => {
    it("signs in with an analyst's API key and lands where it was asked to", async () => {
      const api = await apiWithoutOidc();
      const key = (await createApiKey(stack.db, 'ravi-key', ['analyst', 'ingest'], 'ravi.patel')).key;
      const page = await browse(new CookieJar(), `${api.url}/auth/login?return=${encodeURIComponent('/app#incident/1')}`);
      const html = await page.text();
      const { jar, answer } = await signInWithKey(api.url, key, '/app#incident/1');
      const session = await sessionClient(api.url, jar)('GET', '/v1/session');
      expect({
        page: {
          status: page.status,
          csp: page.headers.get('content-security-policy'),
          form: html.includes('action="/auth/key"'),
          script: html.includes('<script'),
        },
        answer: { status: answer.status, location: answer.headers.get('location') },
        session: { analyst: session.body.analyst, scopes: session.body.scopes, via: session.body.via, csrf: typeof session.body.csrfToken },
      }).toEqual({
        page: { status: 200, csp: expect.stringContaining("default-src 'none'"), form: true, script: false },
        answer: { status: 303, location: '/app#incident/1' },
        // A person's session never carries the key's ingest scope.
        session: { analyst: { id: 'ravi.patel', name: 'Ravi Patel', roles: ['analyst'] }, scopes: ['analyst'], via: 'key', csrf: 'string' },
      });
    });

    it("refuses a sign-in form another site's page posted (the browser's Sec-Fetch-Site), and opens no session", async () => {
      const api = await apiWithoutOidc();
      const key = (await createApiKey(stack.db, 'ravi-key-2', ['analyst'], 'ravi.patel')).key;
      const res = await fetch(`${api.url}/auth/key`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
        body: JSON.stringify({ key }),
        redirect: 'manual',
      });
      expect({
        status: res.status,
        errors: ((await res.json()) as { errors: unknown }).errors,
        cookies: res.headers.getSetCookie(),
      }).toEqual({
        status: 403,
        errors: [{ path: 'header:sec-fetch-site', message: 'sign-in posted from another site (cross-site)' }],
        cookies: [],
      });
    });

    it('refuses a session left idle longer than SESSION_IDLE_SECONDS with 401', async () => {
      const api = await apiWithoutOidc({ SESSION_IDLE_SECONDS: 2 });
      const key = (await createApiKey(stack.db, 'lucia-key', ['analyst'], 'lucia.garcia')).key;
      const { jar, answer } = await signInWithKey(api.url, key);
      expect(answer.status).toBe(303);
      // Asking the api would count as use: the database's clock says when two idle seconds have passed.
      await pollUntil(
        () =>
          stack.db.query(
            `SELECT bool_and(now() >= last_seen_at + interval '2 seconds') AS idle FROM sessions WHERE analyst_id = 'lucia.garcia' AND ended_at IS NULL`,
          ),
        (rows) => rows[0].idle === true,
        { what: "lucia.garcia's session idle for two seconds", timeoutMs: 15_000 },
      );
      const res = await sessionClient(api.url, jar)('GET', '/v1/session');
      expect({ status: res.status, errors: res.body.errors }).toEqual({
        status: 401,
        errors: [{ path: 'cookie:warden_session', message: 'the session was idle too long' }],
      });
    });

    it('refuses a session past SESSION_MAX_HOURS with 401, however busy', async () => {
      const api = await apiWithoutOidc({ SESSION_MAX_HOURS: 0.001 }); // 3.6 s
      const key = (await createApiKey(stack.db, 'jonas-key', ['analyst'], 'jonas.muller')).key;
      const { jar } = await signInWithKey(api.url, key);
      const jonas = sessionClient(api.url, jar);
      const res = await pollUntil(
        () => jonas('GET', '/v1/session'),
        (r) => r.status !== 200,
        { what: "jonas.muller's session to reach its maximum age", timeoutMs: 20_000 },
      );
      expect({ status: res.status, errors: res.body.errors }).toEqual({
        status: 401,
        errors: [{ path: 'cookie:warden_session', message: 'the session reached its maximum age' }],
      });
    });
  });

  it('writes sign-in, sign-out and a failed sign-in to the audit log, never a secret', async () => {
    const since = await lastAuditId();
    const { jar } = await signIn('sub-sara');
    const token = jar.get('warden_session')!;
    expect((await sessionClient(stack.api.url, jar)('POST', '/auth/logout')).status).toBe(204);
    await signInWithOidc({ apiUrl: stack.api.url, publicUrl: PUBLIC_URL, login: 'sub-stranger' });
    const rows = await authAudit(since);
    expect({
      rows,
      secret: JSON.stringify(rows).includes(decodeURIComponent(token).split('.')[0]),
    }).toEqual({
      rows: [
        {
          actor: 'analyst:sara.lindqvist',
          action: 'auth.signed_in',
          subject_type: 'session',
          after: { method: 'oidc', scopes: ['analyst'], matchedBy: 'oidc_sub' },
        },
        { actor: 'analyst:sara.lindqvist', action: 'auth.signed_out', subject_type: 'session', after: { method: 'oidc' } },
        {
          actor: 'oidc:sub-stranger',
          action: 'auth.sign_in_failed',
          subject_type: 'sign_in',
          after: {
            method: 'oidc',
            reason: 'no analyst in assignment.yaml has the OIDC subject sub-stranger or the email stranger@example.org',
            sub: 'sub-stranger',
            email: 'stranger@example.org',
          },
        },
      ],
      secret: false,
    });
  });

  it('audits a failed key sign-in with its reason and without the key', async () => {
    const api = await apiWithoutOidc();
    const since = await lastAuditId();
    const bogus = 'wdn_not-a-key-anyone-was-given-0123456789abcdef';
    const { answer } = await signInWithKey(api.url, bogus);
    const rows = await authAudit(since);
    expect({ status: answer.status, rows, secret: JSON.stringify(rows).includes(bogus) }).toEqual({
      status: 401,
      rows: [
        {
          actor: 'anonymous',
          action: 'auth.sign_in_failed',
          subject_type: 'sign_in',
          after: { method: 'key', reason: 'unknown or revoked key' },
        },
      ],
      secret: false,
    });
  });
});
