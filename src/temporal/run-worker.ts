import { INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DefaultLogger, LogLevel, NativeConnection, Runtime, Worker, WorkerInterceptors, WorkerOptions } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AssignmentService } from '../assignment/assignment.service';
import { AuditService } from '../audit/audit.service';
import { PlaybookRunsService } from '../playbooks/runs.service';
import { DigestService } from '../tasks/digest.service';
import { EscalationService } from '../tasks/escalation.service';
import { SLA_CONFIG, type SlaConfig } from '../tasks/sla.schema';
import { startWorkerMetrics } from '../stats/metrics/worker-metrics';
import { TasksService } from '../tasks/tasks.service';
import { ensureDigestSchedule } from './digest-schedule';
import { createReportActivities } from '../stats/reports/report.activities';
import { ensureReportSchedules } from '../stats/reports/report-schedules';
import { ReportsService } from '../stats/reports/reports.service';
import { Env, logLevels } from '../common/env';
import { createActivities } from './activities';
import { WorkerModule } from './worker.module';

export async function connectWithRetry(address: string, logger: Logger): Promise<NativeConnection> {
  for (let attempt = 1, delay = 500; ; attempt++, delay = Math.min(delay * 2, 10_000)) {
    try {
      return await NativeConnection.connect({ address });
    } catch (err) {
      logger.warn(`Temporal at ${address} not reachable (attempt ${attempt}): ${(err as Error).message}; retrying in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** Workflow code: a prebuilt bundle in production, bundled from source otherwise. */
export function workflowSource(env: Env): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const bundle = env.WORKFLOW_BUNDLE_PATH;
  if (bundle) {
    if (!existsSync(bundle)) throw new Error(`WORKFLOW_BUNDLE_PATH points at a missing file: ${bundle}`);
    return { workflowBundle: { codePath: bundle } };
  }
  return { workflowsPath: require.resolve(join(__dirname, 'workflows')) };
}

/**
 * The worker's slots and sticky cache, from WORKER_*. The V8 context is shared by all cached
 * workflows (`reuseV8Context`, the SDK's default since 1.9), so each costs little memory.
 */
export function workerTuning(
  env: Env,
): Required<
  Pick<
    WorkerOptions,
    | 'maxCachedWorkflows'
    | 'maxConcurrentWorkflowTaskExecutions'
    | 'maxConcurrentActivityTaskExecutions'
    | 'maxConcurrentLocalActivityExecutions'
  >
> {
  return {
    maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentWorkflowTaskExecutions: env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentActivityTaskExecutions: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivityExecutions: env.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
  };
}

export async function createWorker(
  app: INestApplicationContext,
  connection: NativeConnection,
  env: Env,
  interceptors?: WorkerInterceptors,
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    ...workflowSource(env),
    activities: {
      ...createActivities({
        audit: app.get(AuditService),
        tasks: app.get(TasksService),
        assignment: app.get(AssignmentService),
        escalation: app.get(EscalationService),
        digests: app.get(DigestService),
        playbooks: app.get(PlaybookRunsService),
      }),
      ...createReportActivities({ reports: app.get(ReportsService) }),
    },
    shutdownGraceTime: `${env.SHUTDOWN_TIMEOUT_SECONDS}s`,
    interceptors,
    ...workerTuning(env),
  });
}

export interface BootedWorker {
  worker: Worker;
  /** The worker's own /metrics, when WORKER_METRICS_ADDRESS is set. */
  metricsUrl?: string;
  /** Polls until worker.shutdown() (or SIGINT/SIGTERM), then closes the connection and the Nest context. */
  run(): Promise<void>;
}

const sdkLogLevel: Record<Env['LOG_LEVEL'], LogLevel> = { error: 'ERROR', warn: 'WARN', log: 'INFO', debug: 'DEBUG', verbose: 'TRACE' };
let runtimeInstalled = false;

export async function bootWorker(env: Env, logger = new Logger('worker')): Promise<BootedWorker> {
  // The Temporal runtime is process-wide and can be configured once.
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger(sdkLogLevel[env.LOG_LEVEL]) });
    runtimeInstalled = true;
  }
  const metrics = await startWorkerMetrics(env);
  const root = WorkerModule.forRoot(env);
  const app = await NestFactory.createApplicationContext(
    { ...root, imports: [...(root.imports ?? []), metrics.module] },
    { logger: logLevels(env.LOG_LEVEL) },
  ).catch(async (err: unknown) => {
    await metrics.close();
    throw err;
  });
  try {
    const connection = await connectWithRetry(env.TEMPORAL_ADDRESS, logger);
    const worker = await createWorker(app, connection, env, metrics.interceptors);
    await ensureDigestSchedule(env, app.get<SlaConfig>(SLA_CONFIG).digest.every, logger);
    await ensureReportSchedules(env, logger);
    return {
      worker,
      metricsUrl: metrics.url,
      async run() {
        try {
          await worker.run();
        } finally {
          await connection.close();
          await app.close();
          await metrics.close();
        }
      },
    };
  } catch (err) {
    await app.close();
    await metrics.close();
    throw err;
  }
}
