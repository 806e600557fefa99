import type { SecurityAlert } from '../../domain';
import { ecsDocument, stringsAt } from '../payload';
import { canonicalDomain, classify, parseUrl, type Observable, type Observables } from './indicator';

export type ObservableSource = Pick<SecurityAlert, 'source' | 'sourceIp' | 'destinationIp' | 'raw'>;

/** Payload paths holding domains, URLs and hashes, per monitor format (by the normalized `source`). */
const PATHS: Record<'suricata' | 'ecs' | 'wazuh' | 'falco', { domains: string[]; urls: string[]; hashes: string[] }> = {
  suricata: {
    domains: ['dns.rrname', 'dns.query.rrname', 'dns.queries.rrname', 'http.hostname', 'tls.sni'],
    urls: [],
    hashes: ['fileinfo.md5', 'fileinfo.sha1', 'fileinfo.sha256'],
  },
  ecs: {
    domains: ['url.domain', 'destination.domain', 'source.domain', 'dns.question.name', 'server.domain'],
    urls: ['url.full', 'url.original'],
    hashes: [
      'file.hash.md5',
      'file.hash.sha1',
      'file.hash.sha256',
      'process.hash.md5',
      'process.hash.sha1',
      'process.hash.sha256',
      'related.hash',
    ],
  },
  wazuh: {
    domains: [],
    urls: ['data.url'],
    hashes: [
      'syscheck.md5_after',
      'syscheck.sha1_after',
      'syscheck.sha256_after',
      'data.virustotal.source.md5',
      'data.virustotal.source.sha1',
    ],
  },
  falco: { domains: ['output_fields.fd.sip.name'], urls: [], hashes: [] },
};

const formatOf = (source: string): keyof typeof PATHS | undefined =>
  // Own keys only: an alert's source is outside text ("constructor" is on every object's prototype).
  source.startsWith('ecs:') ? 'ecs' : Object.hasOwn(PATHS, source) ? (source as keyof typeof PATHS) : undefined;

/**
 * What of an alert can be on a threat-intel list: its source and destination addresses, and
 * the domains, URLs and file hashes its payload carries (the host of each URL counts as a
 * domain too). Canonical, as indicators are, each with the field it was read from.
 */
export function observablesOf(alert: ObservableSource): Observables {
  const o: Observables = { ips: [], domains: [], urls: [], hashes: [] };
  if (alert.sourceIp) o.ips.push({ field: 'sourceIp', value: alert.sourceIp });
  if (alert.destinationIp && alert.destinationIp !== alert.sourceIp) o.ips.push({ field: 'destinationIp', value: alert.destinationIp });
  const format = formatOf(alert.source);
  if (!format) return o;
  const doc = format === 'ecs' ? ecsDocument(alert.raw) : alert.raw;
  const paths = PATHS[format];
  for (const path of paths.domains) for (const v of stringsAt(doc, path)) addDomain(o, path, v);
  for (const path of paths.urls) for (const v of stringsAt(doc, path)) addUrl(o, path, v);
  if (format === 'suricata') {
    // EVE splits a request into http.hostname and http.url (the path).
    const [host] = stringsAt(doc, 'http.hostname');
    const [path] = stringsAt(doc, 'http.url');
    if (host && path?.startsWith('/')) addUrl(o, 'http.url', `http://${host}${path}`);
  }
  for (const path of paths.hashes) {
    for (const v of stringsAt(doc, path)) {
      const c = classify(v, 'hash');
      if (c) push(o.hashes, path, c.value);
    }
  }
  return o;
}

function addDomain(o: Observables, field: string, value: string): void {
  const d = canonicalDomain(value);
  if (d) push(o.domains, field, d);
}

function addUrl(o: Observables, field: string, value: string): void {
  const url = parseUrl(value);
  if (!url) return;
  push(o.urls, field, url.href);
  addDomain(o, field, url.hostname);
}

function push(list: Observable[], field: string, value: string): void {
  if (!list.some((x) => x.value === value)) list.push({ field, value });
}
