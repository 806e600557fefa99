/**
 * A storm is one burst of one kind of alert: a rule, plus the values of its `kind_by`
 * fields (alert type and monitor by default). Its key spells them URI-encoded, so free text
 * containing `|` or `=` cannot forge another kind, and a `storm=` prefix no correlation
 * key has.
 */
export interface StormKind {
  rule: string;
  type?: string;
  source?: string;
}

export function formatStormKind(kind: StormKind): string {
  const parts = [`storm=${encodeURIComponent(kind.rule)}`];
  if (kind.type !== undefined) parts.push(`type=${encodeURIComponent(kind.type)}`);
  if (kind.source !== undefined) parts.push(`source=${encodeURIComponent(kind.source)}`);
  return parts.join('|');
}

/** The kind a stored storm key (or kind) names; null for anything else. */
export function parseStormKind(key: string | null | undefined): StormKind | null {
  if (!key?.startsWith('storm=')) return null;
  const kind: StormKind = { rule: '' };
  for (const part of key.split('|')) {
    const at = part.indexOf('=');
    const [name, value] = [part.slice(0, at), decodeURIComponent(part.slice(at + 1))];
    if (name === 'storm') kind.rule = value;
    else if (name === 'type' || name === 'source') kind[name] = value;
  }
  return kind;
}

/** How people read a storm's kind: "port_scan from suricata (rule medium)". */
export function describeStormKind(kind: StormKind): string {
  return `${kind.type ?? 'alerts of every type'}${kind.source !== undefined ? ` from ${kind.source}` : ''} (rule ${kind.rule})`;
}
