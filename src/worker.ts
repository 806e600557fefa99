import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadDotEnv, loadEnv } from './common/env';
import { bootWorker } from './temporal/run-worker';

// The Temporal runtime turns SIGINT/SIGTERM into worker.shutdown(): in-flight
// activities get SHUTDOWN_TIMEOUT_SECONDS to finish, then run() resolves and we exit 0.
async function main(): Promise<void> {
  loadDotEnv();
  const env = loadEnv();
  const logger = new Logger('worker');
  const { run, metricsUrl } = await bootWorker(env, logger);
  if (metricsUrl) logger.log(`worker metrics at ${metricsUrl}`);
  logger.log(`Warden worker polling task queue ${env.TEMPORAL_TASK_QUEUE} at ${env.TEMPORAL_ADDRESS}`);
  await run();
  logger.log('worker stopped');
}

main().catch((err) => {
  console.error(`worker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
