import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createApiKey } from '../../src/auth/api-keys.service';
import { client, startApi, testEnv } from '../support/harness';
import { startStack, type Stack } from '../support/stack';

const root = join(__dirname, '..', '..');
const run = promisify(execFile);
/** The shared test data, beside the repository (`../shared/data` from its root). */
const sharedData = join(root, '..', 'shared', 'data');
// stderr is a pipe here, not a terminal: the replay prints plain progress lines.
const warden = (...args: string[]) =>
  run(process.execPath, ['-r', 'ts-node/register', join(root, 'src', 'cli', 'warden.ts'), ...args], {
    cwd: root,
    env: { ...process.env, WARDEN_URL: '', WARDEN_API_KEY: '' },
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    (r) => ({ code: 0, ...r }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );

describe('warden CLI', () => {
  it('keys create prints a key once that authenticates with exactly its scope', async () => {
    const created = await warden('keys', 'create', '--name', 'sensor-1', '--scope', 'ingest');
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^wdn_[A-Za-z0-9_-]{40,}$/);
    expect(created.stderr).toContain('not shown again');

    const api = await startApi(testEnv({ OUTBOX_DISPATCHER_ENABLED: 'false' }));
    try {
      const http = client(api.url, key);
      expect((await http('POST', '/v1/alerts', { source: 's', type: 'recon', severity: 'medium', title: 'cli key' })).status).toBe(202);
      expect((await http('GET', '/v1/silences')).status).toBe(403);
    } finally {
      await api.close();
    }
  });

  it('keys create refuses an unknown scope', async () => {
    const res = await warden('keys', 'create', '--name', 'x', '--scope', 'root');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/must be one of ingest, analyst, lead, admin/);
  });

  it('config validate names the file, line and path of a bad rule', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-cli-'));
    cpSync(join(root, 'config'), dir, { recursive: true });
    writeFileSync(join(dir, 'rules.yaml'), 'rules:\n  - name: x\n    action: escalate\n');
    const res = await warden('config', 'validate', '--dir', dir);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`${join(dir, 'rules.yaml')}:3 at rules[0].action`);
    expect((await warden('config', 'validate')).stdout).toMatch(/^valid: \d+ rules/);
  });

  it('rules backtest replays a Suricata file and prints incidents without storing anything', async () => {
    const res = await warden('rules', 'backtest', join(root, 'test', 'fixtures', 'suricata', 'sample.json'), '--format', 'suricata');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^alerts: 9 {2}new: \d+/);
    expect(res.stdout).toContain('incidents by priority:');
    const json = await warden(
      'rules',
      'backtest',
      join(root, 'test', 'fixtures', 'suricata', 'sample.json'),
      '--format',
      'suricata',
      '--json',
    );
    expect(JSON.parse(json.stdout).incidents.length).toBeGreaterThan(0);
  });

  it('--help of the root lists every command', async () => {
    const res = await warden('--help');
    const commands = [...res.stdout.matchAll(/^ {2}([a-z-]+)\b/gm)].map((m) => m[1]);
    expect({ code: res.code, commands }).toEqual({
      code: 0,
      commands: expect.arrayContaining(['config', 'keys', 'rules', 'notices', 'outbox', 'replay', 'investigate-ip', 'stats', 'report']),
    });
  });

  it('keys list shows a key with its scopes and analyst, never the key or its hash', async () => {
    const created = await warden('keys', 'create', '--name', 'list-me', '--scope', 'analyst', '--scope', 'ingest', '--json');
    const { id, key } = JSON.parse(created.stdout);
    const listed = await warden('keys', 'list', '--json');
    const mine = JSON.parse(listed.stdout).find((k: { id: string }) => k.id === id);
    expect({ code: listed.code, mine, leaks: listed.stdout.includes(key) }).toEqual({
      code: 0,
      mine: { id, name: 'list-me', scopes: ['analyst', 'ingest'], analystId: null, createdAt: expect.any(String), revokedAt: null },
      leaks: false,
    });
  });

  it('keys revoke makes the api answer 401 to the key, and keys list shows when', async () => {
    const { id, key } = JSON.parse((await warden('keys', 'create', '--name', 'revoke-me', '--scope', 'analyst', '--json')).stdout);
    const api = await startApi(testEnv({ OUTBOX_DISPATCHER_ENABLED: 'false', API_KEY_CACHE_SECONDS: '0' }));
    try {
      const http = client(api.url, key);
      const before = (await http('GET', '/v1/silences')).status;
      const revoked = await warden('keys', 'revoke', id);
      const after = await http('GET', '/v1/silences');
      const listed = JSON.parse((await warden('keys', 'list', '--json')).stdout).find((k: { id: string }) => k.id === id);
      expect({ before, code: revoked.code, out: revoked.stdout, after: after.status, revokedAt: listed.revokedAt }).toEqual({
        before: 200,
        code: 0,
        out: expect.stringMatching(/^revoked key .* "revoke-me" at /),
        after: 401,
        revokedAt: expect.stringMatching(/^\d{4}-/),
      });
    } finally {
      await api.close();
    }
  });

  it('keys revoke of an unknown id exits 1 with one line on stderr', async () => {
    const res = await warden('keys', 'revoke', '00000000-0000-4000-8000-000000000000');
    expect({ code: res.code, stderr: res.stderr.trim() }).toEqual({
      code: 1,
      stderr: '<id>: no API key 00000000-0000-4000-8000-000000000000',
    });
  });

  it('config validate --json says valid with its counts', async () => {
    const res = await warden('config', 'validate', '--json');
    expect(JSON.parse(res.stdout)).toEqual({ valid: true, rules: expect.any(Number), playbooks: expect.any(Number) });
  });
});

describe('warden replay and the HTTP commands against a running Warden', () => {
  const file = join(sharedData, 'suricata', 'wrccdc-2018.json');
  let stack: Stack;
  let ingestKey: string;
  let replay: { code: number; stdout: string; stderr: string };
  let summary: Record<string, any>;
  const startedAt = new Date();

  beforeAll(async () => {
    stack = await startStack({ name: 'cli-replay' });
    ingestKey = (await createApiKey(stack.db, 'replay', ['ingest'])).key;
    replay = await warden(
      'replay',
      file,
      '--format',
      'suricata',
      '--rate',
      '5000',
      '--batch',
      '50',
      '--json',
      '--url',
      stack.api.url,
      '--key',
      ingestKey,
    );
    summary = JSON.parse(replay.stdout);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('reads every record of the file and sends them all', () => {
    const records = (JSON.parse(readFileSync(file, 'utf8')) as unknown[]).length;
    expect({
      code: replay.code,
      events: summary.events,
      sent: summary.sent,
      batches: summary.batches,
      failed: summary.failedBatches,
    }).toEqual({
      code: 0,
      events: records,
      sent: records,
      batches: Math.ceil(records / 50),
      failed: 0,
    });
  });

  it('counts what the database stored: accepted, duplicates and suppressed by status, the rest rejected', async () => {
    const rows = await stack.db.query<{ status: string; n: number }[]>(`SELECT status, count(*)::int AS n FROM alerts GROUP BY status`);
    const stored = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    const [{ incidents }] = await stack.db.query<{ incidents: number }[]>(
      `SELECT count(DISTINCT incident_id)::int AS incidents FROM alerts WHERE incident_id IS NOT NULL`,
    );
    expect({
      accepted: summary.accepted,
      duplicates: summary.duplicates,
      suppressed: summary.suppressed,
      rejected: summary.rejected,
      incidents: summary.incidents,
    }).toEqual({
      accepted: stored.new ?? 0,
      duplicates: stored.duplicate ?? 0,
      suppressed: stored.suppressed ?? 0,
      rejected: summary.events - (stored.new ?? 0) - (stored.duplicate ?? 0) - (stored.suppressed ?? 0),
      incidents,
    });
  });

  it('matches the alert counts of GET /v1/stats', async () => {
    const lead = await stack.as(null, ['lead']);
    const res = await lead('GET', `/v1/stats?from=${encodeURIComponent(new Date(startedAt.getTime() - 3_600_000).toISOString())}`);
    expect({
      status: res.status,
      alerts: res.body.alerts && [res.body.alerts.received, res.body.alerts.duplicates, res.body.alerts.suppressed],
    }).toEqual({
      status: 200,
      alerts: [summary.accepted + summary.duplicates + summary.suppressed, summary.duplicates, summary.suppressed],
    });
  });

  it('prints plain progress lines on a stderr that is not a terminal', () => {
    const lines = replay.stderr.split('\n').filter((l) => l.startsWith('replay: '));
    expect({ first: lines[0], last: lines[lines.length - 1], many: lines.length > 2 }).toEqual({
      first: `replay: ${summary.events} events to send`,
      last: expect.stringMatching(new RegExp(`^replay: ${summary.events}/${summary.events} sent \\(100%\\)`)),
      many: true,
    });
  });

  it('exits 1 with the problem’s detail when the key is refused', async () => {
    const res = await warden('replay', file, '--format', 'suricata', '--url', stack.api.url, '--key', 'wdn_not-a-key');
    expect({ code: res.code, line: res.stderr.trim().split('\n').pop() }).toEqual({
      code: 1,
      line: 'the API key was refused: 401 The API key is unknown or revoked. (header:authorization: unknown or revoked key)',
    });
  });

  it('exits 1 saying so when Warden cannot be reached', async () => {
    const res = await warden('replay', file, '--format', 'suricata', '--url', 'http://127.0.0.1:9', '--key', ingestKey);
    expect({ code: res.code, line: res.stderr.trim().split('\n').pop() }).toEqual({
      code: 1,
      line: expect.stringMatching(/^cannot reach Warden at http:\/\/127\.0\.0\.1:9: /),
    });
  }, 30_000);

  it('investigate-ip --json prints what GET /v1/investigations/ip/{ip} answers', async () => {
    // The busiest source of the file, so the answer has alerts and incidents in it.
    const [{ ip }] = await stack.db.query<{ ip: string }[]>(
      `SELECT host(source_ip) AS ip FROM alerts WHERE source_ip IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`,
    );
    const key = (await createApiKey(stack.db, 'investigator', ['analyst'])).key;
    const res = await warden('investigate-ip', ip, '--json', '--url', stack.api.url, '--key', key);
    const api = await client(stack.api.url, key)('GET', `/v1/investigations/ip/${ip}?limit=20`);
    expect({ code: res.code, cli: JSON.parse(res.stdout), alerts: api.body.alerts.total > 0 }).toEqual({
      code: 0,
      cli: api.body,
      alerts: true,
    });
  });

  it('investigate-ip prints a readable summary, and exits 1 with the detail for an ingest key', async () => {
    const key = (await createApiKey(stack.db, 'investigator-2', ['analyst'])).key;
    const readable = await warden('investigate-ip', '10.47.8.150', '--url', stack.api.url, '--key', key);
    const refused = await warden('investigate-ip', '10.47.8.150', '--url', stack.api.url, '--key', ingestKey);
    expect({
      code: readable.code,
      head: readable.stdout.split('\n')[0],
      sections: readable.stdout.match(/^(alerts|incidents|tasks|playbook actions on this IP|evidence bundles|storm sources): /gm),
      refused: [refused.code, refused.stderr.trim()],
    }).toEqual({
      code: 0,
      head: 'IP 10.47.8.150',
      sections: ['alerts: ', 'incidents: ', 'tasks: ', 'playbook actions on this IP: ', 'evidence bundles: ', 'storm sources: '],
      refused: [
        1,
        expect.stringMatching(/^GET \/v1\/investigations\/ip\/10\.47\.8\.150\?limit=20: 403 This API key lacks the "analyst" scope\./),
      ],
    });
  });
});
