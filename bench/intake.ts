/**
 * Bus intake benchmark: real api processes, real PostgreSQL, a real nats-server (JetStream) and
 * a Kafka-protocol broker (franz-go's kfake, in memory).
 *   npm run build && node -r ts-node/register bench/intake.ts   (or: make bench)
 * For each bus: publishes BENCH_INTAKE_ALERTS (200,000) Suricata alerts (the real captures in
 * ../shared/data/suricata, cycled with their addresses and times varied), then starts an api on
 * a scratch database with the shipped configuration and that bus, and measures how fast it stores
 * the backlog; prints the sustained rate, the lag over time and the api's resident memory. Then the
 * same alerts as HTTP batches, and a plain batched INSERT of the same rows, in the same run, and
 * each rate's ratio to it.
 */
import 'reflect-metadata';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Kafka, logLevel } from 'kafkajs';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { stringify } from 'yaml';
import { dropDatabase } from '../src/database/database';
import { groupLag } from '../src/intake/kafka';
import { startKafkaBroker } from '../test/support/kafka-broker';
import { startNatsServer } from '../test/support/nats-server';
import { plainInsertReference, poster, root, scratchDatabase, startIntakeApi, waitFor } from './support';

const ALERTS = Number(process.env.BENCH_INTAKE_ALERTS ?? 200_000);
const SAMPLE_MS = 2000;

type EveRecord = {
  src_ip: string;
  timestamp: string;
  flow_id?: number;
  alert: { signature: string; category?: string; severity?: number };
};
const captures = ['wrccdc-2018.json', 'honeypot-2018.json'].flatMap(
  (f) => JSON.parse(readFileSync(join(root, '..', 'shared', 'data', 'suricata', f), 'utf8')) as EveRecord[],
);

/** The n-th alert: a real capture's record, from one of 5,000 addresses, stamped now. */
function record(n: number): EveRecord {
  const r = captures[n % captures.length];
  const host = n % 5000;
  return { ...r, src_ip: `10.${100 + (host >> 8)}.${host & 255}.${1 + (n % 7)}`, flow_id: n, timestamp: new Date().toISOString() };
}

/** The same alert as a reference row (bench/support.ts REFERENCE_COLUMNS). */
const referenceRow = (n: number): unknown[] => {
  const r = record(n);
  return [
    'suricata',
    'suspicious_traffic',
    r.alert.severity === 1 ? 'high' : 'medium',
    r.alert.signature,
    r.src_ip,
    null,
    r.timestamp,
    JSON.stringify(r),
    createHash('sha256').update(`${r.alert.signature}${r.src_ip}`).digest('hex'),
    'new',
    'medium',
    'correlate',
    'P3',
  ];
};

const rssMb = (pid: number | undefined) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

interface Drained {
  seconds: number;
  rate: number;
  lag: string[];
  peakRssMb: number;
}

/**
 * Starts an api on the bus, samples the lag until it is 0 and every alert is stored, and stops it.
 * Timed from the api's first stored alert, so its start-up is not counted.
 */
async function drain(databaseUrl: string, configDir: string, env: Record<string, string>, lag: () => Promise<number>): Promise<Drained> {
  const port = 4100 + Math.floor(Math.random() * 100);
  const api = startIntakeApi(databaseUrl, port, { WARDEN_CONFIG_DIR: configDir, ...env });
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  const count = async () => (await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM alerts')).rows[0].n;
  try {
    await waitFor(`http://127.0.0.1:${port}/health`, 120_000);
    while ((await count()) === 0) await new Promise((r) => setTimeout(r, 20));
    const started = performance.now();
    const series: string[] = [];
    let peakRssMb = 0;
    let next = started + SAMPLE_MS;
    for (;;) {
      peakRssMb = Math.max(peakRssMb, rssMb(api.pid));
      const left = await lag();
      if (performance.now() >= next) {
        series.push(`${((performance.now() - started) / 1000).toFixed(0)}s:${left}`);
        next += SAMPLE_MS;
      }
      // Counted only once nothing is left: a count(*) of a growing table every 100 ms would load the database it measures.
      if (left === 0 && (await count()) >= ALERTS) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    return { seconds, rate: ALERTS / seconds, lag: series, peakRssMb };
  } finally {
    await pg.end();
    api.kill('SIGTERM');
    await new Promise((r) => api.once('exit', r));
  }
}

function configWith(intake: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-intake-'));
  cpSync(join(root, 'config'), dir, { recursive: true });
  writeFileSync(join(dir, 'intake.yaml'), stringify(intake));
  return dir;
}

const line = (bus: string, d: Drained) =>
  `${bus}: ${ALERTS} Suricata alerts stored from a backlog in ${d.seconds.toFixed(1)} s: ${d.rate.toFixed(0)} alerts/s sustained; ` +
  `api peak RSS ${d.peakRssMb.toFixed(0)} MB\n  lag (messages not yet acknowledged) every ${SAMPLE_MS / 1000} s: ${d.lag.join(' ')}`;

async function natsRun(): Promise<Drained> {
  const nats = await startNatsServer();
  const { url: databaseUrl } = await scratchDatabase();
  const configDir = configWith({ nats: { servers: [nats.url] } });
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'WARDEN_ALERTS', subjects: ['warden.alerts.>', 'falco.>'] });
    const js = jetstream(nc);
    const published = performance.now();
    for (let n = 0; n < ALERTS; n += 1000) {
      await Promise.all(
        Array.from({ length: Math.min(1000, ALERTS - n) }, (_, i) => js.publish('warden.alerts.suricata', JSON.stringify(record(n + i)))),
      );
    }
    console.log(`nats: published ${ALERTS} messages to JetStream in ${((performance.now() - published) / 1000).toFixed(1)} s`);
    const lag = async () => {
      try {
        const c = await jsm.consumers.info('WARDEN_ALERTS', 'warden');
        return c.num_pending + c.num_ack_pending;
      } catch {
        return ALERTS; // the api has not made its consumer yet
      }
    };
    return await drain(databaseUrl, configDir, {}, lag);
  } finally {
    await nc.close();
    await nats.stop();
    rmSync(configDir, { recursive: true, force: true });
    await dropDatabase(databaseUrl);
  }
}

async function kafkaRun(): Promise<Drained> {
  const broker = await startKafkaBroker();
  const { url: databaseUrl } = await scratchDatabase();
  const configDir = configWith({ kafka: { brokers: [broker.address] } });
  const kafka = new Kafka({ clientId: 'bench', brokers: [broker.address], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  const admin = kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);
  try {
    const published = performance.now();
    for (let n = 0; n < ALERTS; n += 1000) {
      await producer.send({
        topic: 'warden.alerts.suricata',
        messages: Array.from({ length: Math.min(1000, ALERTS - n) }, (_, i) => ({
          key: String(n + i),
          value: JSON.stringify(record(n + i)),
        })),
      });
    }
    console.log(`kafka: produced ${ALERTS} messages (3 partitions) in ${((performance.now() - published) / 1000).toFixed(1)} s`);
    const topics = [
      'warden.alerts.native',
      'warden.alerts.suricata',
      'warden.alerts.alertmanager',
      'warden.alerts.wazuh',
      'warden.alerts.falco',
      'warden.alerts.ecs',
    ];
    return await drain(databaseUrl, configDir, {}, () => groupLag(admin, 'warden', topics));
  } finally {
    await Promise.all([producer.disconnect(), admin.disconnect()]);
    await broker.stop();
    rmSync(configDir, { recursive: true, force: true });
    await dropDatabase(databaseUrl);
  }
}

/**
 * The same alerts over HTTP, for comparison: POST /v1/alerts/suricata in batches of 500 (4 clients,
 * as bench/ingest.ts's batch phase), on a scratch database of its own with the shipped configuration.
 */
async function httpRun(): Promise<number> {
  const { url: databaseUrl, key } = await scratchDatabase();
  const port = 4300 + Math.floor(Math.random() * 100);
  const api = startIntakeApi(databaseUrl, port);
  try {
    await waitFor(`http://127.0.0.1:${port}/health`, 120_000);
    const post = poster(`http://127.0.0.1:${port}`, key, 8);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < ALERTS) {
          const from = next;
          next += 500;
          const body = JSON.stringify(Array.from({ length: Math.min(500, ALERTS - from) }, (_, i) => record(from + i)));
          const { status } = await post('/v1/alerts/suricata', body);
          if (status !== 202) throw new Error(`POST /v1/alerts/suricata answered ${status}`);
        }
      }),
    );
    return ALERTS / ((performance.now() - started) / 1000);
  } finally {
    api.kill('SIGTERM');
    await new Promise((r) => api.once('exit', r));
    await dropDatabase(databaseUrl);
  }
}

async function main(): Promise<void> {
  console.log(`warden intake bench: ${ALERTS} Suricata alerts per bus, shipped configuration (storms forming), one api`);
  const nats = await natsRun();
  console.log(line('nats', nats));
  const kafka = await kafkaRun();
  console.log(line('kafka', kafka));
  const http = await httpRun();
  console.log(`http: the same ${ALERTS} alerts as POST /v1/alerts/suricata batches of 500, 4 clients: ${http.toFixed(0)} alerts/s`);
  const { url } = await scratchDatabase();
  try {
    const reference = await plainInsertReference(url, 100_000, 500, referenceRow);
    console.log(`reference: plain batched INSERT of the same rows (500 rows/statement, 1 connection): ${reference.toFixed(0)} rows/s`);
    console.log(
      `ratio: nats / plain INSERT = ${(nats.rate / reference).toFixed(3)}; kafka / plain INSERT = ${(kafka.rate / reference).toFixed(3)}; ` +
        `http batches / plain INSERT = ${(http / reference).toFixed(3)}`,
    );
  } finally {
    await dropDatabase(url);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
