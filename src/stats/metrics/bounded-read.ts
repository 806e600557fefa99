/** How a scrape found a read: answered, still running when the scrape stopped waiting, or failed. */
export type ReadOutcome = 'fresh' | 'pending' | 'failed';

/**
 * A slow read at scrape time (the database, Temporal) that never holds a scrape up: at most one
 * runs at a time (concurrent scrapes share it), and a scrape waits for it at most `timeoutMs`.
 * A read still running then keeps going and applies its values when it answers, for the next
 * scrape; a failed read applies nothing, so its gauges keep their last values.
 */
export class BoundedRead {
  private inFlight?: Promise<'fresh' | 'failed'>;

  constructor(
    /** Reads and applies its values; applies nothing when it throws. */
    private readonly read: () => Promise<void>,
    private readonly onFailure: (err: Error) => void,
  ) {}

  async run(timeoutMs: number): Promise<ReadOutcome> {
    this.inFlight ??= this.read()
      .then(
        () => 'fresh' as const,
        (err: unknown) => {
          this.onFailure(err instanceof Error ? err : new Error(String(err)));
          return 'failed' as const;
        },
      )
      .finally(() => (this.inFlight = undefined));
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'pending'>((resolve) => {
      timer = setTimeout(() => resolve('pending'), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([this.inFlight, gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  }
}
