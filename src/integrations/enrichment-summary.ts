import type { EnrichmentRollup } from '../enrichment';

/** Most entries a channel names per kind; the rest are counted (`+3 more`). */
export const ENRICHMENT_LIST_CAP = 5;

/**
 * How a channel makes outside text safe: Slack escapes mrkdwn, Jira cleans for ADF. Each cuts to `max`.
 * `code` is for an indicator (an address, domain, URL or hash), which Slack shows as code.
 */
export interface ChannelText {
  text(raw: string, max: number): string;
  code(raw: string, max: number): string;
}

export interface EnrichmentLine {
  label: string;
  /** Already made safe by the channel's ChannelText. */
  value: string;
}

const capped = (items: string[], total: number, separator: string): string =>
  items.join(separator) + (total > items.length ? ` +${total - items.length} more` : '');

function line<T>(label: string, entries: readonly T[], show: (e: T) => string, separator = ', '): EnrichmentLine[] {
  if (entries.length === 0) return [];
  return [{ label, value: capped(entries.slice(0, ENRICHMENT_LIST_CAP).map(show), entries.length, separator) }];
}

const refOf = (ref: EnrichmentRollup['intel'][number]['ref']): { kind: string; name: string } | null => {
  if (!ref) return null;
  return ref.type === 'misp' ? { kind: 'MISP event', name: ref.info ?? ref.event } : { kind: 'STIX', name: ref.name ?? ref.id };
};

/**
 * An incident's rolled-up enrichment as a few labelled lines for the Slack top message and the
 * Jira description: countries, networks, techniques, tactics, threat-intel hits and assets, the
 * most frequent first, at most ENRICHMENT_LIST_CAP each. A kind with nothing in it has no line.
 */
export function enrichmentLines(r: EnrichmentRollup, t: ChannelText): EnrichmentLine[] {
  return [
    ...line('Countries', r.countries, (c) => t.text(c.name ? `${c.iso} ${c.name}` : c.iso, 80)),
    ...line('Networks', r.asns, (a) => t.text(`AS${a.number}${a.organization ? ` ${a.organization}` : ''}`, 80)),
    ...line('Techniques', r.techniques, (x) => t.text(`${x.id} ${x.name}`, 100)),
    ...line('Tactics', r.tactics, (x) => t.text(`${x.id} ${x.name}`, 60)),
    ...line(
      'Threat intel',
      r.intel,
      (h) => {
        const ref = refOf(h.ref);
        return `${t.code(h.indicator, 120)} on ${t.text(h.list, 60)} (confidence ${h.confidence}${ref ? `, ${ref.kind} ${t.text(ref.name, 100)}` : ''})`;
      },
      '; ',
    ),
    ...line(
      'Assets',
      r.assets,
      (a) =>
        `${t.text(a.name, 80)} (${[
          a.kind === 'host' ? null : a.kind,
          a.criticality,
          a.owner ? `owner ${t.text(a.owner, 60)}` : null,
          a.team ? `team ${t.text(a.team, 60)}` : null,
        ]
          .filter(Boolean)
          .join(', ')})`,
      '; ',
    ),
  ];
}
