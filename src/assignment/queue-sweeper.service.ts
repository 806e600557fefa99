import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ASSIGNMENT_CONFIG, type AssignmentConfig } from './assignment.schema';
import { AssignmentService } from './assignment.service';

/**
 * Drains the capacity queue every `queue.sweep_every`, for capacity that frees with no event
 * to announce it (an out-of-office that ends), and records drained digest notices a crash
 * lost. Runs in the worker; any number of replicas may sweep, the assignment lock
 * serializes them.
 */
@Injectable()
export class QueueSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(QueueSweeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly assignment: AssignmentService,
    @Inject(ASSIGNMENT_CONFIG) private readonly config: AssignmentConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  /** Waits for a sweep in progress, so the database outlives it. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass; the number of waiting tasks it assigned. */
  async sweep(): Promise<number> {
    try {
      const drained = await this.assignment.drainNow();
      await this.assignment.redriveDigestNotices();
      return drained.length;
    } catch (err) {
      this.logger.warn(`capacity queue sweep failed, next in ${this.config.queue.sweep_every}s: ${(err as Error).message}`);
      return 0;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep().then(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.config.queue.sweep_every * 1000);
  }
}
