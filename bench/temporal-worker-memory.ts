/**
 * Worker memory with many open workflows: a child process boots Warden's real worker (Nest
 * context, database, incident workflow bundle) plus a second worker with the same WORKER_*
 * settings that opens BENCH_OPEN (default 20,000) workflows which then wait, as incidents do
 * under their SLA. The sticky cache holds WORKER_MAX_CACHED_WORKFLOWS of them; the rest are
 * evicted and replayed when they next wake (RELEASE of them are signalled at the end). Prints
 * the child's RSS: idle, peak, and at the end. Two workers and their two bundles make this an
 * upper bound for Warden's worker alone.
 *   node -r ts-node/register bench/temporal-worker-memory.ts
 * Environment: BENCH_OPEN, BENCH_RELEASE (default 2,000), WORKER_*, BENCH_DATABASE_URL, TEMPORAL_ADDRESS
 * (default: a dev server of its own).
 */
import 'reflect-metadata';
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, InjectedSinks, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadEnv } from '../src/common/env';
import { dropDatabase, ensureDatabase, migrate } from '../src/database/database';
import { runBounded } from '../src/common/run-bounded';
import { bootWorker, workerTuning } from '../src/temporal/run-worker';
import { startTemporalServer } from './temporal-servers';
import type { BenchSinks } from './workflows';

interface Report {
  opened: number;
  rss: number;
  heapUsed: number;
}

const MB = 1024 * 1024;

/** A child process: Warden's worker booted and idle ('warden'), or the bench worker ('bench'), reporting every 500 ms. */
async function child(mode: 'warden' | 'bench', benchQueue: string, benchBundle: string): Promise<void> {
  const env = loadEnv();
  let opened = 0;
  let stop: () => void;
  let running: Promise<unknown>;
  if (mode === 'warden') {
    const warden = await bootWorker(env);
    running = warden.run();
    stop = () => warden.worker.shutdown();
  } else {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
    const sinks: InjectedSinks<BenchSinks> = { progress: { opened: { fn: () => void opened++ } } };
    const bench = await Worker.create({
      connection,
      taskQueue: benchQueue,
      workflowBundle: { codePath: benchBundle },
      sinks,
      ...workerTuning(env),
    });
    running = bench.run().finally(() => connection.close());
    stop = () => bench.shutdown();
  }
  const report = () => {
    const m = process.memoryUsage();
    process.send!({ opened, rss: m.rss, heapUsed: m.heapUsed } satisfies Report);
  };
  const timer = setInterval(report, 500);
  process.once('disconnect', () => {
    clearInterval(timer);
    stop();
  });
  await running;
}

/** Forks a child and follows its reports. */
function spawnChild(mode: 'warden' | 'bench', args: string[], env: Record<string, string>) {
  const proc = fork(__filename, ['child', mode, ...args], { execArgv: ['-r', 'ts-node/register'], env: { ...process.env, ...env } });
  const state = { last: { opened: 0, rss: 0, heapUsed: 0 } as Report, peak: 0, exited: undefined as number | null | undefined };
  proc.on('message', (r: Report) => {
    state.last = r;
    state.peak = Math.max(state.peak, r.rss);
  });
  proc.once('exit', (code) => (state.exited = code));
  return {
    state,
    async until(done: () => boolean) {
      while (!done()) {
        if (state.exited !== undefined) throw new Error(`the ${mode} process exited with code ${state.exited}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async stop() {
      if (state.exited !== undefined) return;
      proc.disconnect();
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 3000));

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const open = Number(process.env.BENCH_OPEN ?? 20_000);
  const release = Math.min(open, Number(process.env.BENCH_RELEASE ?? 2000));
  const temporal = process.env.TEMPORAL_ADDRESS ? undefined : await startTemporalServer('dev-sqlite');
  const address = process.env.TEMPORAL_ADDRESS ?? temporal!.address;
  const base = new URL(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  base.pathname = `/warden_bench_memory_${Date.now()}`;
  const databaseUrl = base.toString();
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl, 'up');
  const dir = mkdtempSync(join(tmpdir(), 'warden-bundle-'));
  const bundlePath = join(dir, 'workflow-bundle.js');
  const benchBundlePath = join(dir, 'bench-bundle.js');
  const logger = new DefaultLogger('WARN');
  writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: require.resolve('../src/temporal/workflows'), logger })).code);
  writeFileSync(benchBundlePath, (await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger })).code);

  const benchQueue = `memory-${randomUUID().slice(0, 8)}`;
  const childEnv = {
    TEMPORAL_ADDRESS: address,
    DATABASE_URL: databaseUrl,
    TEMPORAL_TASK_QUEUE: `${benchQueue}-warden`,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    LOG_LEVEL: 'warn',
  };
  const connection = await Connection.connect({ address });
  const children: ReturnType<typeof spawnChild>[] = [];
  try {
    const tuning = workerTuning(loadEnv());
    console.log(`worker memory: ${open} waiting workflows, worker ${JSON.stringify(tuning)}`);
    const warden = spawnChild('warden', [benchQueue, benchBundlePath], childEnv);
    children.push(warden);
    await warden.until(() => warden.state.last.rss > 0);
    await settle();
    const wardenIdle = warden.state.last.rss;
    console.log(`Warden worker booted, idle: RSS ${Math.round(wardenIdle / MB)} MB`);
    await warden.stop();

    const bench = spawnChild('bench', [benchQueue, benchBundlePath], childEnv);
    children.push(bench);
    await bench.until(() => bench.state.last.rss > 0);
    await settle();
    const benchIdle = bench.state.last.rss;
    console.log(`bench worker booted, idle: RSS ${Math.round(benchIdle / MB)} MB`);

    const client = new Client({ connection });
    const ids = Array.from({ length: open }, (_, i) => `memory-${benchQueue}-${i}`);
    const started = performance.now();
    let nextLog = 5000;
    await runBounded(
      ids,
      64,
      async (workflowId) => void (await client.workflow.start('waitingWorkflow', { workflowId, taskQueue: benchQueue })),
      () => false,
    );
    await bench.until(() => {
      if (bench.state.last.opened >= nextLog) {
        console.log(`  ${bench.state.last.opened} open: RSS ${Math.round(bench.state.last.rss / MB)} MB`);
        nextLog += 5000;
      }
      return bench.state.last.opened >= open;
    });
    const report = (what: string) => {
      const { last, peak } = bench.state;
      const grown = last.rss - benchIdle;
      console.log(
        `${what}: bench worker RSS ${Math.round(last.rss / MB)} MB (heap ${Math.round(last.heapUsed / MB)} MB, peak RSS ${Math.round(peak / MB)} MB); ` +
          `Warden worker estimate ${Math.round((wardenIdle + grown) / MB)} MB, peak ${Math.round((wardenIdle + peak - benchIdle) / MB)} MB`,
      );
    };
    report(`${open} open after ${Math.round((performance.now() - started) / 1000)} s`);

    // Waking evicted workflows replays them from history into the cache.
    const woken = ids.filter((_, i) => i % Math.max(1, Math.floor(open / release)) === 0).slice(0, release);
    await runBounded(
      woken,
      64,
      (id) => client.workflow.getHandle(id).signal('release'),
      () => false,
    );
    await runBounded(
      woken,
      64,
      async (id) => void (await client.workflow.getHandle(id).result()),
      () => false,
    );
    report(`after ${woken.length} woke and finished`);
  } finally {
    for (const c of children) await c.stop();
    await connection.close();
    await temporal?.stop();
    await dropDatabase(databaseUrl);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const run = process.argv[2] === 'child' ? child(process.argv[3] as 'warden' | 'bench', process.argv[4], process.argv[5]) : main();
  run.catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
