/**
 * Ingest benchmark: real api process, real PostgreSQL, loopback HTTP.
 *   npm run build && node -r ts-node/register bench/ingest.ts   (or: make bench)
 * Prints single-alert and batch throughput, acknowledgement latency at a fixed
 * 500 alerts/s, a storm arriving as single-alert requests (rate and ack latency while it
 * folds), and a plain batched INSERT of the same rows as the physical reference.
 * Then batch throughput with enrichment off and on, in the same run, over two more api processes:
 * a generated 100,000-indicator intel list and MaxMind's test GeoIP databases (the only ones offline);
 * and the paced 500/s acknowledgement while a 1,000,000-indicator list refreshes, with the tables' memory.
 * Environment: BENCH_SECONDS (default 10), BENCH_SINGLE_STORM_ALERTS (5000), BENCH_DATABASE_URL (server to create a scratch database on),
 * BENCH_ONLY=enrichment (only the enrichment phases: on against off, and a 1,000,000-indicator list refreshed under paced load).
 */
import 'reflect-metadata';
import { randomBytes, randomInt } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { dropDatabase } from '../src/database/database';
import { plainInsertReference, poster, scratchDatabase, startIntakeApi, summarize, waitFor } from './support';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const TYPES = ['port_scan', 'recon', 'web_attack', 'misc_attack', 'malware', 'dns_tunneling'];
const SEVERITIES = ['low', 'medium', 'medium', 'high'];

/** Realistic mix: many sources, some repeats (dedup), some shared IPs (correlation). */
function alert(i: number) {
  const ip = `10.${randomInt(0, 40)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  return {
    source: 'bench-ids',
    type: TYPES[i % TYPES.length],
    severity: SEVERITIES[i % SEVERITIES.length],
    title: `Signature ${randomInt(0, 500)}`,
    sourceIp: ip,
    destinationIp: '192.168.1.10',
    occurredAt: new Date().toISOString(),
    raw: { sid: randomInt(1, 3_000_000), note: 'bench' },
  };
}

async function closedLoop(
  clients: number,
  run: (i: number) => Promise<{ status: number; ms: number }>,
  alertsPerCall: number,
  seconds = SECONDS,
) {
  const latencies: number[] = [];
  let calls = 0;
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < end) {
        const r = await run(calls++);
        if (r.status !== 202) errors++;
        latencies.push(r.ms);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { rate: (latencies.length * alertsPerCall) / elapsed, calls: latencies.length, errors, ...summarize(latencies) };
}

/** Open loop: one request every 1000/rate ms regardless of answers, so latency is not hidden by back-pressure. */
async function openLoop(rate: number, post: (i: number) => Promise<{ status: number; ms: number }>, seconds = SECONDS) {
  const latencies: number[] = [];
  let errors = 0;
  const total = rate * seconds;
  const interval = 1000 / rate;
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      post(i).then((r) => {
        if (r.status !== 202) errors++;
        latencies.push(r.ms);
      }),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - started) / 1000;
  return { offered: rate, achieved: latencies.length / elapsed, errors, ...summarize(latencies) };
}

/** A bench alert as the reference's row (REFERENCE_COLUMNS). */
const referenceRow = (i: number): unknown[] => {
  const a = alert(i);
  return [
    a.source,
    a.type,
    a.severity,
    a.title,
    a.sourceIp,
    a.destinationIp,
    a.occurredAt,
    JSON.stringify(a.raw),
    randomBytes(16).toString('hex'),
    'new',
    'medium',
    'correlate',
    'P3',
  ];
};

const INDICATORS = 100_000;

/** A public IPv4 address (not in a reserved range), so GeoIP is asked; `n` picks it. */
const publicIp = (n: number) => `${45 + ((n >> 24) % 60)}.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255 || 1}`;

/** A bench alert from a public address: one in 100 is on the generated intel list. */
function publicAlert(i: number) {
  const onList = i % 100 === 0;
  // The list's addresses start 45. to 92.; the others 185.: never on it.
  const sourceIp = onList
    ? publicIp(randomInt(0, INDICATORS) * 7919)
    : `185.${randomInt(0, 256)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  return { ...alert(i), sourceIp };
}

/**
 * Batch throughput with enrichment off and on, in one run: two api processes on the same
 * database and config (a 100,000-indicator list, MaxMind's test databases), measured
 * off, on, on, off so a drift of the database over the run weighs on both alike.
 */
async function enrichmentPhase(databaseUrl: string, key: string, batchSize: number): Promise<void> {
  const root = join(__dirname, '..');
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-config-'));
  cpSync(join(root, 'config'), dir, { recursive: true });
  writeFileSync(join(dir, 'bench-list.txt'), Array.from({ length: INDICATORS }, (_, n) => publicIp(n * 7919)).join('\n'));
  writeFileSync(join(dir, 'intel.yaml'), 'lists:\n  - { name: bench, format: text, file: bench-list.txt, refresh: 1d }\n');
  const geoip = join(root, 'test', 'fixtures', 'geoip');
  const apis = (['off', 'on'] as const).map((mode) => {
    const port = 3990 + randomInt(0, 9) + (mode === 'on' ? 10 : 0);
    const child = startIntakeApi(databaseUrl, port, {
      WARDEN_CONFIG_DIR: dir,
      ENRICHMENT_ENABLED: String(mode === 'on'),
      GEOIP_CITY_DB: join(geoip, 'GeoIP2-City-Test.mmdb'),
      GEOIP_COUNTRY_DB: join(geoip, 'GeoIP2-Country-Test.mmdb'),
      GEOIP_ASN_DB: join(geoip, 'GeoLite2-ASN-Test.mmdb'),
    });
    return { mode, child, url: `http://127.0.0.1:${port}` };
  });
  try {
    for (const api of apis) await waitFor(`${api.url}/health`);
    const posts = new Map(apis.map((a) => [a.mode, poster(a.url, key, 64)]));
    const run = (mode: 'on' | 'off', seconds = SECONDS) =>
      closedLoop(
        4,
        (i) =>
          posts.get(mode)!(
            '/v1/alerts',
            JSON.stringify({ alerts: Array.from({ length: batchSize }, (_, j) => publicAlert(i * batchSize + j)) }),
          ),
        batchSize,
        seconds,
      );
    const warmUp = (mode: 'on' | 'off') => run(mode, 3);
    // Each api warm first, as the main phase is: a cold JIT would weigh on the first run of each alone.
    for (const mode of ['off', 'on'] as const) await warmUp(mode);
    const rates: Record<'on' | 'off', number[]> = { on: [], off: [] };
    for (const mode of ['off', 'on', 'on', 'off'] as const) rates[mode].push((await run(mode)).rate);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [off, on] = [mean(rates.off), mean(rates.on)];
    console.log(
      `batch requests of ${batchSize} from public addresses, enrichment off: ${off.toFixed(0)} alerts/s  on: ${on.toFixed(0)} alerts/s  ` +
        `(on/off ${(on / off).toFixed(3)}, cost ${((1 - on / off) * 100).toFixed(1)} %; each api warmed 3 s, then each the mean of 2 runs, order off on on off)`,
    );
    console.log(
      `  enrichment on: ${INDICATORS} indicators (generated text list), GeoIP from MaxMind's test databases ` +
        `(test/fixtures/geoip: the full-size GeoIP2/GeoLite2 databases are not available offline, so lookups over a full-size tree are not measured)`,
    );
  } finally {
    for (const api of apis) {
      api.child.kill('SIGTERM');
      await new Promise((r) => api.child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const MILLION = 1_000_000;

/** Resident memory of a process, from /proc (Linux). */
const rssMb = (pid: number | undefined) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/** A counter or gauge's value in the api's /metrics (0 when the series is not there yet). */
async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/**
 * A 1,000,000-indicator list under paced 500/s single alerts, on a scratch database of its own: the
 * acknowledgement with the list loaded and not refreshing, then on a second api refreshing it every
 * 5 s (each refresh reads, parses and packs it again in a worker thread and swaps it in); and the
 * tables' memory (resident memory of the api with the list, against one with enrichment off).
 */
async function refreshPhase(): Promise<void> {
  const { url: databaseUrl, key } = await scratchDatabase();
  const root = join(__dirname, '..');
  const configs = (['steady', 'refreshing'] as const).map((mode) => {
    const dir = mkdtempSync(join(tmpdir(), `warden-bench-million-${mode}-`));
    cpSync(join(root, 'config'), dir, { recursive: true });
    writeFileSync(join(dir, 'million.txt'), Array.from({ length: MILLION }, (_, n) => publicIp(n * 7919)).join('\n'));
    writeFileSync(
      join(dir, 'intel.yaml'),
      `lists:\n  - { name: million, format: text, file: million.txt, refresh: ${mode === 'steady' ? '1h' : '5s'} }\n`,
    );
    return dir;
  });
  const apis = (['off', 'steady', 'refreshing'] as const).map((mode, n) => {
    const port = 4010 + randomInt(0, 9) + n * 10;
    const child = startIntakeApi(databaseUrl, port, {
      WARDEN_CONFIG_DIR: mode === 'refreshing' ? configs[1] : configs[0],
      ENRICHMENT_ENABLED: String(mode !== 'off'),
    });
    return { mode, child, url: `http://127.0.0.1:${port}` };
  });
  try {
    for (const api of apis) await waitFor(`${api.url}/health`, 180_000);
    const [off, steady, refreshing] = apis;
    const memory = { off: rssMb(off.child.pid), on: rssMb(steady.child.pid) };
    const paced = async (url: string) => {
      const post = poster(url, key, 64);
      return openLoop(500, (i) => post('/v1/alerts', JSON.stringify(publicAlert(i))), SECONDS * 2);
    };
    const line = (r: Awaited<ReturnType<typeof paced>>) =>
      `achieved ${r.achieved.toFixed(0)}/s  ack p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  max ${r.max.toFixed(1)} ms  (${r.errors} non-202)`;
    const calm = await paced(steady.url);
    const series = 'warden_intel_loads_total{list="million",outcome="loaded"}';
    const loadsBefore = await metric(refreshing.url, series);
    const during = await paced(refreshing.url);
    const refreshes = (await metric(refreshing.url, series)) - loadsBefore;
    console.log(`paced single alerts at 500/s, a ${MILLION}-indicator list loaded, not refreshing: ${line(calm)}`);
    console.log(`  the same while the list refreshes every 5 s: ${line(during)}; ${refreshes} refreshes completed in the ${SECONDS * 2} s`);
    console.log(
      `  memory: api resident ${memory.on.toFixed(0)} MB with the ${MILLION}-indicator list loaded, ${memory.off.toFixed(0)} MB with enrichment off ` +
        `(the tables: ${(memory.on - memory.off).toFixed(0)} MB)`,
    );
  } finally {
    for (const api of apis) {
      api.child.kill('SIGTERM');
      await new Promise((r) => api.child.once('exit', r));
    }
    for (const dir of configs) rmSync(dir, { recursive: true, force: true });
    await dropDatabase(databaseUrl);
  }
}

async function main(): Promise<void> {
  const { url: databaseUrl, key } = await scratchDatabase();
  const base = new URL(databaseUrl);
  if (process.env.BENCH_ONLY === 'enrichment') {
    try {
      console.log(`warden ingest bench (enrichment only): ${SECONDS}s per run, database ${base.pathname.slice(1)}`);
      await enrichmentPhase(databaseUrl, key, 500);
      await refreshPhase();
    } finally {
      await dropDatabase(databaseUrl);
    }
    return;
  }

  const port = 3900 + randomInt(0, 90);
  const api = startIntakeApi(databaseUrl, port);
  try {
    await waitFor(`http://127.0.0.1:${port}/health`);
    const url = `http://127.0.0.1:${port}`;
    const post = poster(url, key, 64);

    console.log(`warden ingest bench: ${SECONDS}s per phase, api pid ${api.pid}, database ${base.pathname.slice(1)}`);
    await closedLoop(8, (i) => post('/v1/alerts', JSON.stringify(alert(i))), 1); // warm-up

    const single = await closedLoop(32, (i) => post('/v1/alerts', JSON.stringify(alert(i))), 1);
    console.log(
      `single-alert requests, 32 clients: ${single.rate.toFixed(0)} alerts/s  p50 ${single.p50.toFixed(1)} ms  p99 ${single.p99.toFixed(1)} ms  (${single.calls} requests, ${single.errors} non-202)`,
    );

    const batchSize = 500;
    const batch = await closedLoop(
      4,
      (i) => post('/v1/alerts', JSON.stringify({ alerts: Array.from({ length: batchSize }, (_, j) => alert(i * batchSize + j)) })),
      batchSize,
    );
    console.log(
      `batch requests of ${batchSize}, 4 clients: ${batch.rate.toFixed(0)} alerts/s  p50 ${batch.p50.toFixed(0)} ms  p99 ${batch.p99.toFixed(0)} ms per batch  (${batch.calls} batches, ${batch.errors} non-202)`,
    );

    const paced = await openLoop(500, (i) => post('/v1/alerts', JSON.stringify(alert(i))));
    console.log(
      `paced single alerts at ${paced.offered}/s: achieved ${paced.achieved.toFixed(0)}/s  ack p50 ${paced.p50.toFixed(1)} ms  p99 ${paced.p99.toFixed(1)} ms  max ${paced.max.toFixed(1)} ms  (${paced.errors} non-202)`,
    );

    // A storm as falcosidekick and Wazuh send one: each alert its own request. One kind (type and
    // monitor) from distinct sources, on the shipped rules, so it folds into a storm as it arrives.
    const stormAlerts = Number(process.env.BENCH_SINGLE_STORM_ALERTS ?? 5000);
    const stormAlert = (i: number) =>
      JSON.stringify({
        source: 'falco-storm',
        type: 'port_scan',
        severity: 'medium',
        title: 'Outbound connection burst',
        sourceIp: `10.200.${(i >> 8) & 255}.${i & 255}`,
        destinationIp: '192.168.1.20',
      });
    const stormStarted = performance.now();
    const stormLatencies: number[] = [];
    let stormNext = 0;
    let stormErrors = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (stormNext < stormAlerts) {
          const r = await post('/v1/alerts', stormAlert(stormNext++));
          if (r.status !== 202) stormErrors++;
          stormLatencies.push(r.ms);
        }
      }),
    );
    const stormSeconds = (performance.now() - stormStarted) / 1000;
    const storm = summarize(stormLatencies);
    const folded = await new Client({ connectionString: databaseUrl });
    await folded.connect();
    const [{ incidents }] = (
      await folded.query<{ incidents: number }>(
        `SELECT count(DISTINCT incident_id)::int AS incidents FROM alerts WHERE source = 'falco-storm'`,
      )
    ).rows;
    await folded.end();
    console.log(
      `storm as single-alert requests, 32 clients: ${stormAlerts} alerts of one kind in ${stormSeconds.toFixed(1)} s (${(stormAlerts / stormSeconds).toFixed(0)}/s) into ${incidents} incidents  ack p50 ${storm.p50.toFixed(1)} ms  p99 ${storm.p99.toFixed(1)} ms  max ${storm.max.toFixed(1)} ms  (${stormErrors} non-202)`,
    );

    // Hostile sizes, each clipped with a warning and stored (bad-input.e2e-spec.ts and intake-limits.e2e-spec.ts
    // check the answers): each must come back in milliseconds, not seconds.
    const hostile = {
      'falco, 60,000-letter rule name': () =>
        post(
          '/v1/alerts/falco',
          JSON.stringify({ rule: 'A'.repeat(60_000), priority: 'Notice', output: 'x', time: new Date().toISOString() }),
        ),
      'suricata, 80,000-character signature': () =>
        post(
          '/v1/alerts/suricata',
          JSON.stringify([
            {
              event_type: 'alert',
              timestamp: new Date().toISOString(),
              src_ip: '10.0.0.1',
              alert: { signature: 'DNS '.repeat(20_000), severity: 2 },
            },
          ]),
        ),
      'native, 10 kB title of "a"s (a (a+)+$ pattern target; clipped to 1,000)': () =>
        post('/v1/alerts', JSON.stringify({ ...alert(0), title: 'a'.repeat(10_000), description: 'a'.repeat(10_000) })),
    };
    for (const [name, send] of Object.entries(hostile)) {
      const answer = await send();
      console.log(`hostile input, ${name}: answered ${answer.status} in ${answer.ms.toFixed(1)} ms`);
    }

    await enrichmentPhase(databaseUrl, key, batchSize);
    await refreshPhase();

    const reference = await plainInsertReference(databaseUrl, 100_000, batchSize, referenceRow);
    console.log(`reference: plain batched INSERT (${batchSize} rows/statement, 1 connection): ${reference.toFixed(0)} rows/s`);
    console.log(
      `ratio: batch ingest / plain INSERT = ${(batch.rate / reference).toFixed(3)}; single / plain INSERT = ${(single.rate / reference).toFixed(3)}`,
    );
  } finally {
    api.kill('SIGTERM');
    await new Promise((r) => api.once('exit', r));
    await dropDatabase(databaseUrl);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
