import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';

// Each folder keeps the entities of the tables it owns (`*.entity.ts`); finding them by
// name keeps this folder free of imports from the folders that use it.
const entitiesGlob = join(__dirname, '..', '**', '*.entity.{js,ts}');
// Migration files start with their timestamp; the glob skips anything else in migrations/.
const migrationsGlob = join(__dirname, '..', '..', 'migrations', '[0-9]*-*.{js,ts}');

export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [entitiesGlob],
    migrations: [migrationsGlob],
    migrationsTableName: 'migrations',
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+; uuid-ossp would need an extension.
    uuidExtension: 'pgcrypto',
    poolSize,
    extra: { connectionTimeoutMillis: 5000 },
  };
}
