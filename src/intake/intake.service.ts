import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { ENV, type Env } from '../common/env';
import { NO_METRICS, WARDEN_METRICS, type WardenMetrics } from '../common/metrics';
import { IngestService } from '../ingest/ingest.service';
import { FORMAT_TABLES, type FormatTables } from '../ingest/normalizers';
import type { ConsumerProgress, StoreMessages } from './batch-handler';
import { INTAKE_CONFIG, type IntakeConfig } from './intake.schema';
import { connectNats, JetStreamIntake } from './jetstream';
import { kafkaClient, KafkaIntake } from './kafka';

export type Bus = 'nats' | 'kafka';

/** A bus consumer as /health and `warden intake status` show it. */
export interface ConsumerStatus extends ConsumerProgress {
  bus: Bus;
  /** The stream and durable consumer, or the consumer group. */
  name: string;
  /** Messages the consumer has yet to acknowledge (not yet taken, or in hand); null while the bus does not answer. */
  lag: number | null;
  /** Messages waiting in the dead letters for a redrive; null while the bus does not answer. */
  deadLetters: number | null;
}

/** A started consumer, whichever its bus. */
interface Running {
  progress: Readonly<ConsumerProgress>;
  lag(): Promise<{ pending: number; deadLetters: number }>;
  stop(graceMs: number): Promise<void>;
}

interface Configured {
  bus: Bus;
  name: string;
  running?: Running;
  /** Why it has not started yet (it keeps trying). */
  error?: string;
  starting?: Promise<void>;
}

/**
 * The identity a bus's alerts are stored under, where an HTTP alert has its API key's id: the
 * same on every replica and restart, so the repeat key (source, externalId) holds across them.
 */
export function busCaller(bus: Bus): string {
  const h = createHash('sha256').update(`warden-intake:${bus}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Addresses from the environment (comma-separated) when set, else from config/intake.yaml. */
export const addresses = (fromEnv: string | undefined, fromFile: readonly string[]): string[] =>
  fromEnv
    ? fromEnv
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [...fromFile];

/**
 * Starts the configured bus consumers beside HTTP intake (a bus without an address is off,
 * said once in the log; one that does not answer is retried), and stops them on shutdown:
 * nothing new is taken, the batches in hand are stored and acknowledged, then they close.
 */
@Injectable()
export class IntakeService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Intake');
  private readonly buses: Configured[] = [];
  private stopped = false;

  constructor(
    private readonly ingest: IngestService,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    @Inject(FORMAT_TABLES) private readonly tables: FormatTables,
    @Inject(ENV) private readonly env: Env,
    @Optional() @Inject(WARDEN_METRICS) private readonly metrics: WardenMetrics = NO_METRICS,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.env.INTAKE_ENABLED) {
      this.logger.log('bus intake is off on this api (INTAKE_ENABLED=false)');
      return;
    }
    const { nats, kafka } = this.config;
    const natsServers = addresses(this.env.NATS_URL, nats.servers);
    if (natsServers.length === 0) this.logger.log('NATS intake is off: no servers in config/intake.yaml or NATS_URL');
    else {
      this.begin('nats', `${nats.stream}/${nats.consumer}`, natsServers, async () => {
        const nc = await connectNats(natsServers, 'warden-intake');
        try {
          const intake = new JetStreamIntake(nc, nats, this.store('nats'), this.tables, this.counted('nats'), (err) =>
            this.logger.warn(`NATS intake: ${err.message}`),
          );
          await intake.start();
          return {
            progress: intake.progress,
            lag: () => intake.lag(),
            stop: async (graceMs) => {
              await intake.stop(graceMs);
              await nc.drain().catch(() => undefined);
            },
          };
        } catch (err) {
          await nc.close().catch(() => undefined);
          throw err;
        }
      });
    }
    const brokers = addresses(this.env.KAFKA_BROKERS, kafka.brokers);
    if (brokers.length === 0) this.logger.log('Kafka intake is off: no brokers in config/intake.yaml or KAFKA_BROKERS');
    else {
      this.begin('kafka', kafka.group, brokers, async () => {
        const client = kafkaClient(brokers, kafka.client_id, (line) => this.logger.warn(`Kafka intake: ${line}`));
        const intake = new KafkaIntake(client, kafka, this.store('kafka'), this.tables, this.counted('kafka'));
        try {
          await intake.start();
        } catch (err) {
          await intake.stop(0).catch(() => undefined);
          throw err;
        }
        return { progress: intake.progress, lag: () => intake.lag(), stop: (graceMs) => intake.stop(graceMs) };
      });
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await Promise.all(
      this.buses.map(async (b) => {
        await b.starting;
        await b.running?.stop(this.env.SHUTDOWN_TIMEOUT_SECONDS * 500);
      }),
    );
  }

  async status(timeoutMs: number): Promise<ConsumerStatus[]> {
    return Promise.all(
      this.buses.map(async ({ bus, name, running, error }): Promise<ConsumerStatus> => {
        if (!running) return { bus, name, state: 'connecting', error, stored: 0, deadLettered: 0, lag: null, deadLetters: null };
        const lag = await withTimeout(running.lag(), timeoutMs).catch(() => null);
        return { bus, name, ...running.progress, lag: lag?.pending ?? null, deadLetters: lag?.deadLetters ?? null };
      }),
    );
  }

  private counted(bus: Bus): (stored: number, deadLettered: number) => void {
    return (stored, deadLettered) => {
      this.metrics.intakeMessages(bus, 'stored', stored);
      this.metrics.intakeMessages(bus, 'dead_lettered', deadLettered);
    };
  }

  private store(bus: Bus): StoreMessages {
    const caller = busCaller(bus);
    return (messages) => this.ingest.ingestMessages(messages, caller);
  }

  /** Starts a consumer, trying again (backing off to 10 s) while its bus does not answer. */
  private begin(bus: Bus, name: string, addresses: readonly string[], start: () => Promise<Running>): void {
    const entry: Configured = { bus, name };
    this.buses.push(entry);
    entry.starting = (async () => {
      for (let attempt = 0; !this.stopped; attempt++) {
        try {
          entry.running = await start();
          entry.error = undefined;
          this.logger.log(`${bus} intake: consuming ${name} from ${addresses.join(', ')}`);
          return;
        } catch (err) {
          entry.error = (err as Error).message;
          if (attempt === 0) this.logger.warn(`${bus} intake cannot start yet (retrying): ${entry.error}`);
          await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * 2 ** Math.min(attempt, 4))));
        }
      }
    })();
  }
}

const withTimeout = <T>(work: Promise<T>, ms: number): Promise<T> =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
