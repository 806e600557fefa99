/**
 * The Temporal ceiling: how many workflows per second one Temporal server and one worker
 * (with Warden's WORKER_* settings) take from started to completed. Each workflow is empty
 * (bench/workflows: one workflow task, no activity), so this is the most incidents per second
 * Temporal could ever open; Warden's own workflows cost more.
 *   node -r ts-node/register bench/temporal-ceiling.ts [dev-sqlite|server-postgres ...]
 * Environment: BENCH_WORKFLOWS (default 2000), BENCH_STARTS_IN_FLIGHT (default 64), WORKER_*, and
 * TEMPORAL_SERVER_DATABASE_URL for server-postgres (bench/temporal-servers.ts).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Env, loadEnv } from '../src/common/env';
import { workerTuning } from '../src/temporal/run-worker';
import { runBounded } from '../src/common/run-bounded';
import { startTemporalServer, TEMPORAL_SERVER_KINDS, TemporalServerKind } from './temporal-servers';

export interface Ceiling {
  workflows: number;
  seconds: number;
  /** Workflows per second, from the first start request to the last completion. */
  perSecond: number;
}

let bundle: Promise<{ code: string }> | undefined;
const benchBundle = () =>
  (bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve(join(__dirname, 'workflows')), logger: new DefaultLogger('WARN') }));

/**
 * Starts `workflows` empty workflows on a fresh task queue at `address` (namespace
 * TEMPORAL_NAMESPACE), with a worker tuned as Warden's is, and measures started → completed.
 */
export async function measureCeiling(
  address: string,
  { workflows = 2000, startsInFlight = 64, env = loadEnv() }: { workflows?: number; startsInFlight?: number; env?: Env } = {},
): Promise<Ceiling> {
  const workflowBundle = await benchBundle();
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  try {
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    const taskQueue = `ceiling-${randomUUID().slice(0, 8)}`;
    const worker = await Worker.create({
      connection: native,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue,
      workflowBundle,
      ...workerTuning(env),
    });
    const running = worker.run();
    try {
      const ids = Array.from({ length: workflows }, (_, i) => `ceiling-${taskQueue}-${i}`);
      const started = performance.now();
      // Each lane starts a workflow and waits for its result, so results are awaited as starts go on.
      const results: Promise<unknown>[] = [];
      await runBounded(
        ids,
        startsInFlight,
        async (workflowId) => {
          const handle = await client.workflow.start('emptyWorkflow', { workflowId, taskQueue });
          results.push(handle.result());
        },
        () => false,
      );
      await Promise.all(results);
      const seconds = (performance.now() - started) / 1000;
      return { workflows, seconds: Math.round(seconds * 100) / 100, perSecond: Math.round(workflows / seconds) };
    } finally {
      worker.shutdown();
      await running;
    }
  } finally {
    await native.close();
    await connection.close();
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const kinds = (process.argv.slice(2).length ? process.argv.slice(2) : TEMPORAL_SERVER_KINDS) as TemporalServerKind[];
  const env = loadEnv();
  const workflows = Number(process.env.BENCH_WORKFLOWS ?? 2000);
  const startsInFlight = Number(process.env.BENCH_STARTS_IN_FLIGHT ?? 64);
  const tuning = workerTuning(env);
  console.log(`temporal ceiling: ${workflows} empty workflows, ${startsInFlight} starts in flight, worker ${JSON.stringify(tuning)}`);
  for (const kind of kinds) {
    const temporal = await startTemporalServer(kind);
    try {
      await measureCeiling(temporal.address, { workflows: Math.min(200, workflows), startsInFlight, env }); // warm-up
      const c = await measureCeiling(temporal.address, { workflows, startsInFlight, env });
      console.log(`${kind.padEnd(16)} ${String(c.perSecond).padStart(5)} workflows/s (${c.workflows} in ${c.seconds} s)`);
    } finally {
      await temporal.stop();
    }
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
