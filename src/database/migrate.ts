import 'reflect-metadata';
import { loadDotEnv, loadEnv } from '../common/env';
import { ensureDatabase, migrate } from './database';

// `migrate.ts up` creates the database if needed and applies pending migrations; `down` reverts the newest.
async function main(): Promise<void> {
  loadDotEnv();
  const direction = process.argv[2] === 'down' ? 'down' : 'up';
  const { DATABASE_URL } = loadEnv();
  const safeUrl = DATABASE_URL.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  if (direction === 'up') {
    const { created, name } = await ensureDatabase(DATABASE_URL);
    console.log(created ? `created database ${name}` : `database ${name} exists`);
  }
  const names = await migrate(DATABASE_URL, direction);
  const verb = direction === 'up' ? 'applied' : 'reverted';
  console.log(names.length ? `${verb}: ${names.join(', ')}` : `nothing to ${direction === 'up' ? 'apply' : 'revert'}`, `(${safeUrl})`);
}

main().catch((err) => {
  console.error(`migrate failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
