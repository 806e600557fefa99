import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { createHash } from 'node:crypto';
import { ENV, type Env } from '../common/env';
import { IngestService } from '../ingest/ingest.service';
import { FORMAT_TABLES, type FormatTables } from '../ingest/normalizers';
import type { ConsumerProgress, StoreMessages } from './batch-handler';
import { INTAKE_CONFIG, type IntakeConfig } from './intake.schema';
import { connectNats, JetStreamIntake } from './jetstream';

/** A bus consumer as /health and `warden intake status` show it. */
export interface ConsumerStatus extends ConsumerProgress {
  bus: 'nats' | 'kafka';
  /** The stream and durable consumer, or the topics and group. */
  name: string;
  /** Messages not yet taken, and taken but not yet acknowledged; null while the bus does not answer. */
  lag: { pending: number; unacknowledged: number } | null;
  /** Messages waiting in the dead letters for a redrive; null while the bus does not answer. */
  deadLetters: number | null;
}

/**
 * The identity a bus's alerts are stored under, where an HTTP alert has its API key's id: the
 * same on every replica and restart, so the repeat key (source, externalId) holds across them.
 */
export function busCaller(bus: 'nats' | 'kafka'): string {
  const h = createHash('sha256').update(`warden-intake:${bus}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Servers from the environment (comma-separated) when set, else from config/intake.yaml. */
export const addresses = (fromEnv: string | undefined, fromFile: readonly string[]): string[] =>
  fromEnv
    ? fromEnv
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [...fromFile];

/**
 * Starts the configured bus consumers beside HTTP intake (a bus without an address is off,
 * said once in the log), and stops them on shutdown: no new batches are taken, the ones in
 * hand are stored and acknowledged, then the connections close.
 */
@Injectable()
export class IntakeService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Intake');
  private nats?: { nc: NatsConnection; intake: JetStreamIntake };
  private natsStarting?: Promise<void>;
  private natsError?: string;
  private stopped = false;

  constructor(
    private readonly ingest: IngestService,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
    @Inject(FORMAT_TABLES) private readonly tables: FormatTables,
    @Inject(ENV) private readonly env: Env,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.env.INTAKE_ENABLED) {
      this.logger.log('bus intake is off on this api (INTAKE_ENABLED=false)');
      return;
    }
    const servers = addresses(this.env.NATS_URL, this.config.nats.servers);
    if (servers.length === 0) this.logger.log('NATS intake is off: no servers in config/intake.yaml or NATS_URL');
    else this.natsStarting = this.startNats(servers);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.natsStarting;
    if (this.nats) {
      await this.nats.intake.stop(this.env.SHUTDOWN_TIMEOUT_SECONDS * 500);
      await this.nats.nc.drain().catch(() => undefined);
    }
  }

  async status(timeoutMs: number): Promise<ConsumerStatus[]> {
    const statuses: ConsumerStatus[] = [];
    const { nats } = this.config;
    if (this.nats || this.natsStarting) {
      const lag = this.nats ? await withTimeout(this.nats.intake.lag(), timeoutMs).catch(() => null) : null;
      statuses.push({
        bus: 'nats',
        name: `${nats.stream}/${nats.consumer}`,
        ...(this.nats?.intake.progress ?? { state: 'connecting', stored: 0, deadLettered: 0, error: this.natsError }),
        lag: lag && { pending: lag.pending, unacknowledged: lag.unacknowledged },
        deadLetters: lag?.deadLetters ?? null,
      });
    }
    return statuses;
  }

  private readonly store =
    (bus: 'nats' | 'kafka'): StoreMessages =>
    (messages) =>
      this.ingest.ingestMessages(messages, busCaller(bus));

  /** Connects (retrying while NATS does not answer), sets up the streams and consumer, and starts pulling. */
  private async startNats(servers: string[]): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      let nc: NatsConnection | undefined;
      try {
        nc = await connectNats(servers, 'warden-intake');
        const intake = new JetStreamIntake(nc, this.config.nats, this.store('nats'), this.tables, (err) =>
          this.logger.warn(`NATS intake: ${err.message}`),
        );
        await intake.start();
        this.nats = { nc, intake };
        this.logger.log(`NATS intake: pulling ${this.config.nats.stream}/${this.config.nats.consumer} from ${servers.join(', ')}`);
        return;
      } catch (err) {
        this.natsError = (err as Error).message;
        if (attempt === 0) this.logger.warn(`NATS intake cannot start yet (retrying): ${this.natsError}`);
        await nc?.close().catch(() => undefined);
        await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * 2 ** Math.min(attempt, 4))));
      }
    }
  }
}

const withTimeout = <T>(work: Promise<T>, ms: number): Promise<T> =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
