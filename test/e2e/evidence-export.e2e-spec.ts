import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { Env } from '../../src/common/env';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { CollectedEvidence, EvidenceService } from '../../src/playbooks/evidence.service';
import { client, createKey, RunningApi, startApi, testEnv } from '../support/harness';
import { uniqueIp } from '../support/ips';

const root = join(__dirname, '..', '..');
const run = promisify(execFile);
/** The real CLI, as test/e2e/cli.e2e-spec.ts runs it. */
const warden = (...args: string[]) =>
  run(process.execPath, ['-r', 'ts-node/register', join(root, 'src', 'cli', 'warden.ts'), ...args], {
    cwd: root,
    env: { ...process.env, WARDEN_URL: '', WARDEN_API_KEY: '' },
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );

const ALERTS = 30_000;

/**
 * A storm-sized incident: one alert through the api (it opens the incident), then 29,999 more
 * of it inserted with SQL in the alerts table's own shape (posting them would take minutes).
 * Bundle 1 holds every alert; bundle 2 is held to 1 MiB with 2 KiB items, so its first alert's
 * 3,000-character payload is cut and most alerts are dropped.
 */
describe('evidence export of a 30,000-alert incident', () => {
  let env: Env;
  let api: RunningApi;
  let db: DataSource;
  let analystKey: string;
  let dir: string;
  let incidentId: string;
  let firstAlertId: string;
  let bundles: CollectedEvidence[];
  let file: string;
  let fetched: { status: number; type: string | null; transferEncoding: string | null; contentLength: string | null };

  beforeAll(async () => {
    env = testEnv();
    api = await startApi(env);
    db = await new DataSource(dataSourceOptions(env.DATABASE_URL, 2)).initialize();
    analystKey = await createKey(env, ['analyst'], 'evidence-export-analyst');
    dir = mkdtempSync(join(tmpdir(), 'warden-evidence-export-'));
    const ingest = client(api.url, await createKey(env, ['ingest'], 'evidence-export-ingest'));

    const first = await ingest('POST', '/v1/alerts', {
      source: 'ids-storm',
      type: 'port_scan',
      severity: 'medium',
      title: 'Port scan 1',
      sourceIp: uniqueIp(),
      raw: { eve: { dest_port: 1, payload: 'P'.repeat(3000) } },
    });
    expect(first.status).toBe(202);
    ({ alertId: firstAlertId, incidentId } = first.body as { alertId: string; incidentId: string });
    await db.query(
      `INSERT INTO alerts (source, type, severity, title, source_ip, received_at, last_seen_at, fingerprint, status, incident_id, rule, action,
                           priority, raw, api_key_id)
       SELECT a.source, a.type, a.severity, 'Port scan ' || g, a.source_ip, a.received_at + g * interval '1 millisecond',
              a.received_at + g * interval '1 millisecond', md5(a.fingerprint || g), 'new', a.incident_id, a.rule, a.action, a.priority,
              jsonb_build_object('eve', jsonb_build_object('dest_port', g, 'payload', repeat('p', 200))), a.api_key_id
         FROM alerts a, generate_series(2, $2) g WHERE a.id = $1`,
      [firstAlertId, ALERTS],
    );
    await db.query(`UPDATE incidents SET alert_count = $2 WHERE id = $1`, [incidentId, ALERTS]);

    const evidence = api.app.get(EvidenceService);
    const collect = (stepId: string, caps: Parameters<EvidenceService['collect']>[0]['caps']) =>
      evidence.collect({ incidentId, runId: randomUUID(), stepId, windowSeconds: 60, relatedBy: ['ip'], caps });
    bundles = [
      await collect('evidence-all', { maxItems: ALERTS }),
      await collect('evidence-capped', { maxItems: ALERTS, maxItemBytes: 2048, maxBundleBytes: 1024 * 1024 }),
    ];

    // Streamed to disk as it arrives, as an analyst's download would be.
    file = join(dir, 'evidence.ndjson');
    const res = await fetch(`${api.url}/v1/incidents/${incidentId}/evidence`, { headers: { authorization: `Bearer ${analystKey}` } });
    fetched = {
      status: res.status,
      type: res.headers.get('content-type'),
      transferEncoding: res.headers.get('transfer-encoding'),
      contentLength: res.headers.get('content-length'),
    };
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(file));
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const lines = () =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');

  it('streams the export as NDJSON, chunked, without a length known in advance', () => {
    expect(fetched).toEqual({ status: 200, type: 'application/x-ndjson; charset=utf-8', transferEncoding: 'chunked', contentLength: null });
  });

  it('holds every alert in bundle 1: 30,000 alert lines and the timeline, then the end line', () => {
    const parsed = lines().map((l) => JSON.parse(l) as { type: string; seq?: number; kind?: string });
    const bundle1 = parsed.filter((l) => l.type === 'item' && l.seq === 1);
    expect({
      bundles: bundles.map((b) => b.seq),
      alerts: bundle1.filter((l) => l.kind === 'alert').length,
      timeline: bundle1.filter((l) => l.kind === 'timeline').length,
      head: parsed[0],
      end: parsed[parsed.length - 1],
    }).toEqual({
      bundles: [1, 2],
      alerts: ALERTS,
      timeline: 1,
      head: { type: 'export', format: 'warden-evidence-ndjson/1', incidentId, bundles: 2 },
      end: { type: 'end', bundles: 2, items: ALERTS + 1 + bundles[1].items },
    });
  });

  it("names in bundle 2's manifest the cut payload and every alert dropped, which with those kept are all the incident's alerts", async () => {
    const parsed = lines().map((l) => JSON.parse(l) as Record<string, any>);
    const manifest = parsed.find((l) => l.type === 'bundle' && l.seq === 2)!.manifest;
    const kept: string[] = manifest.items.filter((i: any) => i.kind === 'alert').map((i: any) => i.ref);
    const dropped: string[] = manifest.cut.dropped.list.map((d: any) => d.ref);
    const all = (await db.query(`SELECT id FROM alerts WHERE incident_id = $1`, [incidentId])) as { id: string }[];
    expect({
      firstCut: manifest.items[0].ref === firstAlertId && manifest.items[0].cut.path,
      truncated: manifest.cut.truncated.items,
      droppedCount: manifest.cut.dropped.items === dropped.length && dropped.length > 0,
      reasons: [...new Set(manifest.cut.dropped.list.map((d: any) => d.reason))],
      keptAndDropped: [...kept, ...dropped].sort(),
    }).toEqual({
      firstCut: '/raw',
      truncated: 1,
      droppedCount: true,
      reasons: ['bundle'],
      keptAndDropped: all.map((a) => a.id).sort(),
    });
  });

  it('passes `warden evidence verify --file` on the export, saying bundle 2 is partial', async () => {
    const res = await warden('evidence', 'verify', '--file', file);
    expect({ code: res.code, lines: res.stdout.trim().split('\n') }).toEqual({
      code: 0,
      lines: [
        `file ${file}: incident ${incidentId}, 2 bundle(s): intact`,
        expect.stringMatching(/^ {2}bundle seq 2 is partial by its caps: 1 item\(s\) cut \(\d+ bytes left out\), \d+ item\(s\) dropped/),
        `  newest bundle seq 2, manifest hash ${bundles[1].manifestHash}: compare with the audit log's evidence.bundle_sealed entries`,
      ],
    });
  });

  it('passes `warden evidence verify --incident` against the database and the audit log', async () => {
    const res = await warden('evidence', 'verify', '--incident', incidentId);
    expect({ code: res.code, head: res.stdout.split('\n')[0] }).toEqual({
      code: 0,
      head: `incident ${incidentId}: 2 bundle(s), 2 sealed in the audit log: intact`,
    });
  });

  it('fails `warden evidence verify --file` on the export with one alert changed, naming the bundle and item', async () => {
    const tampered = lines().map((l) => {
      const line = JSON.parse(l);
      if (line.type !== 'item' || line.seq !== 1 || line.n !== 12_345) return l;
      line.content.title = 'Port scan (edited)';
      return JSON.stringify(line);
    });
    const edited = join(dir, 'tampered.ndjson');
    writeFileSync(edited, `${tampered.join('\n')}\n`);
    const res = await warden('evidence', 'verify', '--file', edited);
    expect({ code: res.code, lines: res.stdout.split('\n').slice(0, 2) }).toEqual({
      code: 1,
      lines: [
        `file ${edited}: incident ${incidentId}, 2 bundle(s): 1 problem(s)`,
        expect.stringMatching(
          /^ {2}bundle seq 1 item 12345: item 12345 \(alert [0-9a-f-]{36}\): content hashes to .*\(the content was changed\)$/,
        ),
      ],
    });
  });
});
