/**
 * The two Temporal servers Warden can run embedded, on free ports, for benchmarks:
 *   dev-sqlite       `temporal server start-dev` (Temporal CLI v1.5.1, Server 1.29.1) on a SQLite file with
 *                    Warden's pragmas, as `make start` runs it (in-memory SQLite skips the disk and would flatter it)
 *   server-postgres  Temporal Server 1.29.1 itself on PostgreSQL: built by scripts/ensure-temporal-server.sh,
 *                    configured by config/temporal/development.yaml (a template the server renders from the
 *                    TEMPORAL_SERVER_* variables set here), its two databases set up by temporal-sql-tool
 *                    from the server module's versioned schema, and the `default` namespace registered.
 * Both get the dynamic config for task priority (config/temporal/dynamicconfig.yaml and DEV_SERVER_DYNAMIC_CONFIG).
 * `stop()` stops the server and, for server-postgres, drops its databases.
 *   node -r ts-node/register bench/temporal-servers.ts server-postgres   # starts one and waits for Ctrl-C
 * Environment: TEMPORAL_SERVER_DATABASE_URL (default BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres):
 * the PostgreSQL server (and its credentials) for server-postgres.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { dropDatabase } from '../src/database/database';
import { DEV_SERVER_SQLITE_PRAGMAS, freePort, startTemporal, stopProcess, waitForTemporal } from '../test/support/temporal-server';

export type TemporalServerKind = 'dev-sqlite' | 'server-postgres';
export const TEMPORAL_SERVER_KINDS: readonly TemporalServerKind[] = ['dev-sqlite', 'server-postgres'];

export interface StartedTemporalServer {
  kind: TemporalServerKind;
  address: string;
  stop(): Promise<void>;
}

const root = join(__dirname, '..');
const SERVER_VERSION = 'v1.29.1';

export async function startTemporalServer(kind: TemporalServerKind): Promise<StartedTemporalServer> {
  if (kind === 'dev-sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'warden-bench-temporal-'));
    const dev = await startTemporal({ dbFilename: join(dir, 'temporal.db'), sqlitePragmas: DEV_SERVER_SQLITE_PRAGMAS });
    return {
      kind,
      address: dev.address,
      stop: async () => {
        await stopProcess(dev.process);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  return startPostgresServer();
}

/** Paths of temporal-server and temporal-sql-tool, built on first use (many minutes). */
export function temporalServerBinaries(): { server: string; sqlTool: string } {
  const [server, sqlTool] = execFileSync(join(root, 'scripts', 'ensure-temporal-server.sh'), { stdio: ['ignore', 'pipe', 'inherit'] })
    .toString()
    .trim()
    .split('\n');
  return { server, sqlTool };
}

/** The versioned schema in the Go module cache, or undefined to use the copy embedded in the tool. */
function versionedSchemaDir(store: 'temporal' | 'visibility'): string | undefined {
  const goBin = ['go', '/usr/local/go/bin/go'].find((g) => {
    try {
      execFileSync(g, ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!goBin) return undefined;
  const modCache = execFileSync(goBin, ['env', 'GOMODCACHE']).toString().trim();
  const dir = join(modCache, `go.temporal.io/server@${SERVER_VERSION}`, 'schema/postgresql/v12', store, 'versioned');
  return existsSync(dir) ? dir : undefined;
}

/** Creates the database and brings it to the newest schema version with temporal-sql-tool. */
export function setupTemporalSchema(sqlTool: string, pg: URL, database: string, store: 'temporal' | 'visibility'): void {
  const base = [
    '--plugin',
    'postgres12',
    '--ep',
    pg.hostname,
    '-p',
    pg.port || '5432',
    '-u',
    decodeURIComponent(pg.username || 'postgres'),
  ];
  if (pg.password) base.push('--pw', decodeURIComponent(pg.password));
  base.push('--db', database);
  const run = (args: string[]) => execFileSync(sqlTool, [...base, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const dir = versionedSchemaDir(store);
  run(['create-database']);
  run(['setup-schema', '-v', '0.0']);
  run(['update-schema', ...(dir ? ['-d', dir] : ['-s', `postgresql/v12/${store}`])]);
}

/** Registers `namespace` and waits until the frontend serves it (its namespace cache refreshes every few seconds). */
export async function registerNamespace(address: string, namespace = 'default', deadlineMs = 60_000): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    } catch (err) {
      if ((err as { code?: number }).code !== 6) throw err; // ALREADY_EXISTS
    }
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      try {
        await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`namespace ${namespace} not served within ${deadlineMs} ms`, { cause: err });
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await connection.close();
  }
}

/** A free port in 20000–32767 (not one of `taken`). */
async function freeLowPort(taken: number[]): Promise<number> {
  for (;;) {
    const port = 20000 + randomInt(12768);
    if (taken.includes(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

async function startPostgresServer(): Promise<StartedTemporalServer> {
  const { server, sqlTool } = temporalServerBinaries();
  const pg = new URL(
    process.env.TEMPORAL_SERVER_DATABASE_URL ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  const suffix = `${Date.now()}_${randomBytes(3).toString('hex')}`;
  const databases = [`temporal_${suffix}`, `temporal_${suffix}_visibility`];
  const dropAll = () => Promise.all(databases.map((d) => dropDatabase(Object.assign(new URL(pg), { pathname: `/${d}` }).toString())));
  let child: ChildProcess | undefined;
  try {
    setupTemporalSchema(sqlTool, pg, databases[0], 'temporal');
    setupTemporalSchema(sqlTool, pg, databases[1], 'visibility');
    // Membership ports are stored as smallint (cluster_membership.rpc_port): below 32768, unlike ephemeral ones.
    const names = [
      'FRONTEND',
      'FRONTEND_MEMBERSHIP',
      'FRONTEND_HTTP',
      'MATCHING',
      'MATCHING_MEMBERSHIP',
      'HISTORY',
      'HISTORY_MEMBERSHIP',
      'WORKER',
      'WORKER_MEMBERSHIP',
    ];
    const ports: number[] = [];
    for (const name of names) ports.push(name.endsWith('MEMBERSHIP') ? await freeLowPort(ports) : await freePort());
    const env: Record<string, string> = {
      ...process.env,
      TEMPORAL_SERVER_DB: databases[0],
      TEMPORAL_SERVER_VISIBILITY_DB: databases[1],
      TEMPORAL_SERVER_DB_HOST: pg.hostname,
      TEMPORAL_SERVER_DB_PORT: pg.port || '5432',
      TEMPORAL_SERVER_DB_USER: decodeURIComponent(pg.username || 'postgres'),
      TEMPORAL_SERVER_DB_PASSWORD: decodeURIComponent(pg.password),
      TEMPORAL_SERVER_DYNAMIC_CONFIG: join(root, 'config/temporal/dynamicconfig.yaml'),
      ...Object.fromEntries(names.map((n, i) => [`TEMPORAL_SERVER_${n}_PORT`, String(ports[i])])),
    } as Record<string, string>;
    child = spawn(server, ['--root', root, '--config', 'config/temporal', '--env', 'development', '--allow-no-auth', 'start'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Its log (errors only) is kept to explain an early exit.
    let log = '';
    const keep = (chunk: Buffer) => void (log = (log + chunk.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const address = `127.0.0.1:${ports[0]}`;
    const exited = new Promise<never>((_, reject) =>
      child!.once('exit', (code) => reject(new Error(`temporal-server exited early with code ${code}:\n${log}`))),
    );
    await Promise.race([waitForTemporal(address, 120_000).then(() => registerNamespace(address)), exited]);
    const started = child;
    return {
      kind: 'server-postgres',
      address,
      async stop() {
        await stopProcess(started);
        await dropAll();
      },
    };
  } catch (err) {
    if (child) await stopProcess(child, 2000);
    await dropAll();
    throw err;
  }
}

async function main(): Promise<void> {
  const kind = (process.argv[2] ?? 'server-postgres') as TemporalServerKind;
  if (!TEMPORAL_SERVER_KINDS.includes(kind)) throw new Error(`kind must be one of ${TEMPORAL_SERVER_KINDS.join(', ')}`);
  const started = Date.now();
  const temporal = await startTemporalServer(kind);
  console.log(`${kind} Temporal at ${temporal.address} (up in ${Date.now() - started} ms); Ctrl-C stops it`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await temporal.stop();
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
