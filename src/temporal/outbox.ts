/** Delay before the next delivery attempt: exponential from 1 s, capped. */
export function outboxBackoffSeconds(attempts: number, maxSeconds: number): number {
  return Math.min(maxSeconds, 2 ** Math.max(0, attempts - 1));
}
