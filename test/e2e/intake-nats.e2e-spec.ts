import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { stringify } from 'yaml';
import { intakeFileSchema } from '../../src/intake/intake.schema';
import { intakeStatus, redriveIntake } from '../../src/intake/operator';
import { pollUntil, startApi, testEnv, type RunningApi } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { startNatsServer, type NatsServer } from '../support/nats-server';
import { kill, launch, type Launched } from '../support/processes';
import { TcpProxy } from '../support/tcp-proxy';
import { freePort } from '../support/temporal-server';

/**
 * Alerts from NATS JetStream, against a real nats-server of each test's own: at least once
 * on the wire, exactly once stored. Each test counts only its own alerts (a title prefix).
 */
describe('NATS JetStream intake', () => {
  const env = testEnv();
  let nats: NatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let db: Client;
  let configDir: string;
  let prefix: string;

  /** The run's config, with intake batches small and redelivery quick so a test sees both. */
  const writeConfig = (nats: Record<string, unknown>) =>
    writeFileSync(join(configDir, 'intake.yaml'), stringify({ nats: { ack_wait: '2s', ...nats } }));

  beforeEach(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    configDir = mkdtempSync(join(tmpdir(), 'warden-intake-nats-'));
    cpSync(env.WARDEN_CONFIG_DIR, configDir, { recursive: true });
    writeConfig({});
    prefix = `nats-${randomUUID().slice(0, 8)}`;
  });

  afterEach(async () => {
    await nc?.close();
    await nats?.stop();
    await db?.end();
    rmSync(configDir, { recursive: true, force: true });
  });

  const alert = (n: number) => ({ source: 'nats-e2e', type: 'port_scan', severity: 'low', title: `${prefix}-${n}`, sourceIp: uniqueIp() });

  const publish = async (bodies: (string | object)[], subject = 'warden.alerts.native') => {
    for (let i = 0; i < bodies.length; i += 500) {
      await Promise.all(bodies.slice(i, i + 500).map((b) => js.publish(subject, typeof b === 'string' ? b : JSON.stringify(b))));
    }
  };

  /** This test's alerts: how many rows, and how many distinct titles. */
  const stored = async () => {
    const { rows } = await db.query<{ total: number; distinct: number }>(
      `SELECT count(*)::int AS total, count(DISTINCT title)::int AS distinct FROM alerts WHERE title LIKE $1`,
      [`${prefix}-%`],
    );
    return rows[0];
  };

  const consumer = () => jsm.consumers.info('WARDEN_ALERTS', 'warden');
  /** The intake stream exists once an api has set it up; publishing before would go nowhere. */
  const untilConsumer = () => pollUntil(consumer, (c) => c.num_waiting > 0, { timeoutMs: 60_000, what: 'the intake consumer pulling' });

  /** Every one of `total` messages stored and acknowledged. */
  const untilDrained = (total: number, what: string, timeoutMs = 60_000) =>
    pollUntil(
      async () => ({ ...(await stored()), ...(await consumer()) }),
      (s) => s.total >= total && s.num_pending === 0 && s.num_ack_pending === 0,
      { timeoutMs, intervalMs: 250, what },
    );

  const startReplica = async (extra: Record<string, string> = {}) =>
    startApi(testEnv({ NATS_URL: nats.url, WARDEN_CONFIG_DIR: configDir, ...extra }));

  it('stores 5,000 messages exactly once when the api is killed with kill -9 mid-stream and restarted', async () => {
    // Small batches, one at a time: the stream takes seconds to drain, so the kill lands inside it.
    writeConfig({ batch: 20, in_flight: 1 });
    const processEnv = {
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      OUTBOX_DISPATCHER_ENABLED: 'false',
      NATS_URL: nats.url,
      WARDEN_CONFIG_DIR: configDir,
    };
    const apis: Launched[] = [launch('main.ts', processEnv)];
    try {
      await untilConsumer();
      await publish(Array.from({ length: 5000 }, (_, n) => alert(n)));
      await pollUntil(stored, (s) => s.total >= 500, { timeoutMs: 60_000, what: '500 alerts stored' });
      kill(apis[0]);
      await new Promise((r) => apis[0].child.once('exit', r));
      const atKill = await stored();
      expect(atKill.total).toBeLessThan(5000);

      apis.push(launch('main.ts', processEnv));
      await untilDrained(5000, 'every message stored and acknowledged', 120_000);
      expect(await stored()).toEqual({ total: 5000, distinct: 5000 });
    } finally {
      kill(...apis);
    }
  }, 240_000);

  it('on SIGTERM stops pulling, stores and acknowledges the batches in hand, and exits 0', async () => {
    writeConfig({ batch: 20, in_flight: 2 });
    const api = launch('main.ts', {
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      OUTBOX_DISPATCHER_ENABLED: 'false',
      NATS_URL: nats.url,
      WARDEN_CONFIG_DIR: configDir,
    });
    try {
      await untilConsumer();
      await publish(Array.from({ length: 3000 }, (_, n) => alert(n)));
      await pollUntil(stored, (s) => s.total >= 300, { timeoutMs: 60_000, what: '300 alerts stored' });
      const exited = new Promise<number | null>((r) => api.child.once('exit', (code) => r(code)));
      api.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const c = await consumer();
      const { total } = await stored();
      // Nothing left in hand unacknowledged; what was acknowledged is what was stored, and the rest still waits.
      expect({ inHand: c.num_ack_pending, acknowledged: c.ack_floor.stream_seq, waiting: c.num_pending }).toEqual({
        inHand: 0,
        acknowledged: total,
        waiting: 3000 - total,
      });
    } finally {
      kill(api);
    }
  }, 120_000);

  it('sends a poison message to the dead-letter subject with its reason, and stores the messages behind it', async () => {
    const api = await startReplica();
    try {
      await untilConsumer();
      const malformed = '{"source": "nats-e2e", "title": ';
      const refused = { ...alert(1), severity: 'extreme' };
      await publish([alert(0), malformed, refused, alert(2)]);

      await pollUntil(stored, (s) => s.total >= 2, { what: 'the two good messages stored' });
      const dead = await pollUntil(
        () => jsm.streams.info('WARDEN_DEAD_LETTERS'),
        (s) => s.state.messages >= 2,
        { what: 'two dead letters' },
      );
      expect(dead.state.messages).toBe(2);
      const letters = await Promise.all([1, 2].map(async (seq) => (await jsm.streams.getMessage('WARDEN_DEAD_LETTERS', { seq }))!));
      expect(letters.map((l) => l.subject)).toEqual(['warden.dead.warden.alerts.native', 'warden.dead.warden.alerts.native']);
      expect(letters.map((l) => l.string())).toEqual([malformed, JSON.stringify(refused)]);
      expect(letters[0].header.get('Warden-Reason')).toMatch(/^malformed JSON: /);
      expect(letters[1].header.get('Warden-Reason')).toBe('1 of 1 alerts refused: /severity must be one of low, medium, high, critical');
      expect(letters.map((l) => l.header.get('Warden-Origin'))).toEqual(['warden.alerts.native', 'warden.alerts.native']);
      expect(await stored()).toEqual({ total: 2, distinct: 2 });
      await pollUntil(consumer, (c) => c.num_ack_pending === 0 && c.num_pending === 0, { what: 'all four acknowledged' });
      const metrics = await (await fetch(`${api.url}/metrics`)).text();
      expect(new Set(metrics.split('\n').filter((l) => l.startsWith('warden_intake_messages_total{')))).toEqual(
        new Set([
          'warden_intake_messages_total{bus="nats",outcome="stored"} 2',
          'warden_intake_messages_total{bus="nats",outcome="dead_lettered"} 2',
        ]),
      );
    } finally {
      await api.close();
    }
  });

  it('redrives a dead letter with its identity: its stored alert is a repeat, its refused one a dead letter again', async () => {
    const api = await startReplica();
    try {
      await untilConsumer();
      const partly = [alert(0), { ...alert(1), severity: 'extreme' }];
      await publish([partly]);
      await pollUntil(
        () => jsm.streams.info('WARDEN_DEAD_LETTERS'),
        (s) => s.state.messages === 1,
        { what: 'the dead letter' },
      );
      const first = (await jsm.streams.getMessage('WARDEN_DEAD_LETTERS', { seq: 1 }))!;
      const config = intakeFileSchema.parse({});
      const at = { nats: [nats.url], kafka: [] };
      expect(await intakeStatus(config, at)).toEqual([
        { bus: 'nats', name: 'WARDEN_ALERTS/warden', pending: 0, inHand: 0, pulling: expect.any(Number), deadLetters: 1 },
      ]);

      expect(await redriveIntake(config, at)).toEqual({ nats: 1 });
      // The redriven message comes back as a new dead letter (its second alert is still refused) with the same identity.
      await pollUntil(
        () => jsm.streams.info('WARDEN_DEAD_LETTERS'),
        (s) => s.state.last_seq === 2 && s.state.messages === 1,
        {
          what: 'the redriven message dead-lettered again',
        },
      );
      const again = (await jsm.streams.getMessage('WARDEN_DEAD_LETTERS', { seq: 2 }))!;
      expect(again.header.get('Warden-Message')).toBe(first.header.get('Warden-Message'));
      expect(again.string()).toBe(JSON.stringify(partly));
      await pollUntil(consumer, (c) => c.num_ack_pending === 0 && c.num_pending === 0, { what: 'the redriven message acknowledged' });
      expect(await stored()).toEqual({ total: 1, distinct: 1 });
    } finally {
      await api.close();
    }
  });

  it('acknowledges nothing and loses nothing during a 10 s PostgreSQL outage, and resumes by itself', async () => {
    const database = new URL(env.DATABASE_URL);
    const proxy = new TcpProxy(database.hostname, Number(database.port || 5432));
    await proxy.start();
    const viaProxy = new URL(env.DATABASE_URL);
    viaProxy.port = String(proxy.port);
    const api = await startReplica({ DATABASE_URL: viaProxy.toString() });
    try {
      await untilConsumer();
      await proxy.stop();
      await publish(Array.from({ length: 200 }, (_, n) => alert(n)));
      // The whole outage: nothing acknowledged, every message still held by the stream.
      const outageEnds = Date.now() + 10_000;
      let paused = false;
      while (Date.now() < outageEnds) {
        const c = await consumer();
        expect({ acknowledged: c.ack_floor.stream_seq, held: c.num_pending + c.num_ack_pending }).toEqual({ acknowledged: 0, held: 200 });
        const health = (await (await fetch(`${api.url}/health`)).json()) as { intake: { state: string }[] };
        paused ||= health.intake[0].state === 'paused';
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(paused).toBe(true);
      expect(await stored()).toEqual({ total: 0, distinct: 0 });

      await proxy.start();
      await untilDrained(200, 'the backlog stored and acknowledged after the outage');
      expect(await stored()).toEqual({ total: 200, distinct: 200 });
    } finally {
      await api.close();
      await proxy.stop();
    }
  }, 120_000);

  it('shares one durable consumer between two replicas without duplicates', async () => {
    writeConfig({ batch: 50, in_flight: 2 });
    const replicas: RunningApi[] = [await startReplica(), await startReplica()];
    try {
      // Both replicas' pull requests are waiting (2 each) before anything is published.
      await pollUntil(consumer, (c) => c.num_waiting >= 4, { timeoutMs: 30_000, what: 'both replicas pulling' });
      await publish(Array.from({ length: 2000 }, (_, n) => alert(n)));
      await untilDrained(2000, 'all 2,000 stored and acknowledged');
      expect(await stored()).toEqual({ total: 2000, distinct: 2000 });
      const each = await Promise.all(
        replicas.map(async (r) => ((await (await fetch(`${r.url}/health`)).json()) as { intake: { stored: number }[] }).intake[0].stored),
      );
      expect(each.every((n) => n > 0)).toBe(true);
    } finally {
      for (const r of replicas) await r.close();
    }
  }, 120_000);
});
