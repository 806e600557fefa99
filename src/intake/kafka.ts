import {
  Kafka,
  logLevel,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
  type Producer,
} from 'kafkajs';
import type { FormatTables } from '../ingest/normalizers';
import { BatchHandler, type ConsumerProgress, type DeadLetter, type StoreMessages } from './batch-handler';
import type { KafkaIntakeConfig, MessageFormat } from './intake.schema';
import { DEAD_LETTER_HEADERS, headerText, messageIdentity, REDRIVE_OF, type BusMessage } from './message';

/** The consumer group `warden intake redrive` reads the dead-letter topic with: its lag is what waits. */
export const REDRIVE_GROUP_SUFFIX = '-redrive';

/** A kafkajs client whose log lines go to `log` (warnings and errors only). */
export function kafkaClient(brokers: readonly string[], clientId: string, log: (line: string) => void): Kafka {
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => log(`${entry.namespace}: ${entry.log.message}`),
  });
}

const headerString = (value: IHeaders[string]): string | undefined => {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
};

/**
 * Kafka intake: one consumer group every replica joins (Kafka splits the partitions among
 * them). Each batch of a partition is handed to the BatchHandler in pieces of `batch`
 * messages, and the partition's offset committed after each piece is stored (or
 * dead-lettered); a piece not stored is not committed, and comes again after a restart or
 * rebalance, answered as repeats where it was stored.
 */
export class KafkaIntake {
  private consumer?: Consumer;
  private producer?: Producer;
  private admin?: Admin;
  private abandoned = false;
  private readonly handler: BatchHandler;
  private readonly formats: ReadonlyMap<string, MessageFormat>;

  constructor(
    private readonly kafka: Kafka,
    private readonly config: KafkaIntakeConfig,
    store: StoreMessages,
    tables: FormatTables,
    counted: (stored: number, deadLettered: number) => void,
  ) {
    this.handler = new BatchHandler(store, tables, (letters) => this.deadLetter(letters), { counted });
    this.formats = new Map(config.topics.map((t) => [t.topic, t.format]));
  }

  get progress(): Readonly<ConsumerProgress> {
    return this.handler.progress;
  }

  async start(): Promise<void> {
    const sessionTimeout = this.config.session_timeout * 1000;
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.admin = this.kafka.admin();
    this.consumer = this.kafka.consumer({
      groupId: this.config.group,
      sessionTimeout,
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 10)),
      rebalanceTimeout: Math.max(sessionTimeout, 10_000),
      // A short long-poll, so a stop or a resume is not held back by an idle fetch.
      maxWaitTimeInMs: 500,
    });
    // kafkajs restarts a crashed consumer itself; the state says so meanwhile.
    const progress = this.handler.progress;
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      progress.state = 'connecting';
      progress.error = payload.error.message;
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      if (progress.state === 'connecting') [progress.state, progress.error] = ['running', undefined];
    });
    await Promise.all([this.producer.connect(), this.admin.connect(), this.consumer.connect()]);
    await this.consumer.subscribe({ topics: this.config.topics.map((t) => t.topic), fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.config.in_flight,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    this.handler.progress.state = 'running';
  }

  /** Leaves the group once the pieces in hand are stored and committed, or after `graceMs` without committing them. */
  async stop(graceMs: number): Promise<void> {
    const timer = setTimeout(() => (this.abandoned = true), graceMs);
    await this.consumer?.disconnect();
    clearTimeout(timer);
    await Promise.all([this.producer?.disconnect(), this.admin?.disconnect()]);
    this.handler.progress.state = 'stopped';
  }

  /** Messages not yet committed by the group, over every partition of its topics, and the dead letters not yet redriven. */
  async lag(): Promise<{ pending: number; deadLetters: number }> {
    const admin = this.admin!;
    const topics = this.config.topics.map((t) => t.topic);
    return {
      pending: await groupLag(admin, this.config.group, topics),
      deadLetters: await groupLag(admin, `${this.config.group}${REDRIVE_GROUP_SUFFIX}`, [this.config.dead_letter]),
    };
  }

  private async eachBatch({ batch, heartbeat, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    const log = `kafka:${batch.topic}:${batch.partition}`;
    const running = () => !this.abandoned && !isStale();
    for (let i = 0; i < batch.messages.length; i += this.config.batch) {
      const piece = batch.messages.slice(i, i + this.config.batch);
      const messages = piece.map((m) => this.message(batch.topic, log, m));
      const done = await this.handler.handle(messages, running, () => void heartbeat().catch(() => undefined));
      if (!done) return;
      const last = piece[piece.length - 1].offset;
      await this.consumer!.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      // Where the next fetch starts: without it kafkajs would fetch the piece again.
      resolveOffset(last);
    }
  }

  private message(topic: string, log: string, m: KafkaMessage): BusMessage {
    return {
      id: messageIdentity(log, BigInt(m.offset), headerString(m.headers?.[REDRIVE_OF]), m.timestamp),
      format: this.formats.get(topic),
      data: m.value ?? new Uint8Array(0),
      origin: topic,
      place: `${log}:${m.offset}`,
    };
  }

  /** To the dead-letter topic, keyed by the message's identity, acknowledged by every in-sync replica before the offset is committed. */
  private async deadLetter(letters: readonly DeadLetter[]): Promise<void> {
    await this.producer!.send({
      topic: this.config.dead_letter,
      acks: -1,
      messages: letters.map(({ message, reason }) => ({
        key: message.id,
        value: Buffer.from(message.data),
        headers: {
          [DEAD_LETTER_HEADERS.reason]: headerText(reason),
          [DEAD_LETTER_HEADERS.origin]: message.origin,
          [DEAD_LETTER_HEADERS.id]: message.id,
        },
      })),
    });
  }
}

/** What a group has yet to commit on the topics: high watermark less its offset (or the low watermark, where it has none). */
export async function groupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<number> {
  let committed: Map<string, bigint>;
  try {
    const offsets = await admin.fetchOffsets({ groupId, topics: [...topics] });
    committed = new Map(offsets.flatMap((t) => t.partitions.map((p) => [`${t.topic}:${p.partition}`, BigInt(p.offset)] as const)));
  } catch (err) {
    // A group that never committed: Kafka answers -1 offsets, some brokers GROUP_ID_NOT_FOUND.
    if ((err as { type?: string }).type !== 'GROUP_ID_NOT_FOUND') throw err;
    committed = new Map();
  }
  let lag = 0n;
  for (const topic of topics) {
    // A configured topic nobody has written to yet may not exist: nothing waits on it.
    for (const p of await admin.fetchTopicOffsets(topic).catch(() => [])) {
      const low = BigInt(p.low);
      const at = committed.get(`${topic}:${p.partition}`) ?? -1n;
      lag += BigInt(p.high) - (at < low ? low : at);
    }
  }
  return Number(lag);
}
