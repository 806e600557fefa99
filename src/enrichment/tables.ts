import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { SecurityAlert } from '../domain';
import type { AssetLookup } from './assets/assets';
import type { AssetsFile } from './assets/assets.schema';
import { loadAssets } from './assets/load';
import { AttackLookup, type AttackConfig } from './attack/attack';
import { shippedAttackTable } from './attack/attack-table';
import { enrichAlert, type Enrichment, type EnrichmentTables } from './enrichment';
import { geoIpPaths, loadGeoIp, type GeoIp } from './geoip/geoip';
import { IntelHolder } from './intel/indicator';
import type { IntelConfig } from './intel/intel.schema';
import { loadIntel } from './intel/load';
import type { Env } from '../common/env';
import { NO_METRICS, type WardenMetrics } from '../common/metrics';

/** config/attack.yaml, intel.yaml and assets.yaml as validated at start-up (Nest token ENRICHMENT_CONFIG). */
export interface EnrichmentConfig {
  attack: AttackConfig;
  intel: IntelConfig;
  assets: AssetsFile;
}
export const ENRICHMENT_CONFIG = Symbol('ENRICHMENT_CONFIG');

/**
 * The api process's enrichment tables. Each table is replaced whole by one assignment (intel
 * per list, inside its IntelHolder), so an alert being enriched sees a table before or after
 * a refresh, never half of one. Lookups are in memory: ingest does no I/O per alert.
 */
export class EnrichmentHolder {
  geoip?: GeoIp;
  attack?: AttackLookup;
  readonly intel = new IntelHolder();
  assets?: AssetLookup;

  get current(): EnrichmentTables {
    return { geoip: this.geoip, attack: this.attack, intel: this.intel.current, assets: this.assets };
  }

  /** The ingest path's `enrich`. */
  readonly enrich = (alert: SecurityAlert): Enrichment => enrichAlert(alert, this.current, Date.now());
}

/** The files assets are read from (assets.yaml and the CSV files it names), for the mtime poll. */
export function assetFiles(configDir: string, assets: AssetsFile): string[] {
  return [join(configDir, 'assets.yaml'), ...assets.csv.map((f) => (isAbsolute(f) ? f : join(configDir, f)))];
}

/** A fingerprint of the files' modification times and sizes; a missing file counts as one state. */
export function filesStamp(paths: readonly string[]): string {
  return paths
    .map((p) => {
      try {
        const s = statSync(p);
        return `${s.mtimeMs}:${s.size}`;
      } catch {
        return '-';
      }
    })
    .join('|');
}

/**
 * Loads every table at start-up: GeoIP from GEOIP_*_DB (each missing database turns its lookup
 * off with one line), the ATT&CK table with config/attack.yaml, the intel lists (a list that
 * cannot be read is empty, with one line) and the assets (a bad CSV stops start-up, as a bad
 * config file does).
 */
export async function loadEnrichment(
  config: EnrichmentConfig,
  env: Pick<Env, 'WARDEN_CONFIG_DIR' | 'GEOIP_CITY_DB' | 'GEOIP_COUNTRY_DB' | 'GEOIP_ASN_DB'>,
  log: (message: string) => void,
  metrics: Pick<WardenMetrics, 'intelLoaded'> = NO_METRICS,
  /** Intel lists read in worker threads (the api), or on this thread (the CLI's backtest). */
  offThread = false,
): Promise<EnrichmentHolder> {
  const holder = new EnrichmentHolder();
  holder.geoip = await loadGeoIp(geoIpPaths(env), log);
  holder.attack = new AttackLookup(shippedAttackTable(), config.attack);
  for (const list of await loadIntel(config.intel.lists, env.WARDEN_CONFIG_DIR, holder.intel, log, undefined, offThread))
    metrics.intelLoaded(list.name, list.error === undefined ? 'loaded' : 'failed', list.indicators);
  holder.assets = loadAssets(env.WARDEN_CONFIG_DIR);
  return holder;
}
