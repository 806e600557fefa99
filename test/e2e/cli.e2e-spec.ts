import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';
import { createApiKey } from '../../src/auth/api-keys.service';
import { client, pollUntil, startApi, testEnv } from '../support/harness';
import { startStack, type Stack } from '../support/stack';

const root = join(__dirname, '..', '..');
const run = promisify(execFile);
/** The shared test data, beside the repository (`../shared/data` from its root). */
const sharedData = join(root, '..', 'shared', 'data');
/** Where people open Warden: the links the CLI prints start here. */
const PUBLIC_URL = 'https://warden.example.test';
// stderr is a pipe here, not a terminal: the replay prints plain progress lines.
const warden = (...args: string[]) =>
  run(process.execPath, ['-r', 'ts-node/register', join(root, 'src', 'cli', 'warden.ts'), ...args], {
    cwd: root,
    env: { ...process.env, WARDEN_URL: '', WARDEN_API_KEY: '', PUBLIC_URL },
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
    expect({ code: res.code, stderr: res.stderr }).toEqual({
      code: 1,
      stderr: expect.stringMatching(/must be one of ingest, analyst, lead, admin/),
    });
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

  it('investigate is investigate-ip by another name', async () => {
    const [alias, name] = await Promise.all([warden('investigate', '--help'), warden('investigate-ip', '--help')]);
    expect({ code: alias.code, same: alias.stdout === name.stdout, usage: alias.stdout.split('\n')[0] }).toEqual({
      code: 0,
      same: true,
      usage: 'Usage: warden investigate-ip|investigate [options] <ip>',
    });
  });

  it('keys list shows a key with its scopes and analyst, never the key or its hash', async () => {
    const created = await warden('keys', 'create', '--name', 'list-me', '--scope', 'analyst', '--scope', 'ingest', '--json');
    const { id, key } = JSON.parse(created.stdout);
    const listed = await warden('keys', 'list', '--json');
    const mine = JSON.parse(listed.stdout).find((k: { id: string }) => k.id === id);
    expect({ code: listed.code, mine, leaks: listed.stdout.includes(key) }).toEqual({
      code: 0,
      mine: {
        id,
        name: 'list-me',
        scopes: ['analyst', 'ingest'],
        analystId: null,
        sources: null,
        createdAt: expect.any(String),
        revokedAt: null,
      },
      leaks: false,
    });
  });

  it('keys create --source binds a key to its sources (repeatable or comma-separated), and keys list shows them', async () => {
    const args = ['keys', 'create', '--name', 'wazuh-1', '--scope', 'ingest', '--source', 'wazuh', '--source', 'ossec, wazuh'];
    const created = await warden(...args, '--source', 'wazuh-2', '--json');
    const { id, sources } = JSON.parse(created.stdout);
    const listed = JSON.parse((await warden('keys', 'list', '--json')).stdout).find((k: { id: string }) => k.id === id);
    const line = (await warden('keys', 'list')).stdout.split('\n').find((l) => l.startsWith(id));
    expect({ code: created.code, sources, listed: listed.sources, line }).toEqual({
      code: 0,
      sources: ['wazuh', 'ossec', 'wazuh-2'],
      listed: ['wazuh', 'ossec', 'wazuh-2'],
      line: expect.stringMatching(/ wazuh,ossec,wazuh-2 /),
    });
  });

  it('keys create --source refuses a key that may not ingest', async () => {
    const res = await warden('keys', 'create', '--name', 'x', '--scope', 'lead', '--source', 'wazuh');
    expect({ code: res.code, stderr: res.stderr.trim() }).toEqual({
      code: 1,
      stderr: '--source: binds what a key may ingest; the key needs the ingest (or admin) scope',
    });
  });

  it('config validate names the file, line and field of a playbook condition that is not CEL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-cli-'));
    cpSync(join(root, 'config'), dir, { recursive: true });
    const file = join(dir, 'playbooks', 'malware.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^when: .*$/m, `when: "'malware' in incident.types and incident.host"`));
    const res = await warden('config', 'validate', '--dir', dir);
    expect({ code: res.code, stderr: res.stderr }).toEqual({
      code: 1,
      stderr: expect.stringContaining(`${file}:3 at when: not a valid condition: column 29: Unexpected character: 'd'`),
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

  it('config validate --json says valid with its counts, and no warning for the shipped rules', async () => {
    const res = await warden('config', 'validate', '--json');
    expect(JSON.parse(res.stdout)).toEqual({ valid: true, rules: expect.any(Number), playbooks: expect.any(Number), warnings: [] });
  });

  it('config validate warns of a storm key without the alert type, and still says valid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-cli-'));
    cpSync(join(root, 'config'), dir, { recursive: true });
    const rules = readFileSync(join(dir, 'rules.yaml'), 'utf8');
    writeFileSync(
      join(dir, 'rules.yaml'),
      rules.replace(
        'storm: { threshold: 50, within: 1m, quiet: 5m }',
        'storm: { threshold: 50, within: 1m, quiet: 5m, kind_by: [source] }',
      ),
    );
    const res = await warden('config', 'validate', '--dir', dir);
    expect({ code: res.code, stdout: res.stdout }).toEqual({
      code: 0,
      stdout: `valid: 8 rules, 5 playbooks\nwarning: ${join(dir, 'rules.yaml')} defaults.storm.kind_by: storms are not keyed by type: a storm folds alerts of every type of its rule\n`,
    });
  });
});

/** The figures of the summary `warden replay` prints without --json, line by line in its order; throws on any other text. */
function parseReplaySummary(stdout: string) {
  const m =
    /^events read: (\d+)\nsent: +(\d+) in (\d+) batches(?:, (\d+) failed)?\naccepted: +(\d+)\nduplicates: +(\d+)\nsuppressed: +(\d+)\nrejected: +(\d+)\nincidents: +(\d+) touched\nelapsed: +\d+\.\d s \(\d+(?:\.\d+)? events\/s\)\n/.exec(
      stdout,
    );
  if (!m) throw new Error(`not the summary of a replay:\n${stdout}`);
  const [events, sent, batches, failedBatches, accepted, duplicates, suppressed, rejected, incidents] = m
    .slice(1)
    .map((n) => Number(n ?? 0));
  return { events, sent, batches, failedBatches, accepted, duplicates, suppressed, rejected, incidents };
}

describe('warden replay and the HTTP commands against a running Warden', () => {
  const file = join(sharedData, 'suricata', 'wrccdc-2018.json');
  let stack: Stack;
  let ingestKey: string;
  let leadKey: string;
  let replay: { code: number; stdout: string; stderr: string };
  let summary: ReturnType<typeof parseReplaySummary>;
  const startedAt = new Date();
  /** The range the stats and reports below cover: from an hour before the replay to just after it. */
  const from = new Date(startedAt.getTime() - 3_600_000).toISOString();
  let to: string;

  beforeAll(async () => {
    stack = await startStack({ name: 'cli-replay' });
    ingestKey = (await createApiKey(stack.db, 'replay', ['ingest'])).key;
    leadKey = (await createApiKey(stack.db, 'lead', ['lead'])).key;
    // As a person runs it: no --json, the summary for people on stdout.
    replay = await warden(
      'replay',
      file,
      '--format',
      'suricata',
      '--rate',
      '5000',
      '--batch',
      '50',
      '--url',
      stack.api.url,
      '--key',
      ingestKey,
    );
    to = new Date().toISOString();
    summary = parseReplaySummary(replay.stdout);
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

  it('prints a summary whose alert and incident counts are those GET /v1/stats answers', async () => {
    const res = await client(stack.api.url, leadKey)('GET', `/v1/stats?from=${encodeURIComponent(from)}`);
    expect({
      status: res.status,
      alerts: res.body.alerts && [res.body.alerts.received, res.body.alerts.duplicates, res.body.alerts.suppressed],
      incidents: res.body.incidents?.opened,
    }).toEqual({
      status: 200,
      alerts: [summary.accepted + summary.duplicates + summary.suppressed, summary.duplicates, summary.suppressed],
      incidents: summary.incidents,
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
      page: readable.stdout.split('\n').find((l) => l.startsWith('page ')),
      sections: readable.stdout.match(/^(alerts|incidents|tasks|playbook actions on this IP|evidence bundles|storm sources): /gm),
      refused: [refused.code, refused.stderr.trim()],
    }).toEqual({
      code: 0,
      head: 'IP 10.47.8.150',
      page: `page ${PUBLIC_URL}/app#ip/10.47.8.150`,
      sections: ['alerts: ', 'incidents: ', 'tasks: ', 'playbook actions on this IP: ', 'evidence bundles: ', 'storm sources: '],
      refused: [
        1,
        expect.stringMatching(/^GET \/v1\/investigations\/ip\/10\.47\.8\.150\?limit=20: 403 This API key lacks the "analyst" scope\./),
      ],
    });
  });
  /** `time` of the CLI's readable output: an ISO instant to the second. */
  const toSecond = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');
  const range = () => ['--from', from, '--to', to];

  it('stats prints the replay’s alerts and incidents for the range, readable', async () => {
    const res = await warden('stats', ...range(), '--url', stack.api.url, '--key', leadKey);
    const api = await client(stack.api.url, leadKey)('GET', `/v1/stats?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect({ code: res.code, head: res.stdout.split('\n').slice(0, 5) }).toEqual({
      code: 0,
      head: [
        `stats ${toSecond(from)} .. ${toSecond(to)}`,
        '',
        `alerts:     ${summary.accepted + summary.duplicates + summary.suppressed} received, ${summary.accepted} correlated, ${summary.duplicates} duplicates, ${summary.suppressed} suppressed, ${api.body.alerts.foldedIntoStorms} folded into storms`,
        expect.stringMatching(/^ {12}by severity: /),
        `incidents:  ${summary.incidents} opened (${api.body.incidents.storms} storms)`,
      ],
    });
  });

  it('stats --json prints what GET /v1/stats answers for the same range', async () => {
    const query = `/v1/stats?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    const api = client(stack.api.url, leadKey);
    // Load, delivery and playbook figures are of now, and the incidents' workflows are still at work:
    // compare once the API answers the same just before and just after the CLI's call.
    const { before, cli } = await pollUntil(
      async () => {
        const first = (await api('GET', query)).body;
        const run = await warden('stats', ...range(), '--json', '--url', stack.api.url, '--key', leadKey);
        return { before: first, cli: run, after: (await api('GET', query)).body };
      },
      (r) => isDeepStrictEqual(r.before, r.after),
      { what: 'GET /v1/stats to answer the same before and after the CLI', timeoutMs: 90_000 },
    );
    expect({ code: cli.code, stats: JSON.parse(cli.stdout) }).toEqual({ code: 0, stats: before });
  }, 120_000);

  it('report daily --json builds the range’s audit report, prints the record GET /v1/reports/{id} shows, with the replay’s counts', async () => {
    const res = await warden('report', 'daily', ...range(), '--json', '--url', stack.api.url, '--key', leadKey);
    const printed = JSON.parse(res.stdout);
    const stored = await client(stack.api.url, leadKey)('GET', `/v1/reports/${printed.id}`);
    expect({
      code: res.code,
      printed,
      record: { kind: printed.kind, from: printed.from, to: printed.to, trigger: printed.trigger },
      counts: [printed.body.alerts.received, printed.body.alerts.duplicates, printed.body.alerts.suppressed, printed.body.incidents.opened],
    }).toEqual({
      code: 0,
      printed: stored.body,
      record: { kind: 'daily', from, to, trigger: 'manual' },
      counts: [summary.accepted + summary.duplicates + summary.suppressed, summary.duplicates, summary.suppressed, summary.incidents],
    });
  });

  it('report executive --html prints the figures and saves the HTML GET /v1/reports/{id}/html answers', async () => {
    const html = join(mkdtempSync(join(tmpdir(), 'warden-report-')), 'exec.html');
    const res = await warden('report', 'executive', ...range(), '--html', html, '--url', stack.api.url, '--key', leadKey);
    const id = /^executive report ([0-9a-f-]{36})$/m.exec(res.stdout)?.[1];
    const lead = client(stack.api.url, leadKey);
    const stored = await lead('GET', `/v1/reports/${id}`);
    const page = await lead('GET', `/v1/reports/${id}/html`);
    const summaryLine = `summary: ${Object.entries((stored.body?.body?.summary ?? {}) as Record<string, unknown>)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ')}`;
    expect({
      code: res.code,
      head: res.stdout.split('\n').slice(0, 3),
      summary: res.stdout.split('\n').find((l) => l.startsWith('summary: ')),
      stderr: res.stderr,
      saved: readFileSync(html, 'utf8'),
    }).toEqual({
      code: 0,
      head: [
        `executive report ${id}`,
        `range ${toSecond(from)} .. ${toSecond(to)}, created ${toSecond(stored.body.createdAt)} (manual)`,
        // The report's page in the workspace, never the JSON API.
        `page ${PUBLIC_URL}/app#report/${id}`,
      ],
      summary: summaryLine,
      stderr: `saved ${html}\n`,
      saved: page.text,
    });
  });

  it('stats exits 1 with one line on stderr when the key is refused', async () => {
    const res = await warden('stats', '--url', stack.api.url, '--key', 'wdn_not-a-key');
    expect({ code: res.code, stdout: res.stdout, stderr: res.stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: 'GET /v1/stats: 401 The API key is unknown or revoked. (header:authorization: unknown or revoked key)\n',
    });
  });

  it('report exits 1 with one line on stderr when Warden cannot be reached', async () => {
    const res = await warden('report', 'daily', '--url', 'http://127.0.0.1:9', '--key', leadKey);
    expect({ code: res.code, stdout: res.stdout, stderr: res.stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^cannot reach Warden at http:\/\/127\.0\.0\.1:9: [^\n]+\n$/),
    });
  });
});
