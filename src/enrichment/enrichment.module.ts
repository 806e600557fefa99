import { Global, Inject, Injectable, Logger, Module, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ENV, type Env } from '../common/env';
import { NO_METRICS, WARDEN_METRICS, type WardenMetrics } from '../common/metrics';
import { loadAssets } from './assets/load';
import { loadListOffThread } from './intel/load-off-thread';
import { assetFiles, EnrichmentHolder, ENRICHMENT_CONFIG, filesStamp, loadEnrichment, type EnrichmentConfig } from './tables';

/** How often the asset files' modification times are compared (a changed file is read again). */
const ASSETS_POLL_MS = 2_000;

/**
 * Keeps the api's tables current without a restart: each intel list is read again every
 * `refresh` (config/intel.yaml) and swapped in whole; the asset files are reloaded when their
 * mtime or size changes. A refresh that fails keeps the table it had, with one log line.
 * The tables live in each api process, so each one polls and swaps its own.
 */
@Injectable()
export class EnrichmentRefresher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Enrichment');
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly busy = new Set<string>();
  private assetsStamp = '';

  constructor(
    private readonly holder: EnrichmentHolder,
    @Inject(ENRICHMENT_CONFIG) private readonly config: EnrichmentConfig,
    @Inject(ENV) private readonly env: Env,
    @Optional() @Inject(WARDEN_METRICS) private readonly metrics: WardenMetrics = NO_METRICS,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.env.ENRICHMENT_ENABLED) return;
    const dir = this.env.WARDEN_CONFIG_DIR;
    for (const list of this.config.intel.lists) {
      this.every(
        list.refresh * 1000,
        `intel list ${list.name}`,
        async () => {
          const started = Date.now();
          const loaded = await loadListOffThread(list, dir);
          await this.holder.intel.replacePacked(list.name, loaded.packed, loaded.rest);
          this.metrics.intelLoaded(list.name, 'loaded', loaded.count);
          this.logger.log(`intel list ${list.name} refreshed: ${loaded.count} indicators in ${(Date.now() - started) / 1000} s`);
        },
        () => this.metrics.intelLoaded(list.name, 'failed', this.holder.intel.current.lists.get(list.name)?.size ?? 0),
      );
    }
    const files = assetFiles(dir, this.config.assets);
    this.assetsStamp = filesStamp(files);
    this.every(ASSETS_POLL_MS, 'assets', () => {
      const stamp = filesStamp(files);
      if (stamp === this.assetsStamp) return Promise.resolve();
      this.assetsStamp = stamp;
      this.holder.assets = loadAssets(dir);
      this.logger.log(`assets reloaded: ${this.holder.assets.size} names`);
      return Promise.resolve();
    });
  }

  onModuleDestroy(): void {
    for (const t of this.timers) clearInterval(t);
  }

  /** One run at a time per job; an error is logged and the old table kept. */
  private every(ms: number, job: string, run: () => Promise<void>, failed: () => void = () => {}): void {
    const timer = setInterval(() => {
      if (this.busy.has(job)) return;
      this.busy.add(job);
      run()
        .catch((err: unknown) => {
          failed();
          this.logger.warn(`${job} not refreshed: ${(err as Error).message.split('\n')[0]}`);
        })
        .finally(() => this.busy.delete(job));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}

/** The enrichment tables of an api process, loaded at start-up and refreshed in place. */
@Global()
@Module({
  providers: [
    {
      provide: EnrichmentHolder,
      inject: [ENRICHMENT_CONFIG, ENV, { token: WARDEN_METRICS, optional: true }],
      useFactory: (config: EnrichmentConfig, env: Env, metrics?: WardenMetrics) => {
        const logger = new Logger('Enrichment');
        if (!env.ENRICHMENT_ENABLED) {
          logger.log('enrichment off (ENRICHMENT_ENABLED=false)');
          return new EnrichmentHolder();
        }
        return loadEnrichment(config, env, (m) => logger.log(m), metrics, true);
      },
    },
    EnrichmentRefresher,
  ],
  exports: [EnrichmentHolder],
})
export class EnrichmentModule {}
