/**
 * Storm benchmark: real api and worker processes, real PostgreSQL, each Temporal server
 * Warden can embed (bench/temporal-servers.ts), loopback HTTP.
 *   make bench   (or: npm run build && node -r ts-node/register bench/storm.ts)
 * For each Temporal server:
 *   1. the bare ceiling: empty workflows started and completed per second (bench/temporal-ceiling.ts);
 *   2. the storm with the shipped rules (storm folding on): 20,000 port_scan alerts from 20,000
 *      source addresses, posted as 40 batches of 500, then one critical privilege_escalation
 *      alert; prints the seconds from that alert's 202 to its task being assigned, and how many
 *      incidents the storm opened;
 *   3. the same with storm folding off: every alert opens an incident with its own workflow,
 *      so the critical alert waits behind (or overtakes) 20,000 workflows. Prints the seconds to
 *      assigned, api and worker RSS (peak, and with every incident workflow open), and Warden's
 *      sustained incidents/s from the first 202 to the last task assigned next to the ceiling.
 * Times are the database's (received_at, assigned_at). Analysts' capacity is raised so no task
 * waits for a free analyst: this measures the pipeline.
 * Environment: BENCH_STORM_ALERTS (20000), BENCH_TEMPORAL (dev-sqlite,server-postgres),
 * BENCH_CEILING_WORKFLOWS (2000), BENCH_DRAIN_MINUTES (20), BENCH_DATABASE_URL.
 */
import 'reflect-metadata';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { loadEnv } from '../src/common/env';
import { dropDatabase } from '../src/database/database';
import { testConfigDir } from '../test/support/isolated';
import { poster, root, scratchDatabase, startNode, waitFor } from './support';
import { measureCeiling } from './temporal-ceiling';
import { startTemporalServer, TemporalServerKind } from './temporal-servers';

const ALERTS = Number(process.env.BENCH_STORM_ALERTS ?? 20_000);
const BATCH = 500;
const KINDS = (process.env.BENCH_TEMPORAL ?? 'dev-sqlite,server-postgres').split(',') as TemporalServerKind[];
const CEILING_WORKFLOWS = Number(process.env.BENCH_CEILING_WORKFLOWS ?? 2000);
const DRAIN_MS = Number(process.env.BENCH_DRAIN_MINUTES ?? 20) * 60_000;

interface StormRun {
  secondsToAssigned: number;
  incidents: number;
  postSeconds: number;
  apiRssMb: number;
  workerRssMb: number;
  /** Worker RSS once every incident's task was assigned (its workflow open, waiting under the SLA). */
  workerRssOpenMb?: number;
  /** Incidents per second from the first 202 to the last task assigned; only measured with folding off. */
  incidentsPerSecond?: number;
  drained: boolean;
}

const rssMb = (pid: number | undefined): number => {
  if (!pid) return NaN;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : NaN;
  } catch {
    return NaN;
  }
};

async function poll<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs: number,
  everyMs = 250,
): Promise<{ value: T; met: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return { value, met: true };
    if (Date.now() > deadline) return { value, met: false };
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function runStorm(temporalAddress: string, folding: boolean): Promise<StormRun> {
  const { url: databaseUrl, key } = await scratchDatabase();
  const config = testConfigDir({
    rules: (doc) => {
      if (!folding) doc.defaults.storm = false;
    },
    assignment: (doc) => doc.analysts.forEach((a: { capacity: number }) => (a.capacity = a.capacity === 0 ? 0 : 1_000_000)),
  });
  const port = 3900 + randomInt(0, 90);
  const common = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: `bench-storm-${Date.now()}`,
    WARDEN_CONFIG_DIR: config.dir,
    LOG_LEVEL: 'error',
  };
  const api = startNode('dist/src/main.js', { ...common, PORT: String(port), HOST: '127.0.0.1' });
  const worker = startNode('dist/src/worker.js', { ...common, WORKFLOW_BUNDLE_PATH: `${root}/dist/workflow-bundle.js` });
  const peak = { api: 0, worker: 0 };
  const sampler = setInterval(() => {
    peak.api = Math.max(peak.api, rssMb(api.pid) || 0);
    peak.worker = Math.max(peak.worker, rssMb(worker.pid) || 0);
  }, 250);
  const pg = new Client({ connectionString: databaseUrl });
  try {
    await waitFor(`http://127.0.0.1:${port}/health`);
    await pg.connect();
    const post = poster(`http://127.0.0.1:${port}`, key, 4);
    const started = performance.now();
    for (let b = 0; b < ALERTS / BATCH; b++) {
      const alerts = Array.from({ length: BATCH }, (_, j) => {
        const n = b * BATCH + j;
        return {
          source: 'bench-storm',
          type: 'port_scan',
          severity: 'medium',
          title: 'ET SCAN Suspicious inbound to PostgreSQL port 5432',
          sourceIp: `10.${100 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`,
          destinationIp: '192.0.2.10',
        };
      });
      const r = await post('/v1/alerts', JSON.stringify({ alerts }));
      if (r.status !== 202) throw new Error(`storm batch ${b} answered ${r.status}: ${r.body.slice(0, 300)}`);
    }
    const postSeconds = (performance.now() - started) / 1000;
    const critical = await post(
      '/v1/alerts',
      JSON.stringify({
        source: 'bench-edr',
        type: 'privilege_escalation',
        severity: 'critical',
        title: 'Root shell on db-1',
        host: 'db-1',
      }),
    );
    if (critical.status !== 202) throw new Error(`critical alert answered ${critical.status}: ${critical.body}`);
    const { incidentId } = JSON.parse(critical.body) as { incidentId: string };

    const assigned = await poll(
      async () =>
        (
          await pg.query<{ seconds: number | null }>(
            `SELECT extract(epoch FROM (ta.assigned_at - a.received_at))::float8 AS seconds
               FROM alerts a JOIN tasks t ON t.incident_id = a.incident_id
               JOIN LATERAL (SELECT assigned_at FROM task_assignments WHERE task_id = t.id AND analyst_id IS NOT NULL ORDER BY id LIMIT 1) ta ON true
              WHERE a.incident_id = $1`,
            [incidentId],
          )
        ).rows[0]?.seconds ?? null,
      (s) => s !== null,
      DRAIN_MS,
    );
    const [{ incidents }] = (
      await pg.query<{ incidents: number }>(
        `SELECT count(DISTINCT incident_id)::int AS incidents FROM alerts WHERE source = 'bench-storm' AND incident_id IS NOT NULL`,
      )
    ).rows;

    const run: StormRun = {
      secondsToAssigned: assigned.value ?? NaN,
      incidents,
      postSeconds,
      apiRssMb: 0,
      workerRssMb: 0,
      drained: true,
    };
    if (!folding) {
      // Every storm incident's task assigned: the sustained rate, and the worker holding every workflow open.
      // Polled with a cheap count so the bench does not compete with what it measures; the rate is read once at the end.
      const drained = await poll(
        async () =>
          (
            await pg.query<{ assigned: number }>(
              `SELECT count(*)::int AS assigned FROM tasks WHERE incident_id IS NOT NULL AND assigned_at IS NOT NULL`,
            )
          ).rows[0].assigned,
        (n) => n >= incidents + 1, // and the critical alert's task
        DRAIN_MS,
        1000,
      );
      const [rate] = (
        await pg.query<{ assigned: number; seconds: number | null }>(
          `SELECT count(*)::int AS assigned, extract(epoch FROM (max(ta.assigned_at) - min(a.received_at)))::float8 AS seconds
             FROM (SELECT DISTINCT ON (incident_id) incident_id, received_at FROM alerts WHERE source = 'bench-storm' ORDER BY incident_id, received_at) a
             JOIN tasks t ON t.incident_id = a.incident_id
             JOIN LATERAL (SELECT assigned_at FROM task_assignments WHERE task_id = t.id ORDER BY id LIMIT 1) ta ON true`,
        )
      ).rows;
      run.drained = drained.met;
      run.incidentsPerSecond = rate.seconds ? Math.round(rate.assigned / rate.seconds) : NaN;
      run.workerRssOpenMb = rssMb(worker.pid);
    }
    run.apiRssMb = peak.api;
    run.workerRssMb = peak.worker;
    return run;
  } finally {
    clearInterval(sampler);
    await pg.end().catch(() => undefined);
    for (const p of [api, worker]) {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
    await dropDatabase(databaseUrl);
    config.remove();
  }
}

async function main(): Promise<void> {
  const env = loadEnv();
  console.log(
    `warden storm bench: ${ALERTS} port_scan alerts from ${ALERTS} sources in batches of ${BATCH}, then one critical alert; ` +
      `worker: maxCachedWorkflows ${env.WORKER_MAX_CACHED_WORKFLOWS}`,
  );
  const summary: string[] = [];
  for (const kind of KINDS) {
    const server = await startTemporalServer(kind);
    try {
      const ceiling = await measureCeiling(server.address, { workflows: CEILING_WORKFLOWS, env });
      console.log(`[${kind}] ceiling: ${ceiling.workflows} empty workflows in ${ceiling.seconds} s = ${ceiling.perSecond}/s`);
      const folded = await runStorm(server.address, true);
      console.log(
        `[${kind}] folding on:  storm posted in ${folded.postSeconds.toFixed(1)} s, opened ${folded.incidents} incidents; ` +
          `critical alert assigned ${folded.secondsToAssigned.toFixed(2)} s after its 202; RSS api ${folded.apiRssMb} MB, worker ${folded.workerRssMb} MB`,
      );
      const unfolded = await runStorm(server.address, false);
      const ratio = (unfolded.incidentsPerSecond ?? NaN) / ceiling.perSecond;
      console.log(
        `[${kind}] folding off: storm posted in ${unfolded.postSeconds.toFixed(1)} s, opened ${unfolded.incidents} incidents; ` +
          `critical alert assigned ${unfolded.secondsToAssigned.toFixed(2)} s after its 202; ` +
          `RSS peak api ${unfolded.apiRssMb} MB, worker ${unfolded.workerRssMb} MB, worker with ${unfolded.incidents} workflows open ${unfolded.workerRssOpenMb} MB; ` +
          `${unfolded.drained ? '' : 'NOT DRAINED within BENCH_DRAIN_MINUTES; '}` +
          `Warden ${unfolded.incidentsPerSecond} incidents/s vs ceiling ${ceiling.perSecond}/s = ratio ${ratio.toFixed(2)}`,
      );
      summary.push(
        `${kind.padEnd(16)} ceiling ${String(ceiling.perSecond).padStart(5)}/s  warden ${String(unfolded.incidentsPerSecond).padStart(5)}/s  ` +
          `ratio ${ratio.toFixed(2)}  critical assigned: ${folded.secondsToAssigned.toFixed(2)} s (folding on, ${folded.incidents} incidents), ` +
          `${unfolded.secondsToAssigned.toFixed(2)} s (folding off, ${unfolded.incidents} incidents)  worker RSS ${unfolded.workerRssOpenMb} MB`,
      );
    } finally {
      await server.stop();
    }
  }
  console.log(['', 'summary (targets: critical assigned < 2 s, ratio >= 0.5, worker < 500 MB):', ...summary].join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
