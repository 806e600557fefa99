import { dropDatabase } from '../../src/database/database';
import { RunningTemporal, stopProcess } from './temporal-server';

export default async function globalTeardown(): Promise<void> {
  const temporal = (globalThis as Record<string, unknown>).__wardenTemporal as RunningTemporal | undefined;
  if (temporal) await stopProcess(temporal.process);
  if (process.env.DATABASE_URL?.includes('/warden_test_')) await dropDatabase(process.env.DATABASE_URL);
}
