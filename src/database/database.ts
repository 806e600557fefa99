import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

/** Creates the database named in `url` when it is missing, connecting to the server's `postgres` database. */
export async function ensureDatabase(url: string): Promise<{ created: boolean; name: string }> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) throw new Error(`DATABASE_URL names no database: ${url}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query<{ found: number }>('SELECT 1 AS found FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return { created: false, name };
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    return { created: true, name };
  } catch (err) {
    // Another process created it between the check and the CREATE.
    if ((err as { code?: string }).code === '42P04') return { created: false, name };
    throw err;
  } finally {
    await client.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Runs pending migrations (`up`) or reverts the newest (`down`); returns the names it applied or reverted. */
export async function migrate(url: string, direction: 'up' | 'down'): Promise<string[]> {
  const ds = new DataSource({ ...dataSourceOptions(url, 1), logging: ['error'] });
  await ds.initialize();
  try {
    if (direction === 'up') return (await ds.runMigrations({ transaction: 'each' })).map((m) => m.name);
    const before = await ds.query<{ name: string }[]>(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`).catch(() => []);
    await ds.undoLastMigration({ transaction: 'each' });
    return before.map((r) => r.name);
  } finally {
    await ds.destroy();
  }
}
