import { randomUUID } from 'node:crypto';
import { failureOf, PermanentActionError, type ContainmentAdapter, type ContainmentRequest } from '../../src/containment/adapter';
import { mayHaveApplied } from '../../src/containment/applied';
import { createAdapters } from '../../src/containment/adapters';
import { containmentFileSchema } from '../../src/containment/containment.schema';
import { Containment } from '../../src/containment/containment.service';
import { EdrAdapter } from '../../src/containment/edr.adapter';
import { ScimAdapter } from '../../src/containment/scim.adapter';
import { WebhookAdapter } from '../../src/containment/webhook.adapter';
import { startContainmentWebhook, type FakeContainmentWebhook } from '../fakes/containment-webhook';
import { startEdrServer, type FakeEdrServer } from '../fakes/edr-server';
import { startScimServer, type FakeScimServer } from '../fakes/scim-server';
import { uniqueIp } from '../support/ips';
import { freePort } from '../support/temporal-server';

/**
 * Each containment adapter against its fake over real HTTP on loopback: containment, an undo
 * that restores exactly the state before, how answers are classified (a refusal is final, 503
 * and a hang are retried; whether a failure may have applied the change), undos of what is not
 * there, and hostile targets. No database or Temporal is involved.
 */

const SECRET = 'webhook-secret-for-containment-tests';
const TOKEN = 'bearer-token-for-containment-tests';
const TIMEOUT = 0.5;

const request = (action: ContainmentRequest['action'], target: string, undo?: Record<string, unknown>): ContainmentRequest => ({
  action,
  target,
  undo,
  incidentId: randomUUID(),
  idempotencyKey: `run:${randomUUID()}:${action}`,
});

/** A request that records what the adapter hands beforeChange, in order. */
const recording = (req: ContainmentRequest) => {
  const before: (Record<string, unknown> | undefined)[] = [];
  return { req: { ...req, beforeChange: async (undo?: Record<string, unknown>) => void before.push(undo) }, before };
};

/** The error a promise rejects with. */
const failure = (p: Promise<unknown>) => p.then(() => new Error('resolved, expected a rejection')).catch((e: Error) => e);

/** A retryable failure: an Error, but not a PermanentActionError. */
async function expectTransient(p: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await failure(p);
  expect({ permanent: err instanceof PermanentActionError, message: err.message }).toEqual({
    permanent: false,
    message: expect.stringMatching(message),
  });
}

describe('webhook adapter', () => {
  let fake: FakeContainmentWebhook;
  let adapter: ContainmentAdapter;

  beforeAll(async () => {
    fake = await startContainmentWebhook({ secret: SECRET });
    adapter = new WebhookAdapter({ name: 'fw', url: fake.url, secret: SECRET, timeoutSeconds: TIMEOUT });
  });
  afterEach(() => fake.setMode('ok'));
  afterAll(() => fake.close());

  it('sends a signed request the receiver verifies, with the idempotency key, and keeps the answer’s undo state', async () => {
    const ip = uniqueIp();
    const req = request('block_ip', ip);
    const result = await adapter.perform(req);
    const call = fake.requests.at(-1)!;
    expect({
      blocked: fake.blocked.has(ip),
      signed: call.signed,
      key: call.headers['idempotency-key'],
      body: call.json,
      result,
    }).toEqual({
      blocked: true,
      signed: true,
      key: req.idempotencyKey,
      body: { action: 'block_ip', target: ip, incidentId: req.incidentId, idempotencyKey: req.idempotencyKey },
      result: { output: { accepted: true, action: 'block_ip', target: ip }, undo: { wasBlocked: false } },
    });
  });

  it('undoes a block it made', async () => {
    const ip = uniqueIp();
    const { undo } = await adapter.perform(request('block_ip', ip));
    await adapter.perform(request('unblock_ip', ip, undo));
    expect(fake.blocked.has(ip)).toBe(false);
  });

  it('leaves a target that was blocked before the containment blocked after the undo', async () => {
    const ip = uniqueIp();
    fake.blocked.add(ip);
    const { undo } = await adapter.perform(request('block_ip', ip));
    await adapter.perform(request('unblock_ip', ip, undo));
    expect({ undo, blocked: fake.blocked.has(ip) }).toEqual({ undo: { wasBlocked: true }, blocked: true });
  });

  it('is refused for good (401) when signed with another secret', async () => {
    const forger = new WebhookAdapter({ name: 'fw', url: fake.url, secret: 'not-the-receivers-secret', timeoutSeconds: TIMEOUT });
    const err = await failure(forger.perform(request('block_ip', uniqueIp())));
    expect({ permanent: err instanceof PermanentActionError, message: err.message, signed: fake.requests.at(-1)!.signed }).toEqual({
      permanent: true,
      message: expect.stringContaining('answered 401'),
      signed: false,
    });
  });

  it('retries (a plain Error) when the receiver answers 503', async () => {
    fake.setMode('down');
    await expectTransient(adapter.perform(request('block_ip', uniqueIp())), /answered 503/);
  });

  it('times out on a receiver that never answers, as a retryable error', async () => {
    fake.setMode('hang');
    const started = Date.now();
    await expectTransient(adapter.perform(request('block_ip', uniqueIp())), /did not answer within 0.5 s/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('names the receiver by origin only in errors (a webhook path may be a secret)', async () => {
    fake.setMode('down');
    const err = await failure(adapter.perform(request('block_ip', uniqueIp())));
    expect(err.message).not.toContain('/warden/containment');
  });

  it('a block applied and then answered 500 fails as a retryable error that may have applied, after beforeChange', async () => {
    const ip = uniqueIp();
    fake.applyThenFail(500, 'block_ip');
    try {
      const { req, before } = recording(request('block_ip', ip));
      const err = await failure(adapter.perform(req));
      expect({
        permanent: err instanceof PermanentActionError,
        may: mayHaveApplied(failureOf(err)),
        before,
        blocked: fake.blocked.has(ip),
      }).toEqual({
        permanent: false,
        may: true,
        before: [undefined],
        blocked: true,
      });
    } finally {
      fake.heal();
    }
  });

  it('a block applied and never answered times out as a failure that may have applied', async () => {
    const ip = uniqueIp();
    fake.applyThenFail('timeout', 'block_ip');
    try {
      const err = await failure(adapter.perform(request('block_ip', ip)));
      expect({ failure: failureOf(err), may: mayHaveApplied(failureOf(err)), blocked: fake.blocked.has(ip) }).toEqual({
        failure: { kind: 'timeout' },
        may: true,
        blocked: true,
      });
    } finally {
      fake.heal();
    }
  });

  it('a block refused with 400 before it is applied fails for good and has not applied', async () => {
    const ip = uniqueIp();
    fake.refuse(400, 'block_ip');
    try {
      const err = await failure(adapter.perform(request('block_ip', ip)));
      expect({
        permanent: err instanceof PermanentActionError,
        may: mayHaveApplied(failureOf(err)),
        blocked: fake.blocked.has(ip),
      }).toEqual({
        permanent: true,
        may: false,
        blocked: false,
      });
    } finally {
      fake.heal();
    }
  });

  it('a receiver that refuses the connection has not applied anything', async () => {
    const closed = new WebhookAdapter({
      name: 'fw',
      url: `http://127.0.0.1:${await freePort()}/x`,
      secret: SECRET,
      timeoutSeconds: TIMEOUT,
    });
    const err = await failure(closed.perform(request('block_ip', uniqueIp())));
    expect({ failure: failureOf(err), may: mayHaveApplied(failureOf(err)) }).toEqual({
      failure: { kind: 'unreachable', code: 'ECONNREFUSED' },
      may: false,
    });
  });

  it('an unblock answered 404 (nothing blocked there) succeeds, changing nothing', async () => {
    fake.refuse(404, 'unblock_ip');
    try {
      const result = await adapter.perform(request('unblock_ip', uniqueIp()));
      expect(result).toEqual({ output: { status: 404, changed: false, reason: 'nothing contained there' } });
    } finally {
      fake.heal();
    }
  });

  it('an unblock of an address it never blocked, without undo state, succeeds', async () => {
    const ip = uniqueIp();
    await adapter.perform(request('unblock_ip', ip));
    await adapter.perform(request('unblock_ip', ip));
    expect(fake.blocked.has(ip)).toBe(false);
  });

  it('stamps each logged request with its arrival time', async () => {
    const from = Date.now();
    await adapter.perform(request('block_ip', uniqueIp()));
    const at = fake.requests.at(-1)!.at;
    expect(at >= from && at <= Date.now()).toBe(true);
  });

  it('carries quotes, backslashes and shell syntax in the JSON body unchanged', async () => {
    const host = `ws"01\\'; rm -rf / #${randomUUID()}`;
    await adapter.perform(request('isolate_host', host));
    expect(fake.requests.at(-1)!.json?.target).toBe(host);
  });
});

describe('SCIM adapter', () => {
  let fake: FakeScimServer;
  let adapter: ContainmentAdapter;
  const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}@example.com`;

  beforeAll(async () => {
    fake = await startScimServer({ token: TOKEN });
    adapter = new ScimAdapter({ name: 'idp', url: fake.url, token: TOKEN, timeoutSeconds: TIMEOUT });
  });
  afterEach(() => fake.setMode('ok'));
  afterAll(() => fake.close());

  it('disables an active user with PATCH active=false, bearer-authenticated, recording the SCIM id', async () => {
    const user = fake.addUser(name('alice'));
    const result = await adapter.perform(request('disable_user', user.userName));
    const patch = fake.requests.at(-1)!;
    expect({
      active: user.active,
      undo: result.undo,
      method: patch.method,
      auth: patch.headers.authorization,
      type: patch.headers['content-type'],
      body: JSON.parse(patch.body),
    }).toEqual({
      active: false,
      undo: { scimId: user.id, wasActive: true },
      method: 'PATCH',
      auth: `Bearer ${TOKEN}`,
      type: 'application/scim+json',
      body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] },
    });
  });

  it('finds the user case-insensitively', async () => {
    const user = fake.addUser(name('Bob'));
    await adapter.perform(request('disable_user', user.userName.toUpperCase()));
    expect(user.active).toBe(false);
  });

  it('enables again a user it disabled', async () => {
    const user = fake.addUser(name('carol'));
    const { undo } = await adapter.perform(request('disable_user', user.userName));
    await adapter.perform(request('enable_user', user.userName, undo));
    expect(user.active).toBe(true);
  });

  it('leaves a user who was disabled before the containment disabled after the undo, without a PATCH', async () => {
    const user = fake.addUser(name('dave'), false);
    const before = fake.requests.length;
    const { undo } = await adapter.perform(request('disable_user', user.userName));
    await adapter.perform(request('enable_user', user.userName, undo));
    expect({ active: user.active, patches: fake.requests.slice(before).filter((r) => r.method === 'PATCH').length }).toEqual({
      active: false,
      patches: 0,
    });
  });

  it('enables a user who is active already: the undo is idempotent', async () => {
    const user = fake.addUser(name('ivan'));
    const { undo } = await adapter.perform(request('disable_user', user.userName));
    await adapter.perform(request('enable_user', user.userName, undo));
    await adapter.perform(request('enable_user', user.userName, undo));
    expect(user.active).toBe(true);
  });

  it('an enable of a user who is gone succeeds, with nothing to enable', async () => {
    const user = fake.addUser(name('judy'));
    const { undo } = await adapter.perform(request('disable_user', user.userName));
    fake.users.delete(user.id);
    expect((await adapter.perform(request('enable_user', user.userName, undo))).output).toMatchObject({ changed: false });
  });

  it('hands beforeChange the SCIM id and wasActive before the PATCH, and a PATCH applied then answered 500 may have applied', async () => {
    const user = fake.addUser(name('kate'));
    fake.applyThenFail(500, 'disable_user');
    try {
      const { req, before } = recording(request('disable_user', user.userName));
      const err = await failure(adapter.perform(req));
      expect({ may: mayHaveApplied(failureOf(err)), before, active: user.active }).toEqual({
        may: true,
        before: [{ scimId: user.id, wasActive: true }],
        active: false,
      });
    } finally {
      fake.heal();
    }
  });

  it('a user already disabled is not changed, and beforeChange is not called', async () => {
    const user = fake.addUser(name('leo'), false);
    const { req, before } = recording(request('disable_user', user.userName));
    const result = await adapter.perform(req);
    expect({ undo: result.undo, before }).toEqual({ undo: { scimId: user.id, wasActive: false }, before: [] });
  });

  it('fails for good when no such user exists', async () => {
    await expect(adapter.perform(request('disable_user', name('nobody')))).rejects.toThrow(PermanentActionError);
  });

  it('fails for good (401) with a wrong token', async () => {
    const wrong = new ScimAdapter({ name: 'idp', url: fake.url, token: 'wrong', timeoutSeconds: TIMEOUT });
    await expect(wrong.perform(request('disable_user', fake.addUser(name('erin')).userName))).rejects.toThrow(PermanentActionError);
  });

  it('retries (a plain Error) when the IdP answers 503', async () => {
    const user = fake.addUser(name('frank'));
    fake.setMode('down');
    await expectTransient(adapter.perform(request('disable_user', user.userName)), /answered 503: down for maintenance/);
  });

  it('times out on an IdP that never answers, as a retryable error', async () => {
    const user = fake.addUser(name('grace'));
    fake.setMode('hang');
    await expectTransient(adapter.perform(request('disable_user', user.userName)), /did not answer within/);
  });

  it('escapes quotes and backslashes in the filter, so the IdP sees exactly the name', async () => {
    const user = fake.addUser(`o"neil\\x'; rm -rf / ${randomUUID().slice(0, 8)}`);
    await adapter.perform(request('disable_user', user.userName));
    expect({ asked: fake.filters.at(-1), active: user.active }).toEqual({ asked: user.userName, active: false });
  });

  it('cannot be steered by a filter injected in the name: nobody else is disabled', async () => {
    const victim = fake.addUser(name('victim'));
    const injected = `x" or userName eq "${victim.userName}`;
    const err = await failure(adapter.perform(request('disable_user', injected)));
    expect({ permanent: err instanceof PermanentActionError, asked: fake.filters.at(-1), victim: victim.active }).toEqual({
      permanent: true,
      asked: injected,
      victim: true,
    });
  });
});

describe('EDR adapter', () => {
  let fake: FakeEdrServer;
  let adapter: ContainmentAdapter;
  const host = (prefix = 'ws') => `${prefix}-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    fake = await startEdrServer({ token: TOKEN });
    adapter = new EdrAdapter({ name: 'edr', url: fake.url, token: TOKEN, timeoutSeconds: TIMEOUT });
  });
  afterEach(() => fake.setMode('ok'));
  afterAll(() => fake.close());

  it('isolates a host, recording that it was not isolated before', async () => {
    const h = host();
    fake.addHost(h);
    const result = await adapter.perform(request('isolate_host', h));
    expect({ isolated: fake.hosts.get(h), undo: result.undo }).toEqual({ isolated: true, undo: { wasIsolated: false } });
  });

  it('releases a host it isolated', async () => {
    const h = host();
    fake.addHost(h);
    const { undo } = await adapter.perform(request('isolate_host', h));
    await adapter.perform(request('release_host', h, undo));
    expect(fake.hosts.get(h)).toBe(false);
  });

  it('leaves a host that was isolated before the containment isolated after the undo, without a POST', async () => {
    const h = host();
    fake.addHost(h, true);
    const before = fake.requests.length;
    const { undo } = await adapter.perform(request('isolate_host', h));
    await adapter.perform(request('release_host', h, undo));
    expect({ isolated: fake.hosts.get(h), posts: fake.requests.slice(before).filter((r) => r.method === 'POST').length }).toEqual({
      isolated: true,
      posts: 0,
    });
  });

  it('releases a host that is not isolated: the undo is idempotent', async () => {
    const h = host();
    fake.addHost(h);
    const { undo } = await adapter.perform(request('isolate_host', h));
    await adapter.perform(request('release_host', h, undo));
    await adapter.perform(request('release_host', h, undo));
    expect(fake.hosts.get(h)).toBe(false);
  });

  it('a release of a host the EDR no longer knows succeeds, with nothing to release', async () => {
    expect((await adapter.perform(request('release_host', host('gone')))).output).toMatchObject({ changed: false });
  });

  it('hands beforeChange wasIsolated before the isolate, and an isolate applied then answered 502 may have applied', async () => {
    const h = host();
    fake.addHost(h);
    fake.applyThenFail(502, 'isolate_host');
    try {
      const { req, before } = recording(request('isolate_host', h));
      const err = await failure(adapter.perform(req));
      expect({ may: mayHaveApplied(failureOf(err)), before, isolated: fake.hosts.get(h) }).toEqual({
        may: true,
        before: [{ wasIsolated: false }],
        isolated: true,
      });
    } finally {
      fake.heal();
    }
  });

  it('an isolate refused with 403 has not applied', async () => {
    const h = host();
    fake.addHost(h);
    fake.refuse(403, 'isolate_host');
    try {
      const err = await failure(adapter.perform(request('isolate_host', h)));
      expect({ may: mayHaveApplied(failureOf(err)), isolated: fake.hosts.get(h) }).toEqual({ may: false, isolated: false });
    } finally {
      fake.heal();
    }
  });

  it('fails for good on a host the EDR does not know', async () => {
    await expect(adapter.perform(request('isolate_host', host('unknown')))).rejects.toThrow(PermanentActionError);
  });

  it('retries (a plain Error) when the EDR answers 503', async () => {
    const h = host();
    fake.addHost(h);
    fake.setMode('down');
    await expectTransient(adapter.perform(request('isolate_host', h)), /answered 503/);
  });

  it('times out on an EDR that never answers, as a retryable error', async () => {
    const h = host();
    fake.addHost(h);
    fake.setMode('hang');
    await expectTransient(adapter.perform(request('isolate_host', h)), /did not answer within/);
  });

  it('sends a hostile host name as one encoded path segment', async () => {
    const h = `../admin/x?y=1#; rm -rf / ${randomUUID().slice(0, 8)}`;
    fake.addHost(h);
    await adapter.perform(request('isolate_host', h));
    expect({ asked: fake.asked.at(-1), isolated: fake.hosts.get(h), path: fake.requests.at(-1)!.url.split('/').length }).toEqual({
      asked: h,
      isolated: true,
      path: 5, // "", api, hosts, {host}, isolate
    });
  });

  it('refuses the names "." and ".." without a request (URLs resolve them as dot segments)', async () => {
    const before = fake.requests.length;
    const err = await failure(adapter.perform(request('isolate_host', '..')));
    expect({ permanent: err instanceof PermanentActionError, sent: fake.requests.length - before }).toEqual({ permanent: true, sent: 0 });
  });
});

describe('Containment.perform', () => {
  let webhook: FakeContainmentWebhook;
  let scim: FakeScimServer;
  let edr: FakeEdrServer;
  let containment: Containment;
  const env = (): NodeJS.ProcessEnv => ({ FW_SECRET: SECRET, IDP_URL: scim.url, IDP_TOKEN: TOKEN, EDR_TOKEN: TOKEN });
  const call = (action: ContainmentRequest['action'], input: Record<string, unknown>, undo?: Record<string, unknown>) =>
    containment.perform({ action, input, undo, incidentId: randomUUID(), idempotencyKey: `run:${randomUUID()}:${action}` });

  beforeAll(async () => {
    webhook = await startContainmentWebhook({ secret: SECRET });
    scim = await startScimServer({ token: TOKEN });
    edr = await startEdrServer({ token: TOKEN });
    const config = containmentFileSchema.parse({
      allow_list: { cidrs: ['192.0.2.0/24', '2001:db8:77::/48'], users: ['Admin'], hosts: ['gw.example.com'] },
      adapters: {
        fw: { type: 'webhook', url: webhook.url, secret_env: 'FW_SECRET', timeout: '500ms' },
        idp: { type: 'scim', url_env: 'IDP_URL', token_env: 'IDP_TOKEN', timeout: '500ms' },
        edr: { type: 'edr', url: edr.url, token_env: 'EDR_TOKEN', timeout: '500ms' },
        waf: { type: 'webhook', url: webhook.url, secret_env: 'WAF_SECRET' },
      },
      defaults: { block_ip: 'fw', disable_user: 'idp', isolate_host: 'edr' },
    });
    containment = new Containment(config, env());
  });
  afterAll(async () => Promise.all([webhook.close(), scim.close(), edr.close()]));

  it('contains through the default adapter, with the normalized target and the undo state', async () => {
    const ip = uniqueIp();
    const outcome = await call('block_ip', { ip: `::ffff:${ip}` });
    expect(outcome).toEqual({
      status: 'succeeded',
      target: ip,
      adapter: 'fw',
      output: expect.objectContaining({ accepted: true }),
      undo: { wasBlocked: false },
    });
  });

  it('undoes through the containment action’s default adapter', async () => {
    const user = scim.addUser(`henry-${randomUUID().slice(0, 8)}`);
    const done = await call('disable_user', { user: user.userName });
    await call('enable_user', { user: user.userName }, done.status === 'succeeded' ? done.undo : undefined);
    expect(user.active).toBe(true);
  });

  it.each([
    ['block_ip', { ip: '192.0.2.4' }, '192.0.2.0/24'],
    ['block_ip', { ip: '::ffff:192.0.2.4' }, '192.0.2.0/24'],
    ['block_ip', { ip: '2001:db8:77::1' }, '2001:db8:77::/48'],
    ['disable_user', { user: 'ADMIN' }, 'Admin'],
    ['isolate_host', { host: 'GW.example.com.' }, 'gw.example.com'],
  ] as const)('refuses %s %j by the allow-list, naming the entry, and calls no adapter', async (action, input, entry) => {
    const sent = webhook.requests.length + scim.requests.length + edr.requests.length;
    const outcome = await call(action, input);
    expect({ outcome, sent: webhook.requests.length + scim.requests.length + edr.requests.length - sent }).toEqual({
      outcome: { status: 'refused', reason: expect.stringContaining(entry) },
      sent: 0,
    });
  });

  it('never refuses an undo by the allow-list', async () => {
    const outcome = await call('unblock_ip', { ip: '192.0.2.4' });
    expect(outcome).toMatchObject({ status: 'succeeded', target: '192.0.2.4', adapter: 'fw' });
  });

  it.each([
    ['an IP with shell syntax', 'block_ip', { ip: '10.0.0.1; rm -rf /' }],
    ['two IPs split by a newline', 'block_ip', { ip: '10.0.0.1\n10.0.0.2' }],
    ['no IP', 'block_ip', {}],
    ['a user with a newline', 'disable_user', { user: 'eve\nadmin' }],
    ['a 10 kB user', 'disable_user', { user: 'a'.repeat(10_240) }],
    ['a user that is an object', 'disable_user', { user: { $ne: null } }],
    ['a host with a NUL', 'isolate_host', { host: 'ws\u0000-1' }],
    ['the host ".."', 'isolate_host', { host: '..' }],
  ] as const)('fails for good before any request on %s', async (_label, action, input) => {
    const sent = webhook.requests.length + scim.requests.length + edr.requests.length;
    const err = await failure(call(action, input as Record<string, unknown>));
    expect({
      permanent: err instanceof PermanentActionError,
      sent: webhook.requests.length + scim.requests.length + edr.requests.length - sent,
    }).toEqual({
      permanent: true,
      sent: 0,
    });
  });

  it('passes a name with shell syntax to the adapter, which escapes it (the IdP sees it verbatim)', async () => {
    const hostile = `"; rm -rf / #' ${randomUUID().slice(0, 8)}`;
    scim.addUser(hostile);
    const outcome = await call('disable_user', { user: hostile });
    expect({ outcome: outcome.status, asked: scim.filters.at(-1), active: scim.user(hostile)?.active }).toEqual({
      outcome: 'succeeded',
      asked: hostile,
      active: false,
    });
  });

  it('uses the adapter a step names', async () => {
    const ip = uniqueIp();
    await call('block_ip', { ip, adapter: 'fw' });
    expect(webhook.blocked.has(ip)).toBe(true);
  });

  it('fails for good on an adapter whose secret variable is unset, naming the variable', async () => {
    await expect(call('block_ip', { ip: uniqueIp(), adapter: 'waf' })).rejects.toThrow(
      new PermanentActionError('adapter waf is not configured: WAF_SECRET is not set'),
    );
  });

  it('fails for good on an unknown adapter', async () => {
    await expect(call('block_ip', { ip: uniqueIp(), adapter: 'nope' })).rejects.toThrow(PermanentActionError);
  });

  it('fails for good on an adapter that cannot do the action', async () => {
    await expect(call('disable_user', { user: 'someone', adapter: 'edr' })).rejects.toThrow(/edr \(edr\) cannot disable_user/);
  });

  it('fails for good when no adapter is named and the action has no default', async () => {
    const bare = new Containment(containmentFileSchema.parse({}), {});
    await expect(bare.perform({ action: 'block_ip', input: { ip: uniqueIp() }, incidentId: 'i', idempotencyKey: 'k' })).rejects.toThrow(
      /no adapter for block_ip.*defaults\.block_ip/,
    );
  });
});

describe('createAdapters', () => {
  it('lists an adapter whose variables are unset or unusable as unconfigured, with the variable', () => {
    const config = containmentFileSchema.parse({
      adapters: {
        a: { type: 'scim', url_env: 'A_URL', token_env: 'A_TOKEN' },
        b: { type: 'edr', url_env: 'B_URL', token_env: 'B_TOKEN' },
        c: { type: 'webhook', url: 'ftp://example.com/x', secret_env: 'C_SECRET' },
        d: { type: 'nftables' },
      },
    });
    const adapters = createAdapters(config, { A_TOKEN: 't', B_URL: 'not a url', B_TOKEN: 't', C_SECRET: 's' });
    expect(Object.fromEntries([...adapters].map(([k, a]) => [k, 'unconfigured' in a ? a.unconfigured : a.kind]))).toEqual({
      a: 'A_URL is not set',
      b: 'B_URL is not an http(s) URL',
      c: 'url is not an http(s) URL',
      d: 'nftables',
    });
  });
});
