import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';

/** The pg pool under TypeORM, for hot paths where every round trip counts. */
export const pgPool = (dataSource: DataSource): Pool => (dataSource.driver as unknown as { master: Pool }).master;

/** A 64-bit advisory lock key as a decimal literal, so locks can ride along with BEGIN in one simple-protocol round trip. */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

/**
 * A client of `pool`, for a transaction of several round trips. A checked-out pg client emits
 * 'error' when its connection drops, even mid-query (the query rejects too), and pg-pool
 * listens only while the client is idle: without a listener of our own the process would
 * crash when the database goes away. The failing query reports the error; release() with it.
 */
export async function connect(pool: Pool): Promise<PoolClient> {
  const client = await pool.connect();
  const reported = () => undefined;
  client.on('error', reported);
  const release = client.release.bind(client);
  client.release = (err?: Error | boolean) => {
    client.removeListener('error', reported);
    release(err);
  };
  return client;
}

/**
 * Runs `work` on a client of `pool`, which begins and ends its own transaction over several
 * round trips. If `work` fails, the transaction is rolled back; a connection that cannot even
 * roll back is destroyed rather than returned to the pool.
 */
export async function withClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await connect(pool);
  let value: T;
  try {
    value = await work(client);
  } catch (err) {
    client.release(
      await client.query('ROLLBACK').then(
        () => undefined,
        (e: Error) => e,
      ),
    );
    throw err;
  }
  client.release();
  return value;
}
