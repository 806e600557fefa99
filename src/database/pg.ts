import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';

/** The pg pool under TypeORM, for hot paths where every round trip counts. */
export const pgPool = (dataSource: DataSource): Pool => (dataSource.driver as unknown as { master: Pool }).master;

/** A 64-bit advisory lock key as a decimal literal, so locks can ride along with BEGIN in one round trip. */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

/** BEGIN and the advisory locks in one simple-protocol round trip (the keys are digits only). */
export function beginWithLocks(client: PoolClient, names: string[]): Promise<unknown> {
  const locks = names.map((n) => `pg_advisory_xact_lock(${advisoryLockKey(n)})`).join(', ');
  return client.query(`BEGIN; SELECT ${locks}`);
}

export async function inTransaction<T>(pool: Pool, lockNames: string[], fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await beginWithLocks(client, lockNames);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
