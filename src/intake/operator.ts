import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import type { Admin, Kafka } from 'kafkajs';
import type { IntakeConfig } from './intake.schema';
import { connectNats } from './jetstream';
import { groupLag, kafkaClient, REDRIVE_GROUP_SUFFIX } from './kafka';
import { DEAD_LETTER_HEADERS, REDRIVE_OF } from './message';

/** What `warden intake status` prints for a bus, read from the bus itself (every replica's view at once). */
export type BusReport =
  | { bus: 'nats'; name: string; pending: number; inHand: number; pulling: number; deadLetters: number }
  | { bus: 'kafka'; name: string; members: number; lag: number; deadLetters: number }
  | { bus: 'nats' | 'kafka'; name: string; error: string };

/** Where each configured bus is: its addresses, from the environment or config/intake.yaml (none: off). */
export interface BusAddresses {
  nats: readonly string[];
  kafka: readonly string[];
}

const silent = () => undefined;

async function withKafka<T>(brokers: readonly string[], config: IntakeConfig['kafka'], work: (kafka: Kafka, admin: Admin) => Promise<T>) {
  const kafka = kafkaClient(brokers, `${config.client_id}-cli`, silent);
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(kafka, admin);
  } finally {
    await admin.disconnect();
  }
}

export async function intakeStatus(config: IntakeConfig, at: BusAddresses): Promise<BusReport[]> {
  const reports: BusReport[] = [];
  if (at.nats.length > 0) {
    const name = `${config.nats.stream}/${config.nats.consumer}`;
    try {
      const nc = await connectNats(at.nats, 'warden-cli');
      try {
        const jsm = await jetstreamManager(nc);
        const [c, dead] = await Promise.all([
          jsm.consumers.info(config.nats.stream, config.nats.consumer),
          jsm.streams.info(config.nats.dead_letter_stream),
        ]);
        reports.push({
          bus: 'nats',
          name,
          pending: c.num_pending,
          inHand: c.num_ack_pending,
          pulling: c.num_waiting,
          deadLetters: dead.state.messages,
        });
      } finally {
        await nc.close();
      }
    } catch (err) {
      reports.push({ bus: 'nats', name, error: (err as Error).message });
    }
  }
  if (at.kafka.length > 0) {
    const { kafka } = config;
    try {
      reports.push(
        await withKafka(at.kafka, kafka, async (_client, admin) => {
          const topics = kafka.topics.map((t) => t.topic);
          const { groups } = await admin.describeGroups([kafka.group]);
          return {
            bus: 'kafka' as const,
            name: kafka.group,
            members: groups[0]?.members.length ?? 0,
            lag: await groupLag(admin, kafka.group, topics),
            deadLetters: await groupLag(admin, `${kafka.group}${REDRIVE_GROUP_SUFFIX}`, [kafka.dead_letter]),
          };
        }),
      );
    } catch (err) {
      reports.push({ bus: 'kafka', name: kafka.group, error: (err as Error).message });
    }
  }
  return reports;
}

/**
 * Puts each waiting dead letter back where it came from, carrying its identity (REDRIVE_OF),
 * so the alerts it stored the first time are answered as repeats; then removes it from the
 * dead letters. A letter that fails again comes back as a new dead letter, with its reason.
 * Returns how many were redriven per bus.
 */
export async function redriveIntake(
  config: IntakeConfig,
  at: BusAddresses,
  only?: 'nats' | 'kafka',
): Promise<{ nats?: number; kafka?: number }> {
  const done: { nats?: number; kafka?: number } = {};
  if (at.nats.length > 0 && only !== 'kafka') done.nats = await redriveNats(config.nats, at.nats);
  if (at.kafka.length > 0 && only !== 'nats') done.kafka = await redriveKafka(config.kafka, at.kafka);
  return done;
}

async function redriveNats(config: IntakeConfig['nats'], servers: readonly string[]): Promise<number> {
  const nc = await connectNats(servers, 'warden-cli');
  try {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const { state } = await jsm.streams.info(config.dead_letter_stream);
    let redriven = 0;
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const letter = await jsm.streams.getMessage(config.dead_letter_stream, { seq });
      if (!letter) continue; // removed already
      const origin = letter.header.get(DEAD_LETTER_HEADERS.origin);
      const h = headers();
      h.set(REDRIVE_OF, letter.header.get(DEAD_LETTER_HEADERS.id));
      await js.publish(origin, letter.data, { headers: h });
      await jsm.streams.deleteMessage(config.dead_letter_stream, seq, false);
      redriven++;
    }
    return redriven;
  } finally {
    await nc.close();
  }
}

/** Reads the dead-letter topic with the redrive group up to its end as it was when asked, producing each letter back to its partition. */
async function redriveKafka(config: IntakeConfig['kafka'], brokers: readonly string[]): Promise<number> {
  return withKafka(brokers, config, async (kafka, admin) => {
    const groupId = `${config.group}${REDRIVE_GROUP_SUFFIX}`;
    const waiting = await groupLag(admin, groupId, [config.dead_letter]);
    if (waiting === 0) return 0;
    // Only the letters there now: one that fails again is a new letter, for the next redrive.
    const ends = new Map((await admin.fetchTopicOffsets(config.dead_letter)).map((p) => [p.partition, BigInt(p.high)]));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, maxWaitTimeInMs: 200 });
    await Promise.all([producer.connect(), consumer.connect()]);
    let redriven = 0;
    try {
      await consumer.subscribe({ topic: config.dead_letter, fromBeginning: true });
      let failed: Error | undefined;
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message, pause }) => {
          if (BigInt(message.offset) >= (ends.get(partition) ?? 0n)) {
            pause();
            return;
          }
          try {
            const id = message.headers?.[DEAD_LETTER_HEADERS.id]?.toString() ?? '';
            const origin = message.headers?.[DEAD_LETTER_HEADERS.origin]?.toString() ?? '';
            // kafka:<topic>:<partition>:<offset>@<timestamp>: back to the same partition, where its identity is honoured.
            const originalPartition = Number(/^kafka:.+:(\d+):\d+(@\d+)?$/.exec(id)?.[1] ?? NaN);
            await producer.send({
              topic: origin,
              acks: -1,
              messages: [
                {
                  key: message.key,
                  value: message.value,
                  headers: { [REDRIVE_OF]: id },
                  ...(Number.isInteger(originalPartition) ? { partition: originalPartition } : {}),
                },
              ],
            });
            await consumer.commitOffsets([{ topic: config.dead_letter, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
            redriven++;
          } catch (err) {
            failed = err as Error;
            throw err;
          }
        },
      });
      const deadline = Date.now() + 60_000;
      while (redriven < waiting && !failed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (failed) throw failed;
      if (redriven < waiting) throw new Error(`redrove ${redriven} of ${waiting} dead letters within 60 s`);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
    return redriven;
  });
}
