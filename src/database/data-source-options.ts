import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { entities } from './entities';

// Migration files start with their timestamp; the glob skips anything else in migrations/.
const migrationsGlob = join(__dirname, '..', '..', 'migrations', '[0-9]*-*.{js,ts}');

export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations: [migrationsGlob],
    migrationsTableName: 'migrations',
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+; uuid-ossp would need an extension.
    uuidExtension: 'pgcrypto',
    poolSize,
    extra: { connectionTimeoutMillis: 5000 },
  };
}
