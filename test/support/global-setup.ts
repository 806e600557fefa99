import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase, migrate } from '../../src/database/database';
import { startTemporal } from './temporal-server';

// One real Temporal dev server and one fresh database per test run; suites isolate
// themselves with their own task queues and ids. Teardown removes both.
export default async function globalSetup(): Promise<void> {
  const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const url = new URL(base);
  url.pathname = `/warden_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = url.toString();
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl, 'up');

  const temporal = await startTemporal().catch(async (err) => {
    await dropDatabase(databaseUrl);
    throw err;
  });
  (globalThis as Record<string, unknown>).__wardenTemporal = temporal;
  process.env.DATABASE_URL = databaseUrl;
  process.env.TEMPORAL_ADDRESS = temporal.address;
  process.env.NODE_ENV = 'test';
  process.env.LOG_LEVEL ??= 'warn';
}
