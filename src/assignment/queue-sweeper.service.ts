import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PollLoop } from '../common/poll-loop';
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
  private readonly loop: PollLoop;

  constructor(
    private readonly assignment: AssignmentService,
    @Inject(ASSIGNMENT_CONFIG) private readonly config: AssignmentConfig,
  ) {
    this.loop = new PollLoop(async () => void (await this.sweep()), config.queue.sweep_every * 1000);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  /** Waits for a sweep in progress, so the database outlives it. */
  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
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
}
