import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lease } from './lease';
import { parseRetryAfter } from './retry';

/** A delivery cut short: its lease had no room left for the next outside call. Nothing is counted against it. */
export class LeaseEnding extends Error {
  constructor() {
    super('the lease has no room left for another call');
    this.name = 'LeaseEnding';
  }
}

/** The delivery the current call belongs to (set by the dispatcher around one send). */
const scope = new AsyncLocalStorage<{ lease: Lease; cut: boolean }>();

/**
 * Runs one delivery under its lease: each call through a ChannelGate inside it starts only while
 * the lease has room for it. Throws LeaseEnding when a call was refused for that reason, whatever
 * the channel's client made of the refusal.
 */
export async function withinLease<T>(lease: Lease, deliver: () => Promise<T>): Promise<T> {
  const s = { lease, cut: false };
  try {
    return await scope.run(s, deliver);
  } catch (err) {
    if (s.cut) throw new LeaseEnding();
    throw err;
  }
}

/** How long a rate-limited channel must go without a call before its calls are no longer spaced. */
export const THROTTLE_MS = 60_000;

/**
 * The calls of one outside channel in this process (Slack, Jira, a webhook). A 429 pauses the whole
 * channel for its Retry-After: no call of this channel starts before it ends, whichever delivery
 * makes it; and after it, a call starts no sooner than that Retry-After after the last answer, until
 * the channel has been quiet for THROTTLE_MS, so a rate-limited channel is not hit again the moment
 * the pause ends. A serial channel has one call
 * on the wire at a time, so a rate limit is learnt before the next call goes. Inside a delivery, a
 * call waits its turn only if its lease has room for the wait and the call; otherwise the delivery
 * is cut short and handed back.
 */
export class ChannelGate {
  private pausedUntil = 0;
  private spacingMs = 0;
  private spacedUntil = 0;
  private lastAnswer = -Infinity;
  private last: Promise<void> = Promise.resolve();

  constructor(
    readonly channel: string,
    /** The most one call may take (the client's timeout). */
    readonly callTimeoutMs: number,
    private readonly serial = false,
    private readonly now: () => number = () => Date.now(),
  ) {}

  pausedForMs(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }

  pause(seconds: number): void {
    const now = this.now();
    this.pausedUntil = Math.max(this.pausedUntil, now + seconds * 1000);
    this.spacingMs = seconds * 1000;
    this.spacedUntil = this.pausedUntil + THROTTLE_MS;
  }

  /** How long the next call must wait: out a pause, or until it is spaced from the last one. */
  private waitMs(): number {
    const now = this.now();
    const spaced = now < this.spacedUntil ? this.lastAnswer + this.spacingMs - now : 0;
    return Math.max(0, this.pausedUntil - now, spaced);
  }

  /** Runs `call` when the channel lets it; `retryAfterOf` reads a rate limit from its answer. */
  async call<T>(call: () => Promise<T>, retryAfterOf: (answer: T) => number | undefined): Promise<T> {
    const release = this.serial ? await this.turn() : undefined;
    try {
      const s = scope.getStore();
      for (let wait = this.waitMs(); ; wait = this.waitMs()) {
        if (s && !s.lease.mayStart(wait + this.callTimeoutMs)) {
          s.cut = true;
          throw new LeaseEnding();
        }
        // Outside a delivery (an answer to a person in Slack) nobody waits: the backend answers 429 again if it must.
        if (wait === 0 || !s) break;
        await sleep(wait);
      }
      const answer = await call().finally(() => {
        this.lastAnswer = this.now();
        // A busy channel stays spaced; a minute without a call ends it.
        if (this.lastAnswer < this.spacedUntil) this.spacedUntil = this.lastAnswer + THROTTLE_MS;
      });
      const retryAfter = retryAfterOf(answer);
      if (retryAfter !== undefined) this.pause(retryAfter);
      return answer;
    } finally {
      release?.();
    }
  }

  private async turn(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const before = this.last;
    this.last = before.then(() => mine);
    await before;
    return release;
  }
}

/** The least answer a fetch gives that the gate reads. */
interface FetchAnswer {
  status: number;
  headers: { get(name: string): string | null };
}

/** `fetch` through a gate: what the Slack and Jira clients and the webhook channel call the network with. */
export function gatedFetch<A extends unknown[], R extends FetchAnswer>(gate: ChannelGate, fetch: (...args: A) => Promise<R>) {
  return (...args: A): Promise<R> =>
    gate.call(
      () => fetch(...args),
      (res) => (res.status === 429 ? (parseRetryAfter(res.headers.get('retry-after')) ?? 1) : undefined),
    );
}
