import { rmSync } from 'node:fs';
import { Client } from 'pg';
import { dropDatabase } from '../../src/database/database';
import { RunningTemporal, stopProcess } from './temporal-server';

export default async function globalTeardown(): Promise<void> {
  const temporal = (globalThis as Record<string, unknown>).__wardenTemporal as RunningTemporal | undefined;
  if (temporal) await stopProcess(temporal.process);
  if (process.env.WARDEN_CONFIG_DIR?.includes('warden-shared-config-'))
    rmSync(process.env.WARDEN_CONFIG_DIR, { recursive: true, force: true });
  const url = process.env.DATABASE_URL;
  if (!url?.includes('/warden_test_')) return;
  // Suites' own databases (isolatedDatabase) share the run's name as a prefix; a crashed suite leaves its one behind.
  const name = new URL(url).pathname.slice(1);
  const admin = new Client({ connectionString: url });
  await admin.connect();
  const rows = await admin
    .query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${name}\\_%`])
    .finally(() => admin.end());
  for (const { datname } of rows.rows) {
    const other = new URL(url);
    other.pathname = `/${datname}`;
    await dropDatabase(other.toString());
  }
  await dropDatabase(url);
}
