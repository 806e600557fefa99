import { attackCellsOf } from '../enrichment/attack/cells';
import type { ChangeSet } from './engine';

/** One `alert_rollups` increment: alerts of the run with these fields. */
export interface AlertRollupDelta {
  severity: string;
  type: string;
  status: string;
  storm: boolean;
  alerts: number;
}

/** One `alert_geo_rollups` increment: alerts of the run whose source address is in this country or ASN. */
export interface GeoRollupDelta {
  kind: 'country' | 'asn';
  value: string;
  label: string | null;
  alerts: number;
}

/** A matrix cell an incident's alert of the run falls in (`incident_attack`). */
export interface IncidentAttackCell {
  incidentId: string;
  tactic: string;
  technique: string | null;
}

export interface RollupDeltas {
  alerts: AlertRollupDelta[];
  sources: { ip: string; alerts: number }[];
  geo: GeoRollupDelta[];
  attack: IncidentAttackCell[];
}

/**
 * What a run adds to the rollups, sorted by key: every transaction upserts rollup rows in
 * the same order, so two concurrent ingests wait on each other and never deadlock.
 */
export function rollupDeltas(c: ChangeSet): RollupDeltas {
  const storms = new Set([...c.stormSources.keys(), ...[...c.created.values()].filter((i) => i.storm).map((i) => i.id)]);
  const alerts = new Map<string, AlertRollupDelta>();
  const sources = new Map<string, number>();
  const geo = new Map<string, GeoRollupDelta>();
  const attack = new Map<string, IncidentAttackCell>();
  const addGeo = (kind: GeoRollupDelta['kind'], value: string, label: string | undefined) => {
    const key = JSON.stringify([kind, value]);
    const row = geo.get(key) ?? { kind, value, label: label ?? null, alerts: 0 };
    row.alerts += 1;
    geo.set(key, row);
  };
  for (const { alert, status, incidentId, enrichment } of c.alerts) {
    const storm = status === 'new' && incidentId !== null && storms.has(incidentId);
    const key = JSON.stringify([alert.severity, alert.type, status, storm]);
    const row = alerts.get(key) ?? { severity: alert.severity, type: alert.type, status, storm, alerts: 0 };
    row.alerts += 1;
    alerts.set(key, row);
    if (alert.sourceIp) sources.set(alert.sourceIp, (sources.get(alert.sourceIp) ?? 0) + 1);
    const source = enrichment?.source;
    if (source?.country) addGeo('country', source.country.iso, source.country.name);
    if (source?.asn) addGeo('asn', String(source.asn.number), source.asn.organization);
    // A suppressed alert joins no incident: it adds no cell.
    if (enrichment && incidentId !== null)
      for (const cell of attackCellsOf(enrichment))
        attack.set(JSON.stringify([incidentId, cell.tactic, cell.technique ?? '']), { incidentId, ...cell });
  }
  const byKey = <T>(entries: [string, T][]) => entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return {
    alerts: byKey([...alerts]),
    sources: byKey([...sources].map(([ip, n]): [string, { ip: string; alerts: number }] => [ip, { ip, alerts: n }])),
    geo: byKey([...geo]),
    attack: byKey([...attack]),
  };
}
