/**
 * Evidence export benchmark: a storm incident's evidence streamed through the real api.
 *   make bench   (or: npm run build && node -r ts-node/register bench/evidence-export.ts)
 * Builds an incident of 30,000 alerts (one posted, the rest inserted with SQL in the alerts
 * table's shape, each with a ~1.5 KiB monitor payload), seals bundles that each hold every alert
 * (EvidenceService.collect, as the worker's collect_evidence step runs it), then downloads
 * `GET /v1/incidents/{id}/evidence` from a built api process over loopback HTTP and verifies the
 * file with the built `warden evidence verify --file`. Prints the export's size and duration, the
 * api's RSS before it and its peak (VmHWM, from /proc) for a default api and for one whose V8 old
 * space is held to 96 MB, what the api does while a reader pauses (backpressure), the collection
 * time, and the CLI's time and sampled peak RSS.
 * Environment: BENCH_EVIDENCE_ALERTS (30000), BENCH_EVIDENCE_BUNDLES (3), BENCH_EVIDENCE_PAYLOAD_BYTES (1500),
 * BENCH_DATABASE_URL (server to create a scratch database on).
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { randomInt, randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataSource } from 'typeorm';
import { AuditService } from '../src/audit/audit.service';
import { createApiKey } from '../src/auth/api-keys.service';
import { dataSourceOptions } from '../src/database/data-source-options';
import { dropDatabase } from '../src/database/database';
import { EvidenceService } from '../src/playbooks/evidence.service';
import { poster, root, scratchDatabase, startNode, waitFor } from './support';

const ALERTS = Number(process.env.BENCH_EVIDENCE_ALERTS ?? 30_000);
const BUNDLES = Number(process.env.BENCH_EVIDENCE_BUNDLES ?? 3);
const PAYLOAD_BYTES = Number(process.env.BENCH_EVIDENCE_PAYLOAD_BYTES ?? 1500);
const PAUSE_SECONDS = 3;

/** A line of /proc/<pid>/status in MiB (VmRSS now, VmHWM the peak so far). */
function procMb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  if (!pid) return NaN;
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

const mb = (n: number) => `${n.toFixed(0)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A built api process on the bench's database; `nodeOptions` for its V8 (e.g. a smaller heap). */
async function startApi(databaseUrl: string, nodeOptions: string) {
  const port = 3900 + randomInt(0, 90);
  const api = startNode('dist/src/main.js', {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'error',
    OUTBOX_DISPATCHER_ENABLED: 'false',
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    NODE_OPTIONS: nodeOptions,
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/health`);
  return {
    base,
    pid: api.pid,
    async stop() {
      api.kill('SIGTERM');
      await new Promise((r) => api.once('exit', r));
    },
  };
}

/** Downloads the export to `file` as fast as the disk takes it; the api's RSS before and its peak after. */
async function exportOnce(base: string, pid: number | undefined, analystKey: string, incidentId: string, file: string) {
  // Warm the route (plans, code paths) on a small answer, then measure from the RSS it leaves.
  await fetch(`${base}/v1/incidents/${randomUUID()}/evidence`, { headers: { authorization: `Bearer ${analystKey}` } });
  const rssBefore = procMb(pid, 'VmRSS');
  let bytes = 0;
  const started = performance.now();
  const res = await fetch(`${base}/v1/incidents/${incidentId}/evidence`, { headers: { authorization: `Bearer ${analystKey}` } });
  if (res.status !== 200 || !res.body) throw new Error(`GET evidence answered ${res.status}`);
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(res.body as never), count, createWriteStream(file));
  return { bytes, ms: performance.now() - started, rssBefore, peak: procMb(pid, 'VmHWM') };
}

/** Seconds of CPU (user + system) the process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Reads the first chunk, stops reading for `pauseSeconds`, then reads the rest; what the api did meanwhile. */
function pausedReader(base: string, pid: number | undefined, analystKey: string, incidentId: string, pauseSeconds: number) {
  const url = new URL(`${base}/v1/incidents/${incidentId}/evidence`);
  return new Promise<{ firstBytes: number; bytes: number; rssAtPause: number; rssAfterPause: number; cpuDuringPause: number }>(
    (resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, headers: { authorization: `Bearer ${analystKey}` } },
        (res) => {
          res.once('data', (first: Buffer) => {
            res.pause();
            const rssAtPause = procMb(pid, 'VmRSS');
            const cpuAtPause = cpuSeconds(pid);
            setTimeout(() => {
              const rssAfterPause = procMb(pid, 'VmRSS');
              const cpuDuringPause = cpuSeconds(pid) - cpuAtPause;
              let bytes = first.length;
              res.on('data', (c: Buffer) => (bytes += c.length));
              res.on('end', () => resolve({ firstBytes: first.length, bytes, rssAtPause, rssAfterPause, cpuDuringPause }));
              res.resume();
            }, pauseSeconds * 1000);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
}

async function main(): Promise<void> {
  const { url: databaseUrl, key: ingestKey } = await scratchDatabase();
  const ds = await new DataSource(dataSourceOptions(databaseUrl, 2)).initialize();
  const { key: analystKey } = await createApiKey(ds, 'bench-analyst', ['analyst']);
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-evidence-'));
  const file = join(dir, 'evidence.ndjson');
  try {
    const seedApi = await startApi(databaseUrl, '');
    // One alert through the api opens the incident; the rest join it with SQL.
    const first = await poster(
      seedApi.base,
      ingestKey,
      1,
    )(
      '/v1/alerts',
      JSON.stringify({ source: 'bench-ids', type: 'port_scan', severity: 'high', title: 'Port scan 1', sourceIp: '198.51.100.7' }),
    );
    await seedApi.stop();
    if (first.status !== 202) throw new Error(`POST /v1/alerts answered ${first.status}: ${first.body}`);
    const { alertId, incidentId } = JSON.parse(first.body) as { alertId: string; incidentId: string };
    const seeding = performance.now();
    await ds.query(
      `INSERT INTO alerts (source, type, severity, title, source_ip, destination_ip, received_at, last_seen_at, fingerprint, status, incident_id,
                           rule, action, priority, api_key_id, raw)
       SELECT a.source, a.type, a.severity, 'Port scan ' || g, a.source_ip, ('10.0.' || (g / 250 % 250) || '.' || (g % 250 + 1))::inet,
              a.received_at + g * interval '1 millisecond', a.received_at + g * interval '1 millisecond', md5(a.fingerprint || g), 'new',
              a.incident_id, a.rule, a.action, a.priority, a.api_key_id,
              jsonb_build_object('timestamp', to_char(a.received_at + g * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS'),
                'event_type', 'alert', 'src_ip', host(a.source_ip), 'src_port', 40000 + g % 20000, 'dest_port', g % 65535, 'proto', 'TCP',
                'alert', jsonb_build_object('signature_id', 2010935, 'signature', 'ET SCAN Suspicious inbound', 'category', 'Attempted Information Leak'),
                'payload_printable', repeat(md5(g::text), $3 / 32))
         FROM alerts a, generate_series(2, $2) g WHERE a.id = $1`,
      [alertId, ALERTS, PAYLOAD_BYTES],
    );
    await ds.query(`UPDATE incidents SET alert_count = $2 WHERE id = $1`, [incidentId, ALERTS]);
    console.log(`warden evidence export bench: incident of ${ALERTS} alerts seeded in ${seconds(performance.now() - seeding)}`);

    // As the worker's collect_evidence step seals them; each holds every alert (and the timeline).
    const evidence = new EvidenceService(ds, new AuditService(ds));
    for (let i = 1; i <= BUNDLES; i++) {
      const started = performance.now();
      const bundle = await evidence.collect({
        incidentId,
        runId: randomUUID(),
        stepId: `evidence-${i}`,
        windowSeconds: 60,
        relatedBy: ['ip'],
        caps: { maxItems: ALERTS, maxBundleBytes: 256 * 1024 * 1024 },
      });
      console.log(`  bundle ${bundle.seq}: ${bundle.items} items sealed in ${seconds(performance.now() - started)}`);
    }

    // The default api, then one whose V8 old space is held to 96 MB (the api's own heap is about 47 MB, a bundle's manifest of 30,001 entries some 20 MB more): the same export completing there shows
    // that what the first one grows by is garbage not yet collected, not the export held in memory.
    for (const [label, nodeOptions] of [
      ['api (defaults)', ''],
      ['api (--max-old-space-size=96)', '--max-old-space-size=96'],
    ] as const) {
      const api = await startApi(databaseUrl, nodeOptions);
      try {
        const r = await exportOnce(api.base, api.pid, analystKey, incidentId, file);
        console.log(
          `  ${label}: ${(r.bytes / 1024 / 1024).toFixed(0)} MiB of NDJSON (${BUNDLES} bundles, ${BUNDLES * (ALERTS + 1)} items) ` +
            `in ${seconds(r.ms)} (${(r.bytes / 1024 / 1024 / (r.ms / 1000)).toFixed(0)} MiB/s); ` +
            `RSS ${mb(r.rssBefore)} before, peak ${mb(r.peak)} (VmHWM)`,
        );
      } finally {
        await api.stop();
      }
    }

    // Backpressure: a reader that stops after its first chunk. The api waits for it (its CPU time and RSS stay
    // put) instead of reading the rest from the database into its memory.
    const api = await startApi(databaseUrl, '');
    try {
      const r = await pausedReader(api.base, api.pid, analystKey, incidentId, PAUSE_SECONDS);
      console.log(
        `  api (defaults), a reader pausing ${PAUSE_SECONDS} s after its first ${r.firstBytes} bytes: while it waits, RSS ${mb(r.rssAtPause)} -> ` +
          `${mb(r.rssAfterPause)} and ${r.cpuDuringPause.toFixed(2)} s of api CPU; then the remaining ${((r.bytes - r.firstBytes) / 1024 / 1024).toFixed(0)} MiB`,
      );
    } finally {
      await api.stop();
    }

    // The built CLI verifies the file a line at a time; its peak RSS (VmHWM) is sampled every 20 ms.
    const cli = spawn(process.execPath, [join(root, 'dist/src/cli/warden.js'), 'evidence', 'verify', '--file', file], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const cliStarted = performance.now();
    let cliPeak = 0;
    const sampler = setInterval(() => (cliPeak = Math.max(cliPeak, procMb(cli.pid, 'VmHWM') || 0)), 20);
    let out = '';
    cli.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
    clearInterval(sampler);
    console.log(
      `  warden evidence verify --file (${(statSync(file).size / 1024 / 1024).toFixed(0)} MiB): exit ${code} in ` +
        `${seconds(performance.now() - cliStarted)}, sampled peak RSS ${mb(cliPeak)}: ${out.split('\n')[0].replace(file, 'FILE')}`,
    );
  } finally {
    await ds.destroy();
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(databaseUrl);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
