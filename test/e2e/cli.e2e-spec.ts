import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { client, startApi, testEnv } from '../support/harness';

const root = join(__dirname, '..', '..');
const run = promisify(execFile);
const warden = (...args: string[]) =>
  run(process.execPath, ['-r', 'ts-node/register', join(root, 'src', 'cli', 'warden.ts'), ...args], { cwd: root, env: process.env }).then(
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
});
