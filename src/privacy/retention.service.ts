import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ENV, type Env } from '../common/env';
import { NO_METRICS, WARDEN_METRICS, type WardenMetrics } from '../common/metrics';
import { PollLoop } from '../common/poll-loop';
import { pgPool } from '../database/pg';
import { PRUNINGS, type Pruning } from './retention';

/** Rows deleted per statement: short transactions, never a long lock on a busy table. */
const CHUNK = 5000;

/**
 * Prunes delivered notices, delivered outbox rows, the integration links of long-resolved
 * incidents and sessions that are over every RETENTION_EVERY_SECONDS, in the worker; any number of workers may prune at once.
 * Each pruning is counted in the worker's /metrics.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetentionService.name);
  private readonly loop: PollLoop;
  private readonly pool: Pool;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(ENV) private readonly env: Env,
    @Optional() @Inject(WARDEN_METRICS) private readonly metrics: WardenMetrics = NO_METRICS,
  ) {
    this.pool = pgPool(dataSource);
    this.loop = new PollLoop(
      async () => void (await this.prune().catch((err: Error) => this.logger.warn(`pruning failed: ${err.message}`))),
      env.RETENTION_EVERY_SECONDS * 1000,
    );
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  /** One pass over every pruning; the rows each deleted. */
  async prune(): Promise<Record<Pruning['kind'], number>> {
    const hours = {
      notices: this.env.NOTIFY_RETENTION_HOURS,
      outbox: this.env.OUTBOX_RETENTION_HOURS,
      links: this.env.INTEGRATION_LINKS_RETENTION_HOURS,
      sessionIdle: this.env.SESSION_IDLE_SECONDS / 3600,
      sessionMax: this.env.SESSION_MAX_HOURS,
    };
    const pruned = { notifications: 0, outbox: 0, integration_links: 0, sessions: 0 };
    for (const p of PRUNINGS) {
      for (let n = CHUNK; n === CHUNK && !this.loop.stopped;) {
        // No RETURNING: only the count is read.
        n = (await this.pool.query<Record<string, never>>(p.sql, [CHUNK, ...p.hours(hours)])).rowCount ?? 0;
        pruned[p.kind] += n;
      }
      this.metrics.pruned(p.kind, pruned[p.kind]);
    }
    return pruned;
  }
}
