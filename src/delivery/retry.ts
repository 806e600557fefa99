/**
 * What the outbox and the notice dispatcher share after a failed delivery: one backoff formula
 * and one rule for when a row stops being retried (dead-lettered: the outbox's `dead_lettered_at`,
 * a notice's `failed_at`), kept until an operator re-drives it.
 */

/** Delay before the next attempt: exponential from 1 s, capped, and never sooner than the receiver's Retry-After. */
export function backoffSeconds(attempts: number, maxSeconds: number, retryAfterSeconds = 0): number {
  return Math.max(retryAfterSeconds, Math.min(maxSeconds, 2 ** Math.max(0, attempts - 1)));
}

export interface FailureSoFar {
  /** The receiver refused the row itself (a 400, an unknown kind): trying again cannot help. */
  permanent: boolean;
  /** Refusals so far, this one included. */
  failures: number;
  maxFailures: number;
  /** Seconds since the row was recorded or last re-driven. */
  ageSeconds: number;
  maxAgeSeconds: number;
}

/** Whether a row that just failed is out of the line for good rather than retried. */
export function isDeadLetter(f: FailureSoFar): boolean {
  return f.permanent || f.failures >= f.maxFailures || f.ageSeconds >= f.maxAgeSeconds;
}

/** Retry-After as seconds (a number of seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  // An HTTP date names its day and month ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse alone would take "-5" as a year.
  const at = /[a-z]/i.test(value) ? Date.parse(value) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
