import { ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { ensureDatabase, migrate } from '../src/database/database';
import { createApiKey } from '../src/auth/api-keys.service';

export const root = join(__dirname, '..');

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summarize(latenciesMs: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
}

/** Keep-alive HTTP POST returning status and elapsed ms; cheaper on the client side than fetch. */
export function poster(baseUrl: string, key: string, connections: number) {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  return (path: string, body: string, contentType = 'application/json') =>
    new Promise<{ status: number; ms: number; body: string }>((resolve, reject) => {
      const started = performance.now();
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path,
          method: 'POST',
          agent,
          headers: { authorization: `Bearer ${key}`, 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

/** BENCH_CPU_PROF_DIR: each api and worker writes a V8 CPU profile there when it exits (open in Chrome DevTools). */
export function startNode(script: string, env: Record<string, string>): ChildProcess {
  const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
  return spawn(process.execPath, [...profile, join(root, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** An api process that only takes alerts in: no Temporal, and the outbox dispatcher off (delivery is asynchronous to intake). */
export const startIntakeApi = (databaseUrl: string, port: number, env: Record<string, string> = {}): ChildProcess =>
  startNode('dist/src/main.js', {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '20',
    LOG_LEVEL: 'warn',
    OUTBOX_DISPATCHER_ENABLED: 'false',
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    ...env,
  });

export async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetch(url); // any answer, 503 included, means it is listening
      return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** A migrated database of the bench's own (on BENCH_DATABASE_URL's server) and an `ingest` key for it. */
export async function scratchDatabase(): Promise<{ url: string; key: string }> {
  const base = new URL(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  base.pathname = `/warden_bench_${Date.now()}`;
  const url = base.toString();
  await ensureDatabase(url);
  await migrate(url, 'up');
  const ds = await new DataSource(dataSourceOptions(url, 1)).initialize();
  const { key } = await createApiKey(ds, 'bench', ['ingest']);
  await ds.destroy();
  return { url, key };
}

/** The columns of the plain-INSERT reference, in the order a reference row gives them. */
export const REFERENCE_COLUMNS = [
  'source',
  'type',
  'severity',
  'title',
  'source_ip',
  'destination_ip',
  'occurred_at',
  'raw',
  'fingerprint',
  'status',
  'rule',
  'action',
  'priority',
] as const;

/**
 * The physical reference a bench's ingest rate is set against: the same rows as a plain batched
 * INSERT (`batch` rows per statement, one connection) into a copy of the alerts table without its
 * indexes, triggers or correlation. Rows per second.
 */
export async function plainInsertReference(url: string, rows: number, batch: number, row: (i: number) => unknown[]): Promise<number> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  await pg.query('DROP TABLE IF EXISTS alerts_reference');
  await pg.query('CREATE TABLE alerts_reference (LIKE alerts INCLUDING DEFAULTS)');
  const started = performance.now();
  for (let done = 0; done < rows; done += batch) {
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (let i = 0; i < batch; i++) {
      const r = row(done + i);
      tuples.push(`(${r.map((_, j) => `$${values.length + j + 1}`).join(',')})`);
      values.push(...r);
    }
    await pg.query(`INSERT INTO alerts_reference (${REFERENCE_COLUMNS.join(',')}) VALUES ${tuples.join(',')}`, values);
  }
  const rate = rows / ((performance.now() - started) / 1000);
  await pg.query('DROP TABLE alerts_reference');
  await pg.end();
  return rate;
}
