/**
 * Runs `pass` at start, then `intervalMs` after each pass ends, or at once when nudged;
 * never two passes at a time (a nudge during a pass runs another right after it). What
 * the dispatchers and the queue sweep share.
 */
export class PollLoop {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private started = false;
  private again = false;
  private halted = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  /** Set by stop(): a pass in progress should end early. */
  get stopped(): boolean {
    return this.halted;
  }

  start(): void {
    this.started = true;
    this.schedule(0);
  }

  /** Run soon; only latency depends on it. Does nothing before start or after stop. */
  nudge(): void {
    if (!this.started || this.halted) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Waits for a pass in progress, so what it uses can be closed after. */
  async stop(): Promise<void> {
    this.halted = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.halted) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => {
        this.running = undefined;
        const more = this.again;
        this.again = false;
        this.schedule(more ? 0 : this.intervalMs);
      });
    }, delayMs);
  }
}
