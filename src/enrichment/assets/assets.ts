import { highestCriticality, type Criticality, type SecurityAlert } from '../../domain';
import { CidrMap, parseCidr, parseIp } from '../ip';
import type { AssetsFile, HostAsset, NetworkAsset, UserAsset } from './assets.schema';

export type AssetKind = 'host' | 'network' | 'user';

/** One asset or identity an alert touches. Plain data. */
export interface AssetMatch {
  kind: AssetKind;
  /** The asset's name: the host, the network's name or CIDR, the user. */
  name: string;
  /** The alert's field that matched, and its value. */
  field: 'host' | 'user' | 'sourceIp' | 'destinationIp';
  matched: string;
  criticality: Criticality;
  owner?: string;
  team?: string;
  tags: string[];
}

export interface AssetContext {
  assets: AssetMatch[];
  /** The highest criticality among them; absent when the alert touches no known asset. */
  criticality?: Criticality;
}

export type AssetSource = Pick<SecurityAlert, 'host' | 'user' | 'sourceIp' | 'destinationIp'>;

type Entry = { kind: AssetKind; name: string } & Pick<AssetMatch, 'criticality' | 'owner' | 'team' | 'tags'>;

const entryOf = (kind: AssetKind, name: string, a: HostAsset | NetworkAsset | UserAsset): Entry => ({
  kind,
  name,
  criticality: a.criticality,
  ...(a.owner ? { owner: a.owner } : {}),
  ...(a.team ? { team: a.team } : {}),
  tags: a.tags,
});

/** `CORP\alice` → `alice`; `alice@corp.example` → `alice`. */
const bareUser = (user: string): string => {
  const afterDomain = user.slice(user.lastIndexOf('\\') + 1);
  const at = afterDomain.indexOf('@');
  return at > 0 ? afterDomain.slice(0, at) : afterDomain;
};

/**
 * The assets and identities of config/assets.yaml, indexed: hosts and users by name (without
 * case), networks by CIDR. Immutable; a reload builds a new one.
 */
export class AssetLookup {
  private readonly hosts = new Map<string, Entry[]>();
  private readonly users = new Map<string, Entry[]>();
  private readonly networks = new CidrMap<Entry>();

  constructor(file: Pick<AssetsFile, 'hosts' | 'networks' | 'users'>) {
    for (const h of file.hosts) for (const name of [h.name, ...h.aliases]) add(this.hosts, name.toLowerCase(), entryOf('host', h.name, h));
    for (const u of file.users) for (const name of [u.name, ...u.aliases]) add(this.users, name.toLowerCase(), entryOf('user', u.name, u));
    for (const n of file.networks) this.networks.add(parseCidr(n.cidr)!, entryOf('network', n.name ?? n.cidr, n));
  }

  get size(): number {
    return this.hosts.size + this.users.size + this.networks.size;
  }

  enrich(alert: AssetSource): AssetContext {
    const assets: AssetMatch[] = [];
    const found = (field: AssetMatch['field'], matched: string, entries: readonly Entry[]) => {
      for (const e of entries) {
        if (assets.some((a) => a.kind === e.kind && a.name === e.name)) continue;
        const match: AssetMatch = { kind: e.kind, name: e.name, field, matched, criticality: e.criticality, tags: e.tags };
        if (e.owner) match.owner = e.owner;
        if (e.team) match.team = e.team;
        assets.push(match);
      }
    };
    if (alert.host) {
      const host = alert.host.toLowerCase();
      const ip = parseIp(host);
      if (ip) found('host', alert.host, this.networks.match(ip));
      else found('host', alert.host, this.hosts.get(host) ?? this.hosts.get(host.split('.', 1)[0]) ?? []);
    }
    if (alert.user) {
      const user = alert.user.toLowerCase();
      found('user', alert.user, this.users.get(user) ?? this.users.get(bareUser(user)) ?? []);
    }
    for (const field of ['sourceIp', 'destinationIp'] as const) {
      const value = alert[field];
      const ip = value ? parseIp(value) : undefined;
      if (ip) found(field, value!, this.networks.match(ip));
    }
    const criticality = highestCriticality(assets.map((a) => a.criticality));
    return criticality ? { assets, criticality } : { assets };
  }
}

function add(map: Map<string, Entry[]>, key: string, entry: Entry): void {
  const list = map.get(key);
  if (!list) map.set(key, [entry]);
  else if (!list.some((e) => e.name === entry.name)) list.push(entry);
}
