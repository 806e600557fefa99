import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ENV, type Env } from '../common/env';
import { PollLoop } from '../common/poll-loop';
import { pgPool } from '../database/pg';
import { NotificationsService } from '../notifications/notifications.service';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher.service';
import { setTimeout as sleep } from 'node:timers/promises';
import { compactRollups, foldPass, INCIDENTS_PER_PASS, SOURCES_PER_PASS } from './delta-fold';

/** Rollup buckets are compacted this often: readers sum them either way, so it only bounds their rows. */
const COMPACT_EVERY_MS = 10_000;
/** The least time between two passes (what a fold may trail its ingest by under load). */
const FOLD_GAP_MS = 50;

/**
 * Runs delta-fold.ts on every api: nudged after each ingest commit that appended deltas
 * (coalesced: one pass at a time, another right after if nudged meanwhile), and every
 * DELTA_FOLD_INTERVAL_MS for what another replica or a crash left behind.
 */
@Injectable()
export class DeltaFolder implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeltaFolder.name);
  private readonly pool: Pool;
  private readonly loop: PollLoop;
  private nextCompaction = 0;
  /** Where each rollup table's last compaction stopped: a guess that saves rescanning, never correctness. */
  private readonly watermarks: string[] = [];

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(ENV) env: Env,
    private readonly outbox: OutboxDispatcher,
    private readonly notifications: NotificationsService,
  ) {
    this.pool = pgPool(dataSource);
    this.loop = new PollLoop(() => this.pass(), env.DELTA_FOLD_INTERVAL_MS);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  nudge(): void {
    this.loop.nudge();
  }

  private async pass(): Promise<void> {
    try {
      for (;;) {
        const { incidents, stormSources, notices } = await foldPass(this.pool, (ids, db) => this.notifications.alertsAdded(ids, db));
        if (notices > 0) this.outbox.nudge();
        if (incidents > 0) this.notifications.told();
        // A short pass took all it could; rows held by others wait for the next nudge or tick.
        if ((incidents < INCIDENTS_PER_PASS && stormSources < SOURCES_PER_PASS) || this.loop.stopped) break;
      }
      if (Date.now() >= this.nextCompaction) {
        this.nextCompaction = Date.now() + COMPACT_EVERY_MS;
        await compactRollups(this.pool, this.watermarks);
      }
    } catch (err) {
      // Deltas stay until a pass succeeds; readers of the snapshot add them meanwhile.
      this.logger.warn(`fold paused: ${(err as Error).message}`);
    }
    // Under load, nudges arrive with every commit: a pause between passes makes each one fold
    // a burst's deltas in one go, rather than spend a transaction on every ingest.
    if (!this.loop.stopped) await sleep(FOLD_GAP_MS);
  }
}
