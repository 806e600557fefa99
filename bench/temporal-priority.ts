/**
 * Does an urgent workflow jump a backlog? Starts BACKLOG workflows at priorityKey 3 with no
 * worker polling, then one urgent workflow, then a worker, and ranks the urgent workflow's
 * first workflow task among the backlog's (by its WorkflowTaskStarted event time, the
 * server's clock). Rank 0 means it ran first.
 *   node -r ts-node/register bench/temporal-priority.ts
 * Trials:
 *   default        dev server as is, urgent at priorityKey 1 on the same task queue
 *   new-matcher    + matching.useNewMatcher=true
 *   one-partition  + matching.numTaskqueueReadPartitions=1 and numTaskqueueWritePartitions=1
 *   urgent-queue   dev server as is, urgent on `<queue>-urgent`, polled by a second worker in the same process
 *   server-postgres  Temporal Server on PostgreSQL with config/temporal/dynamicconfig.yaml (bench/temporal-servers.ts)
 * Environment: BENCH_BACKLOG (default 300), BENCH_REPEAT (default 3), the WORKER_* settings.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadEnv } from '../src/common/env';
import { workerTuning } from '../src/temporal/run-worker';
import { DEV_SERVER_DYNAMIC_CONFIG, startTemporal, stopProcess } from '../test/support/temporal-server';
import { startTemporalServer } from './temporal-servers';

type Trial = 'default' | 'new-matcher' | 'one-partition' | 'urgent-queue' | 'server-postgres';

/** Warden's dev server config without the matching flags under test. */
const BASE = Object.fromEntries(Object.entries(DEV_SERVER_DYNAMIC_CONFIG).filter(([key]) => !key.startsWith('matching.')));

const DYNAMIC_CONFIG: Record<Trial, Record<string, string | number | boolean>> = {
  default: {},
  'new-matcher': { 'matching.useNewMatcher': true },
  'one-partition': {
    'matching.useNewMatcher': true,
    'matching.numTaskqueueReadPartitions': 1,
    'matching.numTaskqueueWritePartitions': 1,
  },
  'urgent-queue': {},
  'server-postgres': {}, // config/temporal/dynamicconfig.yaml
};

async function startServer(trial: Trial): Promise<{ address: string; stop(): Promise<void> }> {
  if (trial === 'server-postgres') return startTemporalServer('server-postgres');
  const dev = await startTemporal({ dynamicConfig: { ...BASE, ...DYNAMIC_CONFIG[trial] } });
  return { address: dev.address, stop: () => stopProcess(dev.process) };
}

export interface PriorityResult {
  trial: Trial;
  backlog: number;
  /** Backlog workflows whose first workflow task started before the urgent one's. */
  rank: number;
  /** From the first workflow task to the urgent one's, and to the backlog's median. */
  urgentMs: number;
  medianMs: number;
}

let bundle: Promise<{ code: string }> | undefined;

async function firstTaskStarted(client: Client, workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const started = history.events!.find((e) => e.workflowTaskStartedEventAttributes);
  const t = started!.eventTime!;
  return Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) + ((t.nanos ?? 0) % 1e6) / 1e6;
}

export async function priorityTrial(trial: Trial, backlog: number): Promise<PriorityResult> {
  const env = loadEnv();
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve(join(__dirname, 'workflows')), logger: new DefaultLogger('WARN') });
  const temporal = await startServer(trial);
  const connection = await Connection.connect({ address: temporal.address });
  const native = await NativeConnection.connect({ address: temporal.address });
  try {
    const client = new Client({ connection });
    const taskQueue = `prio-${randomUUID().slice(0, 8)}`;
    const urgentQueue = `${taskQueue}-urgent`;
    const ids = Array.from({ length: backlog }, (_, i) => `backlog-${i}`);
    for (let i = 0; i < ids.length; i += 25) {
      await Promise.all(
        ids
          .slice(i, i + 25)
          .map((workflowId) => client.workflow.start('emptyWorkflow', { workflowId, taskQueue, priority: { priorityKey: 3 } })),
      );
    }
    await client.workflow.start('emptyWorkflow', {
      workflowId: 'urgent',
      taskQueue: trial === 'urgent-queue' ? urgentQueue : taskQueue,
      priority: { priorityKey: 1 },
    });

    const workflowBundle = await bundle;
    const queues = trial === 'urgent-queue' ? [taskQueue, urgentQueue] : [taskQueue];
    const workers = await Promise.all(
      queues.map((q) => Worker.create({ connection: native, taskQueue: q, workflowBundle, ...workerTuning(env) })),
    );
    const running = workers.map((w) => w.run());
    await Promise.all([...ids, 'urgent'].map((id) => client.workflow.getHandle(id).result()));
    workers.forEach((w) => w.shutdown());
    await Promise.all(running);

    const backlogStarts: number[] = [];
    for (let i = 0; i < ids.length; i += 25)
      backlogStarts.push(...(await Promise.all(ids.slice(i, i + 25).map((id) => firstTaskStarted(client, id)))));
    const urgent = await firstTaskStarted(client, 'urgent');
    const first = Math.min(urgent, ...backlogStarts);
    const sorted = [...backlogStarts].sort((a, b) => a - b);
    return {
      trial,
      backlog,
      rank: backlogStarts.filter((t) => t < urgent).length,
      urgentMs: Math.round(urgent - first),
      medianMs: Math.round(sorted[Math.floor(sorted.length / 2)] - first),
    };
  } finally {
    await native.close();
    await connection.close();
    await temporal.stop();
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const backlog = Number(process.env.BENCH_BACKLOG ?? 300);
  const repeat = Number(process.env.BENCH_REPEAT ?? 3);
  const trials = (process.env.BENCH_TRIALS?.split(',') as Trial[] | undefined) ?? (Object.keys(DYNAMIC_CONFIG) as Trial[]);
  console.log(`urgent workflow behind ${backlog} at priorityKey 3; rank 0 = its first workflow task ran first`);
  for (const trial of trials) {
    for (let i = 0; i < repeat; i++) {
      const r = await priorityTrial(trial, backlog);
      console.log(
        `${trial.padEnd(14)} rank ${String(r.rank).padStart(3)} of ${r.backlog}   urgent at +${r.urgentMs} ms, backlog median at +${r.medianMs} ms`,
      );
    }
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
