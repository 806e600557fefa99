import type { AddressGeo } from './geoip/geoip';
import type { Enrichment } from './enrichment';

const place = (g: AddressGeo): string =>
  g.internal
    ? `internal (${g.range ?? 'reserved'})`
    : [g.country?.iso, g.city, g.asn ? `AS${g.asn.number}${g.asn.organization ? ` ${g.asn.organization}` : ''}` : undefined]
        .filter(Boolean)
        .join(' ') || 'unknown';

/**
 * One line of an alert's enrichment, for the CLI: `src 1.2.3.4 CN AS4134 · dst 10.0.0.5 internal (private) ·
 * T1059.001 Command and Scripting Interpreter: PowerShell (from T1086) · tactics TA0002 · intel feodo:1.2.3.4 ·
 * assets db-1 critical team dba`. Empty parts are left out; nothing at all is `-`.
 */
export function describeEnrichment(e: Enrichment): string {
  const parts: string[] = [];
  if (e.source) parts.push(`src ${e.source.ip} ${place(e.source)}`);
  if (e.destination) parts.push(`dst ${e.destination.ip} ${place(e.destination)}`);
  if (e.techniques.length > 0)
    parts.push(e.techniques.map((t) => `${t.id} ${t.name}${t.replaces ? ` (from ${t.replaces})` : ''}`).join(', '));
  if (e.tactics.length > 0) parts.push(`tactics ${e.tactics.map((t) => t.shortname).join(',')}`);
  if (e.intel.length > 0) parts.push(`intel ${e.intel.map((h) => `${h.list}:${h.indicator}`).join(', ')}`);
  if (e.assets.length > 0)
    parts.push(`assets ${e.assets.map((a) => `${a.name} ${a.criticality}${a.team ? ` team ${a.team}` : ''}`).join(', ')}`);
  return parts.join(' · ') || '-';
}
