import { highestCriticality, type Criticality } from '../domain';
import type { AssetMatch } from './assets/assets';
import type { Enrichment } from './enrichment';
import type { IndicatorRef } from './intel/indicator';

/** An incident's enrichment in one place: what its alerts have in common, each with how many alerts carry it. */
export interface EnrichmentRollup {
  /** Countries of the alerts' addresses (source and destination). */
  countries: { iso: string; name?: string; alerts: number }[];
  asns: { number: number; organization?: string; alerts: number }[];
  techniques: { id: string; name: string; alerts: number }[];
  tactics: { id: string; shortname: string; name: string; alerts: number }[];
  /** Threat-intel indicators matched, by list and indicator, with the highest confidence seen for it. */
  intel: { list: string; indicator: string; confidence: number; ref?: IndicatorRef; alerts: number }[];
  assets: (Pick<AssetMatch, 'kind' | 'name' | 'criticality' | 'owner' | 'team' | 'tags'> & { alerts: number })[];
  /** The highest criticality among the assets. */
  criticality?: Criticality;
}

/**
 * Rolls up the enrichment of an incident's alerts (null: an alert stored without). Each entry
 * counts an alert once, in the order first seen, then by count (most alerts first).
 */
export function rollUpEnrichment(enrichments: readonly (Enrichment | null | undefined)[]): EnrichmentRollup {
  const countries = new Tally<EnrichmentRollup['countries'][number]>();
  const asns = new Tally<EnrichmentRollup['asns'][number]>();
  const techniques = new Tally<EnrichmentRollup['techniques'][number]>();
  const tactics = new Tally<EnrichmentRollup['tactics'][number]>();
  const intel = new Tally<EnrichmentRollup['intel'][number]>();
  const assets = new Tally<EnrichmentRollup['assets'][number]>();
  for (const e of enrichments) {
    if (!e) continue;
    const seen = new Set<string>();
    const once = <T extends { alerts: number }>(tally: Tally<T>, key: string, make: () => Omit<T, 'alerts'>) => {
      if (seen.has(key)) return;
      seen.add(key);
      tally.add(key, make);
    };
    for (const geo of [e.source, e.destination]) {
      if (geo?.country) once(countries, `c:${geo.country.iso}`, () => ({ ...geo.country! }));
      if (geo?.asn) once(asns, `a:${geo.asn.number}`, () => ({ ...geo.asn! }));
    }
    for (const t of e.techniques) once(techniques, `t:${t.id}`, () => ({ id: t.id, name: t.name }));
    for (const t of e.tactics) once(tactics, `ta:${t.id}`, () => ({ id: t.id, shortname: t.shortname, name: t.name }));
    for (const h of e.intel) {
      const key = `i:${h.list}\u0000${h.indicator}`;
      once(intel, key, () => ({ list: h.list, indicator: h.indicator, confidence: h.confidence, ...(h.ref ? { ref: h.ref } : {}) }));
      // A list refreshed between two alerts may have changed an indicator's confidence: the highest stands.
      const entry = intel.get(key)!;
      if (h.confidence > entry.confidence) entry.confidence = h.confidence;
    }
    for (const a of e.assets)
      once(assets, `as:${a.kind}\u0000${a.name}`, () => ({
        kind: a.kind,
        name: a.name,
        criticality: a.criticality,
        ...(a.owner ? { owner: a.owner } : {}),
        ...(a.team ? { team: a.team } : {}),
        tags: a.tags,
      }));
  }
  const rollup: EnrichmentRollup = {
    countries: countries.sorted(),
    asns: asns.sorted(),
    techniques: techniques.sorted(),
    tactics: tactics.sorted(),
    intel: intel.sorted(),
    assets: assets.sorted(),
  };
  const criticality = highestCriticality(rollup.assets.map((a) => a.criticality));
  if (criticality) rollup.criticality = criticality;
  return rollup;
}

class Tally<T extends { alerts: number }> {
  private readonly entries = new Map<string, T>();

  add(key: string, make: () => Omit<T, 'alerts'>): void {
    const there = this.entries.get(key);
    if (there) there.alerts++;
    else this.entries.set(key, { ...make(), alerts: 1 } as T);
  }

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  /** Most alerts first; ties keep the order first seen (Array.prototype.sort is stable). */
  sorted(): T[] {
    return [...this.entries.values()].sort((a, b) => b.alerts - a.alerts);
  }
}
