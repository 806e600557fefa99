import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app';
import { loadDotEnv, loadEnv } from './common/env';

async function main(): Promise<void> {
  loadDotEnv();
  const env = loadEnv();
  const logger = new Logger('api');
  const app = await createApp(env);
  await app.listen(env.PORT, env.HOST);
  logger.log(`Warden api listening on ${await app.getUrl()}`);

  // Drain: stop accepting, let in-flight requests finish, close pools, exit 0.
  // (Nest's own shutdown hooks re-raise the signal, which would exit non-zero.)
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received, draining`);
    const force = setTimeout(() => {
      logger.error(`shutdown took longer than ${env.SHUTDOWN_TIMEOUT_SECONDS}s, exiting`);
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_SECONDS * 1000).unref();
    app.close().then(
      () => {
        clearTimeout(force);
        logger.log('api stopped');
        process.exit(0);
      },
      (err) => {
        logger.error(`shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`api failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
