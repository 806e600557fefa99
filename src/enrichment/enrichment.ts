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

/** What Warden's tables say about one address, as the IP investigation shows it. Plain data. */
export interface AddressEnrichment extends AddressGeo {
  /** Indicators of the loaded lists the address is (or is inside of). */
  intel: Omit<IntelHit, 'matched' | 'field'>[];
  /** Networks of config/assets.yaml the address is in, and the highest criticality among them. */
  assets: Omit<AssetMatch, 'matched' | 'field'>[];
  criticality?: Criticality;
}

/** Looks one address up in the tables as they are now (`now`, epoch ms, for intel expiry). Pure. */
export function enrichAddress(ip: string, tables: EnrichmentTables, now: number): AddressEnrichment {
  const geo = (tables.geoip ?? internalOnly).lookup(ip);
  const hits = tables.intel ? tables.intel.match({ ips: [{ field: 'ip', value: ip }], domains: [], urls: [], hashes: [] }, now) : [];
  const context = tables.assets?.enrich({ sourceIp: ip });
  const address: AddressEnrichment = {
    ...geo,
    intel: hits.map(({ matched: _matched, field: _field, ...hit }) => hit),
    assets: (context?.assets ?? []).map(({ matched: _matched, field: _field, ...asset }) => asset),
  };
  if (context?.criticality) address.criticality = context.criticality;
  return address;
}

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
