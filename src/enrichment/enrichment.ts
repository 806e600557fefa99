import type { Criticality, SecurityAlert } from '../domain';
import type { AssetLookup, AssetMatch } from './assets/assets';
import type { AttackLookup, TacticHit, TechniqueHit } from './attack/attack';
import { GeoIp, type AddressGeo } from './geoip/geoip';
import type { IntelHit, IntelSnapshot } from './intel/indicator';
import { observablesOf } from './intel/observables';

/** What Warden adds to an alert from its own tables. Plain data: stored and shown as it is. */
export interface Enrichment {
  /** The alert's source and destination addresses: internal, or country, city and ASN. */
  source?: AddressGeo;
  destination?: AddressGeo;
  /** ATT&CK techniques and tactics, with names, from the payload and the alert type. */
  techniques: TechniqueHit[];
  tactics: TacticHit[];
  /** Threat-intel indicators the alert's addresses, domains, URLs or hashes matched. */
  intel: IntelHit[];
  /** Assets and identities the alert touches, and the highest criticality among them. */
  assets: AssetMatch[];
  criticality?: Criticality;
  /** Revoked, deprecated or unknown ATT&CK ids, one line each. */
  warnings: string[];
}

/** The loaded tables; a lookup that is not there adds nothing (addresses are still marked internal). */
export interface EnrichmentTables {
  geoip?: GeoIp;
  attack?: AttackLookup;
  intel?: IntelSnapshot;
  assets?: AssetLookup;
}

const internalOnly = new GeoIp();

/** Enriches one normalized alert. Pure: the tables and `now` (epoch ms, for intel expiry) are given. */
export function enrichAlert(alert: SecurityAlert, tables: EnrichmentTables, now: number): Enrichment {
  const geoip = tables.geoip ?? internalOnly;
  const attack = tables.attack?.enrich(alert);
  const assets = tables.assets?.enrich(alert);
  const enrichment: Enrichment = {
    techniques: attack?.techniques ?? [],
    tactics: attack?.tactics ?? [],
    intel: tables.intel ? tables.intel.match(observablesOf(alert), now) : [],
    assets: assets?.assets ?? [],
    warnings: attack?.warnings ?? [],
  };
  if (alert.sourceIp) enrichment.source = geoip.lookup(alert.sourceIp);
  if (alert.destinationIp) enrichment.destination = geoip.lookup(alert.destinationIp);
  if (assets?.criticality) enrichment.criticality = assets.criticality;
  return enrichment;
}
