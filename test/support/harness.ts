import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app';
import { Env, loadEnv } from '../../src/common/env';
import { BootedWorker, bootWorker } from '../../src/temporal/run-worker';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import type { Scope } from '../../src/auth/api-key.entity';
import { createApiKey } from '../../src/auth/api-keys.service';

/**
 * The test run's environment (set by global-setup) with per-suite overrides. The outbox
 * dispatcher is off unless a suite asks for it: suites share one database, and a
 * dispatcher would deliver other suites' rows to its own task queue.
 */
export function testEnv(overrides: Partial<Record<keyof Env, string>> = {}): Env {
  return loadEnv({ ...process.env, PORT: '0', HOST: '127.0.0.1', OUTBOX_DISPATCHER_ENABLED: 'false', ...overrides });
}

/** A task queue of its own, so suites running in parallel never take each other's tasks. */
export const uniqueTaskQueue = (name: string) => `test-${name}-${randomUUID().slice(0, 8)}`;

/** A route as the router registered it: the method, and the URL with its `:params`. */
export interface RegisteredRoute {
  method: string;
  url: string;
}

export interface RunningApi {
  app: NestFastifyApplication;
  url: string;
  /** Every route Fastify registered for the application (its onRoute hook, added by startApi), HEAD twins of GET routes included. */
  routes?: readonly RegisteredRoute[];
  close(): Promise<void>;
}

export async function startApi(env: Env): Promise<RunningApi> {
  const app = await createApp(env);
  // Nest adds its routes to Fastify when the application initialises, so the hook sees each one.
  const routes: RegisteredRoute[] = [];
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.push({ method, url: route.url });
    });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}`, routes, close: () => app.close() };
}

export interface RunningWorker extends BootedWorker {
  stop(): Promise<void>;
}

export async function startWorker(env: Env): Promise<RunningWorker> {
  const booted = await bootWorker(env);
  const running = booted.run();
  return {
    ...booted,
    async stop() {
      booted.worker.shutdown();
      await running;
    },
  };
}

/** Polls `read` until `done` holds or the deadline passes; never a fixed sleep. */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 15_000, intervalMs = 100, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}${lastError ? `; last error: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Creates a real API key in the test database. */
/**
 * Waits until the api has folded the count deltas ingest appended for these incidents
 * (correlation/delta-fold.ts), so `incidents.alert_count`, `last_seen_at` and
 * `storm_sources` read from the database are final.
 */
export async function untilFolded(
  db: { query(sql: string, params?: unknown[]): Promise<unknown> },
  incidentIds: readonly string[],
): Promise<void> {
  await pollUntil(
    () =>
      db.query(
        `SELECT (SELECT count(*) FROM incident_deltas WHERE incident_id = ANY($1::uuid[])) + (SELECT count(*) FROM storm_source_deltas WHERE incident_id = ANY($1::uuid[])) AS n`,
        [incidentIds],
      ) as Promise<{ n: string }[]>,
    (rows) => Number(rows[0].n) === 0,
    { what: `deltas of ${incidentIds.length} incident(s) folded` },
  );
}

export async function createKey(env: Env, scopes: Scope[], name = 'test'): Promise<string> {
  const ds = await new DataSource(dataSourceOptions(env.DATABASE_URL, 1)).initialize();
  try {
    return (await createApiKey(ds, name, scopes)).key;
  } finally {
    await ds.destroy();
  }
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** Sends exactly the given body and headers; the answer's JSON is parsed when it is JSON. */
export async function send(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string | Uint8Array },
): Promise<Answer> {
  const res = await fetch(url, {
    method: init.method,
    headers: init.headers,
    body: typeof init.body === 'string' || init.body === undefined ? init.body : new Uint8Array(init.body),
  });
  const text = await res.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** A small HTTP client for the api under test: objects are sent as JSON, strings as given. */
export function client(baseUrl: string, key?: string) {
  return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    send(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
}

export interface IngestApi {
  env: Env;
  api: RunningApi;
  db: DataSource;
  key: string;
  http: ReturnType<typeof client>;
  close(): Promise<void>;
}

/** An api with an `ingest` key and a database handle to check what was stored. */
export async function openIngestApi(overrides: Partial<Record<keyof Env, string>> = {}): Promise<IngestApi> {
  const env = testEnv(overrides);
  const api = await startApi(env);
  const db = await new DataSource(dataSourceOptions(env.DATABASE_URL, 2)).initialize();
  const key = await createKey(env, ['ingest']);
  return {
    env,
    api,
    db,
    key,
    http: client(api.url, key),
    async close() {
      await api.close();
      await db.destroy();
    },
  };
}
