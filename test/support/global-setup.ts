import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
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
  process.env.WARDEN_CONFIG_DIR = sharedConfigDir();
  process.env.NODE_ENV = 'test';
  process.env.LOG_LEVEL ??= 'warn';
  // No report schedule fires into another suite's webhook receiver; the reports suite sets its own.
  process.env.REPORTS_DAILY_CRON ??= 'off';
  process.env.REPORTS_EXECUTIVE_CRON ??= 'off';
}

/**
 * The shipped config/ with storm folding off. Suites on the shared database see each
 * other's incidents, so a storm threshold would count them all; suites about storms run
 * on a database of their own (startStack) with the shipped setting.
 */
function sharedConfigDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-shared-config-'));
  cpSync(join(__dirname, '..', '..', 'config'), dir, { recursive: true });
  const rules = parse(readFileSync(join(dir, 'rules.yaml'), 'utf8')) as { defaults: Record<string, unknown> };
  rules.defaults.storm = false;
  writeFileSync(join(dir, 'rules.yaml'), stringify(rules));
  return dir;
}
