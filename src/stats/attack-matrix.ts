import type { AttackTable } from '../enrichment/attack/attack-table';
import type { JsonColumns } from '../database/rows';
import type { AttackMatrix, GeoTops } from './stats-view';

/** Incidents per matrix cell (`incident_attack`; technique null: the tactic itself), as the stats statement counts them. */
export type AttackCountRow = JsonColumns<'incident_attack', 'tactic' | 'technique'> & { incidents: number };

/** A technique's name as the matrix shows it: a sub-technique after its parent's (ATT&CK's own "Parent: Sub"). */
function techniqueName(table: AttackTable, id: string): string {
  const found = table.technique(id);
  // An id this table revoked since (stored by an older one) keeps its id rather than its replacement's name.
  if (!found.found || found.replaces) return id;
  const { name, parent } = found.technique;
  return parent ? `${parent.name}: ${name}` : name;
}

/**
 * The ATT&CK matrix of the range: every tactic of the table as a column, in kill-chain order
 * (zeros included, so the matrix keeps its shape), each with the incidents that reached it and its
 * techniques with theirs, most incidents first. A tactic the table does not know (stored by
 * another ATT&CK version) follows, under its id.
 */
export function attackMatrix(table: AttackTable, rows: readonly AttackCountRow[]): AttackMatrix {
  const columns = new Map(
    table.killChain.map((t) => [t.id, { ...t, incidents: 0, techniques: [] as AttackMatrix['tactics'][number]['techniques'] }]),
  );
  const column = (id: string) => {
    let c = columns.get(id);
    if (!c) columns.set(id, (c = { id, shortname: id, name: id, incidents: 0, techniques: [] }));
    return c;
  };
  for (const r of rows) {
    const c = column(r.tactic);
    if (r.technique === null) c.incidents += r.incidents;
    else c.techniques.push({ id: r.technique, name: techniqueName(table, r.technique), incidents: r.incidents });
  }
  for (const c of columns.values()) c.techniques.sort((a, b) => b.incidents - a.incidents || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { version: table.version, tactics: [...columns.values()] };
}

/** One `alert_geo_rollups` sum: a country (ISO code) or an ASN (its number as text) with its name. */
export type GeoCountRow = JsonColumns<'alert_geo_rollups', 'kind' | 'value' | 'label'> & { /** sum(alerts)::float8 */ alerts: number };

/** The top countries and ASNs from their rollup sums (each already ordered and limited by the statement). */
export function geoTops(rows: readonly GeoCountRow[]): GeoTops {
  return {
    topCountries: rows.filter((r) => r.kind === 'country').map((r) => ({ iso: r.value, name: r.label, alerts: r.alerts })),
    topAsns: rows.filter((r) => r.kind === 'asn').map((r) => ({ number: Number(r.value), organization: r.label, alerts: r.alerts })),
  };
}
