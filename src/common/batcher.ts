/**
 * Group commit: concurrent calls are coalesced into batches. One batch runs at a time; the
 * next takes everything that arrived meanwhile, up to `max` items, so a serialized step
 * (a lock, a commit) is paid once per batch rather than once per call. An item that
 * `clashes` with one already in the batch waits for the next.
 */
export class Batcher<I, O> {
  private pending: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  /**
   * @param run decides a whole batch; its answer has one entry per item, in order, an Error
   * rejecting only that item. A throw rejects every item of the batch.
   */
  constructor(
    private readonly run: (items: I[]) => Promise<(O | Error)[]>,
    private readonly max: number,
    private readonly clashes: (a: I, b: I) => boolean = () => false,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.length > 0) {
        const batch: typeof this.pending = [];
        const rest: typeof this.pending = [];
        for (const p of this.pending) {
          if (batch.length < this.max && !batch.some((b) => this.clashes(b.item, p.item))) batch.push(p);
          else rest.push(p);
        }
        this.pending = rest;
        try {
          const outcomes = await this.run(batch.map((b) => b.item));
          batch.forEach((b, i) => (outcomes[i] instanceof Error ? b.reject(outcomes[i]) : b.resolve(outcomes[i] as O)));
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
