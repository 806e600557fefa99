import type { ChannelGate } from '../delivery/channel-gate';

export { parseRetryAfter } from '../delivery/retry';

/** What a notifier delivers: one per workflow step, `key` unique across all of them. */
export interface OutgoingNotification {
  key: string;
  kind: string;
  /** Analyst ids. */
  recipients: string[];
  taskId: string | null;
  incidentId: string | null;
  title: string;
  text: string;
  data: Record<string, unknown>;
}

/**
 * A channel for notifications. `send` may be called again for the same key after a
 * crash, so a channel that can deduplicate (a delivery id, a stored message id) should.
 * A channel that knows a failure is final (the receiver refused the notice itself)
 * throws a `DeliveryError` with `permanent`; anything else thrown is retried with backoff.
 */
export interface Notifier {
  readonly name: string;
  send(notification: OutgoingNotification): Promise<void>;
  /** The channel's outside calls, when it makes any: the dispatcher starts a delivery only when the gate and the lease let one call go. */
  readonly gate?: ChannelGate;
}

export const NOTIFIERS = Symbol('NOTIFIERS');

/** A failed delivery, as the channel judged it. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    /** Trying again cannot help: the notice is marked failed at once. */
    readonly permanent: boolean,
    /** The channel asked to wait this long before the next attempt (Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/**
 * Whether an HTTP answer from a channel is worth trying again. A 4xx says the request
 * itself is wrong (bad payload, bad credentials, gone), so repeating it is pointless,
 * except 408 (timeout), 425 (too early) and 429 (rate limit), which say "later". 5xx and
 * anything unexpected are transient.
 */
export function classifyStatus(status: number): 'ok' | 'permanent' | 'transient' {
  if (status >= 200 && status < 300) return 'ok';
  if (status >= 400 && status < 500 && ![408, 425, 429].includes(status)) return 'permanent';
  return 'transient';
}

/** How the dispatcher treats a failure: final at once, or a retry no sooner than `retryAfterSeconds`. */
export function deliveryFailure(err: unknown): { message: string; permanent: boolean; retryAfterSeconds: number } {
  const message = String((err as Error)?.message ?? err).slice(0, 1000);
  if (err instanceof DeliveryError) return { message, permanent: err.permanent, retryAfterSeconds: err.retryAfterSeconds ?? 0 };
  return { message, permanent: false, retryAfterSeconds: 0 };
}
