import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';

const root = join(__dirname, '..', '..');

export function temporalCliPath(): string {
  return execFileSync(join(root, 'scripts', 'ensure-temporal.sh'), { stdio: ['ignore', 'pipe', 'inherit'] })
    .toString()
    .trim();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function waitForTemporal(address: string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`Temporal at ${address} did not answer within ${deadlineMs} ms: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export interface RunningTemporal {
  address: string;
  process: ChildProcess;
}

/**
 * Dynamic config every dev server Warden starts gets (tests, bench; scripts/start.sh and
 * config/temporal/dynamicconfig.yaml repeat it). Task priority needs the new matcher: without
 * it a priorityKey 1 workflow ran after 261–287 of 300 queued at 3; with it, after 0–7 of them, and
 * with one partition (priority is ordered per partition) after 1 every time (bench/temporal-priority.ts).
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, string | number | boolean>> = {
  'frontend.enableUpdateWorkflowExecution': true,
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': true,
  'matching.useNewMatcher': true,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

/**
 * Pragmas for the dev server's SQLite file (scripts/start.sh repeats them). WAL with synchronous=NORMAL
 * commits without an fsync per write: 67 empty workflows/s against 24/s with SQLite's defaults
 * (in memory: 87/s), and a crash of the server or the machine leaves the file consistent.
 */
export const DEV_SERVER_SQLITE_PRAGMAS: readonly string[] = ['journal_mode=wal', 'synchronous=normal'];

export interface DevServerOptions {
  /** Replaces DEV_SERVER_DYNAMIC_CONFIG (spread it to add to it). */
  dynamicConfig?: Readonly<Record<string, string | number | boolean>>;
  /** A SQLite file that outlives the server; in memory by default. */
  dbFilename?: string;
  /** `PRAGMA=VALUE` statements for that file (DEV_SERVER_SQLITE_PRAGMAS is what `make start` uses). */
  sqlitePragmas?: readonly string[];
}

/** `--dynamic-config-value key=value` pairs; values are JSON, as the CLI reads them. */
export const dynamicConfigArgs = (config: Readonly<Record<string, string | number | boolean>>): string[] =>
  Object.entries(config).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]);

/** An ephemeral Temporal dev server (in-memory SQLite unless dbFilename) on free ports. */
export async function startTemporal(options: DevServerOptions = {}): Promise<RunningTemporal> {
  const cli = temporalCliPath();
  const [port, uiPort, httpPort, metricsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const child = spawn(
    cli,
    [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--http-port',
      String(httpPort),
      '--metrics-port',
      String(metricsPort),
      '--log-level',
      'error',
      ...(options.dbFilename ? ['--db-filename', options.dbFilename] : []),
      ...(options.sqlitePragmas ?? []).flatMap((p) => ['--sqlite-pragma', p]),
      ...dynamicConfigArgs(options.dynamicConfig ?? DEV_SERVER_DYNAMIC_CONFIG),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], detached: false },
  );
  const address = `127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`temporal server exited early with code ${code}`))),
  );
  try {
    await Promise.race([waitForTemporal(address, 60_000), exited]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return { address, process: child };
}

export async function stopProcess(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}
