// Enrichment: in-memory lookups over loaded tables (GeoIP/ASN, ATT&CK, threat intel, assets), and
// enrichAlert composing them. Ingest applies it before the rules (EnrichmentHolder, enrichment.module.ts).
export * from './enrichment';
export { GeoIp, geoIpPaths, loadGeoIp, type AddressGeo, type GeoIpPaths } from './geoip/geoip';
export {
  AttackTable,
  isTacticId,
  isTechniqueId,
  loadAttackTable,
  shippedAttackTable,
  type Tactic,
  type Technique,
} from './attack/attack-table';
export { attackCellsOf, type AttackCell } from './attack/cells';
export {
  AttackLookup,
  attackConfigProblems,
  attackFileSchema,
  type AttackConfig,
  type TacticHit,
  type TechniqueHit,
} from './attack/attack';
export { IndicatorTable, IntelHolder, IntelSnapshot, type Indicator, type IntelHit } from './intel/indicator';
export { intelFileSchema, type IntelConfig, type IntelListConfig } from './intel/intel.schema';
export { loadIntel, loadList, type IntelIo } from './intel/load';
export { AssetLookup, type AssetContext, type AssetMatch } from './assets/assets';
export { assetsFileSchema, type AssetsFile } from './assets/assets.schema';
export { loadAssets, loadAssetsFile } from './assets/load';
export { EnrichmentHolder, ENRICHMENT_CONFIG, loadEnrichment, type EnrichmentConfig } from './tables';
export { rollUpEnrichment, type EnrichmentRollup } from './rollup';
export { describeEnrichment } from './describe';
