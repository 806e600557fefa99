import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { stringify } from 'yaml';
import { intakeFileSchema } from '../../src/intake/intake.schema';
import { groupLag } from '../../src/intake/kafka';
import { intakeStatus, redriveIntake } from '../../src/intake/operator';
import { pollUntil, startApi, testEnv } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { startKafkaBroker, type KafkaBroker } from '../support/kafka-broker';
import { kill, launch, type Launched } from '../support/processes';
import { freePort } from '../support/temporal-server';

/**
 * Alerts from Kafka, against a Kafka-protocol broker of each test's own (franz-go's kfake):
 * at least once on the wire, exactly once stored. Each test counts only its own alerts.
 */
describe('Kafka intake', () => {
  const env = testEnv();
  let broker: KafkaBroker;
  let kafka: Kafka;
  let producer: Producer;
  let admin: Admin;
  let db: Client;
  let configDir: string;
  let prefix: string;

  /** The run's config; a crashed replica's partitions go to the next one after 6 s (the broker's least). */
  const writeConfig = (kafka: Record<string, unknown>) =>
    writeFileSync(join(configDir, 'intake.yaml'), stringify({ kafka: { session_timeout: '6s', ...kafka } }));

  beforeEach(async () => {
    broker = await startKafkaBroker();
    kafka = new Kafka({ clientId: 'e2e', brokers: [broker.address], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    admin = kafka.admin();
    await Promise.all([producer.connect(), admin.connect()]);
    db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    configDir = mkdtempSync(join(tmpdir(), 'warden-intake-kafka-'));
    cpSync(env.WARDEN_CONFIG_DIR, configDir, { recursive: true });
    writeConfig({});
    prefix = `kafka-${randomUUID().slice(0, 8)}`;
  });

  afterEach(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.stop();
    await db?.end();
    rmSync(configDir, { recursive: true, force: true });
  });

  const alert = (n: number) => ({ source: 'kafka-e2e', type: 'port_scan', severity: 'low', title: `${prefix}-${n}`, sourceIp: uniqueIp() });

  const produce = async (bodies: (string | object)[], topic = 'warden.alerts.native') => {
    for (let i = 0; i < bodies.length; i += 500) {
      await producer.send({
        topic,
        messages: bodies.slice(i, i + 500).map((b, j) => ({ key: String(i + j), value: typeof b === 'string' ? b : JSON.stringify(b) })),
      });
    }
  };

  const stored = async () => {
    const { rows } = await db.query<{ total: number; distinct: number }>(
      `SELECT count(*)::int AS total, count(DISTINCT title)::int AS distinct FROM alerts WHERE title LIKE $1`,
      [`${prefix}-%`],
    );
    return rows[0];
  };

  /** What the group has yet to commit on the native topic. */
  const lag = () => groupLag(admin, 'warden', ['warden.alerts.native']);

  it('stores 5,000 messages exactly once when the api is killed with kill -9 mid-stream and restarted', async () => {
    writeConfig({ batch: 20, in_flight: 1 });
    await produce(Array.from({ length: 5000 }, (_, n) => alert(n)));
    const processEnv = {
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      OUTBOX_DISPATCHER_ENABLED: 'false',
      KAFKA_BROKERS: broker.address,
      WARDEN_CONFIG_DIR: configDir,
    };
    const apis: Launched[] = [launch('main.ts', processEnv)];
    try {
      await pollUntil(stored, (s) => s.total >= 500, { timeoutMs: 60_000, what: '500 alerts stored' });
      kill(apis[0]);
      await new Promise((r) => apis[0].child.once('exit', r));
      expect((await stored()).total).toBeLessThan(5000);

      apis.push(launch('main.ts', processEnv));
      await pollUntil(
        async () => ({ ...(await stored()), lag: await lag() }),
        (s) => s.total >= 5000 && s.lag === 0,
        { timeoutMs: 120_000, intervalMs: 500, what: 'every message stored and committed' },
      );
      expect(await stored()).toEqual({ total: 5000, distinct: 5000 });
    } finally {
      kill(...apis);
    }
  }, 240_000);

  it('sends a poison message to the dead-letter topic with its reason, and stores the messages behind it', async () => {
    const malformed = '{"source": "kafka-e2e", "title": ';
    const refused = { ...alert(1), severity: 'extreme' };
    // One key: one partition, in this order.
    await producer.send({
      topic: 'warden.alerts.native',
      messages: [alert(0), malformed, refused, alert(2)].map((b) => ({ key: 'one', value: typeof b === 'string' ? b : JSON.stringify(b) })),
    });
    const api = await startApi(testEnv({ KAFKA_BROKERS: broker.address, WARDEN_CONFIG_DIR: configDir }));
    try {
      await pollUntil(
        async () => ({ ...(await stored()), lag: await lag() }),
        (s) => s.total >= 2 && s.lag === 0,
        { timeoutMs: 60_000, what: 'the two good messages stored and all four committed' },
      );
      expect(await stored()).toEqual({ total: 2, distinct: 2 });

      const letters: { value: string; reason: string; origin: string }[] = [];
      const reader = kafka.consumer({ groupId: `e2e-${prefix}`, sessionTimeout: 6000, maxWaitTimeInMs: 200 });
      await reader.connect();
      await reader.subscribe({ topic: 'warden.dead', fromBeginning: true });
      await reader.run({
        eachMessage: async ({ message }) =>
          void letters.push({
            value: message.value!.toString(),
            reason: message.headers!['Warden-Reason']!.toString(),
            origin: message.headers!['Warden-Origin']!.toString(),
          }),
      });
      try {
        await pollUntil(
          async () => letters.length,
          (n) => n >= 2,
          { timeoutMs: 30_000, what: 'two dead letters read back' },
        );
      } finally {
        await reader.disconnect();
      }
      // Dead letters are keyed by the message's identity, so they spread over the topic's partitions: read back in any order.
      expect(Object.fromEntries(letters.map(({ value, ...l }) => [value, l]))).toEqual({
        [malformed]: { reason: expect.stringMatching(/^malformed JSON: /), origin: 'warden.alerts.native' },
        [JSON.stringify(refused)]: {
          reason: '1 of 1 alerts refused: /severity must be one of low, medium, high, critical',
          origin: 'warden.alerts.native',
        },
      });
      const health = (await (await fetch(`${api.url}/health`)).json()) as { intake: unknown[] };
      expect(health.intake).toEqual([
        { bus: 'kafka', name: 'warden', state: 'running', stored: 2, deadLettered: 2, lag: 0, deadLetters: 2 },
      ]);

      // Redriven, both fail again (nothing was fixed) and wait once more; nothing is stored twice.
      const config = intakeFileSchema.parse({});
      const at = { nats: [], kafka: [broker.address] };
      expect(await redriveIntake(config, at)).toEqual({ kafka: 2 });
      await pollUntil(
        () => intakeStatus(config, at),
        (r) => 'deadLetters' in r[0] && r[0].deadLetters === 2 && 'lag' in r[0] && r[0].lag === 0,
        { timeoutMs: 30_000, what: 'the two redriven letters dead-lettered again' },
      );
      expect(await intakeStatus(config, at)).toEqual([{ bus: 'kafka', name: 'warden', members: 1, lag: 0, deadLetters: 2 }]);
      expect(await stored()).toEqual({ total: 2, distinct: 2 });
    } finally {
      await api.close();
    }
  }, 120_000);
});
