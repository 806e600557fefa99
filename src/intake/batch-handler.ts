import { createHash } from 'node:crypto';
import type { FieldError } from '../common/problem';
import type { ItemResult } from '../correlation/items';
import { IdempotencyConflict } from '../correlation/correlation.service';
import type { FormatTables } from '../ingest/normalizers';
import type { IntakeItem } from '../ingest/intake';
import { messageVerdict, parseMessage, type BusMessage } from './message';

/** Stores a bus's messages: IngestService.ingestMessages, as the consumers need it. */
export type StoreMessages = (
  messages: readonly { key: string; items: readonly IntakeItem[]; bodyHash: string }[],
) => Promise<ItemResult[][]>;

/** A message that cannot be stored as it is, and why: it goes to the dead letters with its original bytes. */
export interface DeadLetter {
  message: BusMessage;
  reason: string;
  errors: FieldError[];
}

/** What a consumer is doing, for /health and `warden intake status`. */
export interface ConsumerProgress {
  /** `paused`: storage failed and the batch in hand is retried; nothing is acknowledged meanwhile. */
  state: 'connecting' | 'running' | 'paused' | 'stopped';
  /** Why it is paused (or why it could not connect). */
  error?: string;
  stored: number;
  deadLettered: number;
}

/** A message that parsed, with its alerts and the hash of its bytes. */
interface Good {
  message: BusMessage;
  items: IntakeItem[];
  bodyHash: string;
}

/** Backoff while storage fails: from 0.5 s, doubling, at most 10 s. */
export const retryDelayMs = (attempt: number): number => Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));

/**
 * One batch of one bus, from bytes to a verdict per message: parsed by the HTTP intake's
 * normalizers, stored through the batch path, refused messages sent to the dead letters.
 * While storage fails the batch is retried in place (the consumer takes nothing new: that is
 * the backpressure), with `keepAlive` told so the bus does not hand the messages to another
 * replica; a redelivery is harmless anyway, each message's identity being its Idempotency-Key.
 */
export class BatchHandler {
  /** Starts `connecting`: the consumer says `running` once its bus answers. */
  readonly progress: ConsumerProgress = { state: 'connecting', stored: 0, deadLettered: 0 };

  constructor(
    private readonly store: StoreMessages,
    private readonly tables: FormatTables,
    private readonly deadLetter: (letters: readonly DeadLetter[]) => Promise<void>,
    private readonly options: {
      /** Told what each handled batch came to (metrics). */
      counted?: (stored: number, deadLettered: number) => void;
      sleep?: (ms: number) => Promise<void>;
    } = {},
  ) {}

  private sleep(ms: number): Promise<void> {
    return this.options.sleep ? this.options.sleep(ms) : new Promise((r) => setTimeout(r, ms));
  }

  /**
   * Resolves true once every message is stored or dead-lettered, so all may be acknowledged;
   * false when `running()` turned false first (nothing may be acknowledged: the bus redelivers).
   */
  async handle(messages: readonly BusMessage[], running: () => boolean, keepAlive: () => void): Promise<boolean> {
    const poison: DeadLetter[] = [];
    const good: Good[] = [];
    for (const message of messages) {
      const parsed = parseMessage(message.format, message.data, this.tables);
      if ('poison' in parsed) poison.push({ message, reason: parsed.poison, errors: [{ path: '/', message: parsed.poison }] });
      else good.push({ message, items: parsed.items, bodyHash: createHash('sha256').update(message.data).digest('hex') });
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const verdicts = await this.storeAll(good);
        const refused = good.flatMap(({ message }, i) => {
          const v = verdicts[i];
          return v.dead ? [{ message, reason: v.reason, errors: v.errors }] : [];
        });
        const letters = [...poison, ...refused];
        if (letters.length > 0) await this.deadLetter(letters);
        this.progress.state = 'running';
        this.progress.error = undefined;
        this.progress.stored += good.length - refused.length;
        this.progress.deadLettered += letters.length;
        this.options.counted?.(good.length - refused.length, letters.length);
        return true;
      } catch (err) {
        this.progress.state = 'paused';
        this.progress.error = (err as Error).message;
        // Waits in steps of at most a second, keeping the messages alive and watching for a stop.
        for (let left = retryDelayMs(attempt); left > 0; left -= 1000) {
          if (!running()) return false;
          keepAlive();
          await this.sleep(Math.min(1000, left));
        }
        if (!running()) return false;
      }
    }
  }

  /** Every message's verdict. A reused identity with another body (an edited message redriven) refuses that message alone. */
  private async storeAll(good: readonly Good[]) {
    if (good.length === 0) return [];
    const request = (g: (typeof good)[number]) => ({ key: g.message.id, items: g.items, bodyHash: g.bodyHash });
    try {
      return (await this.store(good.map(request))).map(messageVerdict);
    } catch (err) {
      if (!(err instanceof IdempotencyConflict)) throw err;
    }
    const verdicts = [];
    for (const g of good) {
      try {
        verdicts.push(messageVerdict((await this.store([request(g)]))[0]));
      } catch (err) {
        if (!(err instanceof IdempotencyConflict)) throw err;
        const message = `the message's identity (${g.message.id}) was first stored with another body`;
        verdicts.push({ dead: true as const, reason: message, errors: [{ path: '/', message }] });
      }
    }
    return verdicts;
  }
}
