import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/** The pg pool under TypeORM, for hot paths where every round trip counts. */
export const pgPool = (dataSource: DataSource): Pool => (dataSource.driver as unknown as { master: Pool }).master;

/** A 64-bit advisory lock key as a decimal literal, so locks can ride along with BEGIN in one simple-protocol round trip. */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}
