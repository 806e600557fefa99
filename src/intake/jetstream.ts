import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type Consumer, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { headers, nanos, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { FormatTables } from '../ingest/normalizers';
import { BatchHandler, type ConsumerProgress, type DeadLetter, type StoreMessages } from './batch-handler';
import type { NatsIntakeConfig } from './intake.schema';
import { DEAD_LETTER_HEADERS, headerText, messageIdentity, REDRIVE_OF, subjectFormat, type BusMessage } from './message';

/** Connects with reconnection forever: a NATS restart pauses intake, never ends it. */
export const connectNats = (servers: readonly string[], name: string): Promise<NatsConnection> =>
  connect({ servers: [...servers], name, maxReconnectAttempts: -1, reconnectTimeWait: 1000 });

/**
 * The intake stream (created with the configured subjects when missing; an existing one is
 * used as it is), the dead-letter stream, and the durable pull consumer the replicas share.
 * Returns the intake stream's creation time, part of each message's identity: a stream
 * deleted and created again numbers its messages from 1 again.
 */
export async function ensureJetStream(nc: NatsConnection, config: NatsIntakeConfig): Promise<{ created: string }> {
  const jsm = await jetstreamManager(nc);
  const ensureStream = async (name: string, subjects: string[]) => {
    try {
      return await jsm.streams.info(name);
    } catch {
      return jsm.streams.add({ name, subjects });
    }
  };
  const stream = await ensureStream(config.stream, Object.keys(config.subjects));
  await ensureStream(config.dead_letter_stream, [`${config.dead_letter}.>`]);
  const consumer = {
    durable_name: config.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(config.ack_wait * 1000),
    max_ack_pending: config.batch * config.in_flight * 4,
    // No filter (filter_subjects needs NATS 2.10; Debian ships 2.9): the consumer takes the
    // whole stream, and a message on a subject no pattern maps is dead-lettered.
  };
  try {
    await jsm.consumers.add(config.stream, consumer);
  } catch {
    await jsm.consumers.update(config.stream, config.consumer, consumer);
  }
  return { created: stream.created };
}

/**
 * JetStream intake: `in_flight` loops pull batches from the durable consumer, hand each to
 * the BatchHandler, and acknowledge its messages once it has stored (or dead-lettered) them.
 * Replicas pulling from one durable consumer share its messages.
 */
export class JetStreamIntake {
  private js!: JetStreamClient;
  private consumer!: Consumer;
  private log = '';
  private stopping = false;
  /** Set when a graceful stop ran out of time: the batch in hand is left for redelivery. */
  private abandoned = false;
  private loops: Promise<void>[] = [];
  private readonly handler: BatchHandler;

  constructor(
    private readonly nc: NatsConnection,
    private readonly config: NatsIntakeConfig,
    store: StoreMessages,
    tables: FormatTables,
    counted: (stored: number, deadLettered: number) => void,
    private readonly onError: (err: Error) => void,
  ) {
    this.handler = new BatchHandler(store, tables, (letters) => this.deadLetter(letters), { counted });
  }

  get progress(): Readonly<ConsumerProgress> {
    return this.handler.progress;
  }

  async start(): Promise<void> {
    const { created } = await ensureJetStream(this.nc, this.config);
    this.log = `nats:${this.config.stream}:${created}`;
    this.js = jetstream(this.nc);
    this.consumer = await this.js.consumers.get(this.config.stream, this.config.consumer);
    this.handler.progress.state = 'running';
    this.loops = Array.from({ length: this.config.in_flight }, () => this.loop());
  }

  /** Messages not yet acknowledged (not yet delivered, or delivered and in hand), and the dead letters waiting. */
  async lag(): Promise<{ pending: number; deadLetters: number }> {
    const jsm = await jetstreamManager(this.nc);
    const [consumer, dead] = await Promise.all([
      jsm.consumers.info(this.config.stream, this.config.consumer),
      jsm.streams.info(this.config.dead_letter_stream),
    ]);
    return { pending: consumer.num_pending + consumer.num_ack_pending, deadLetters: dead.state.messages };
  }

  /** Stops pulling, finishes (stores and acknowledges) the batches in hand for up to `graceMs`, then leaves the rest unacknowledged. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const timer = setTimeout(() => (this.abandoned = true), graceMs);
    await Promise.all(this.loops);
    clearTimeout(timer);
    this.handler.progress.state = 'stopped';
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let taken: JsMsg[];
      try {
        taken = await this.take();
      } catch (err) {
        const progress = this.handler.progress;
        // Said once per cause, not once a second while NATS is away.
        if (progress.state !== 'connecting' || progress.error !== (err as Error).message) this.onError(err as Error);
        progress.state = 'connecting';
        progress.error = (err as Error).message;
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (this.handler.progress.state === 'connecting') {
        this.handler.progress.state = 'running';
        this.handler.progress.error = undefined;
      }
      if (taken.length === 0) continue;
      const done = await this.handler.handle(
        taken.map((m) => this.message(m)),
        () => !this.abandoned,
        () => taken.forEach((m) => m.working()),
      );
      if (!done) return;
      for (const m of taken) m.ack();
    }
  }

  private async take(): Promise<JsMsg[]> {
    const batch = await this.consumer.fetch({ max_messages: this.config.batch, expires: 1000 });
    const taken: JsMsg[] = [];
    for await (const m of batch) taken.push(m);
    return taken;
  }

  private message(m: JsMsg): BusMessage {
    return {
      id: messageIdentity(this.log, m.info.streamSequence, m.headers?.get(REDRIVE_OF) || undefined),
      format: subjectFormat(m.subject, this.config.subjects),
      data: m.data,
      origin: m.subject,
      place: `${this.log}:${m.info.streamSequence}`,
    };
  }

  /**
   * Each to `<dead_letter>.<its subject>`, with the reason, waiting for the stream to store it;
   * the message id lets the stream drop a second copy when a failed batch is handled again.
   */
  private async deadLetter(letters: readonly DeadLetter[]): Promise<void> {
    await Promise.all(
      letters.map(({ message, reason }) => {
        const h = headers();
        h.set(DEAD_LETTER_HEADERS.reason, headerText(reason));
        h.set(DEAD_LETTER_HEADERS.origin, message.origin);
        h.set(DEAD_LETTER_HEADERS.id, message.id);
        return this.js.publish(`${this.config.dead_letter}.${message.origin}`, message.data, {
          headers: h,
          msgID: `dead:${message.place}`,
        });
      }),
    );
  }
}
