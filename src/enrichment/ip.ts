import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** An address as a number: IPv4 as an unsigned 32-bit integer, IPv6 as a 128-bit bigint. */
export type IpAddress = { version: 4; value: number } | { version: 6; value: bigint };
/** A network: the address with its host bits cleared, and the prefix length. */
export type Cidr = IpAddress & { prefix: number };

const MAX_TEXT = 64;

/**
 * Parses an IPv4 or IPv6 address as Node does (four-part decimal IPv4 only, no zone id). An
 * IPv4-mapped IPv6 address (::ffff:1.2.3.4) is read as the IPv4 address, as ingest stores it.
 */
export function parseIp(text: string): IpAddress | undefined {
  if (text.length > MAX_TEXT) return undefined;
  const version = isIP(text);
  if (version === 4) return { version: 4, value: ipv4Number(text) };
  if (version !== 6 || text.includes('%')) return undefined;
  const v6 = ipaddr.IPv6.parse(text);
  if (v6.isIPv4MappedAddress()) return { version: 4, value: ipv4Number(v6.toIPv4Address().toString()) };
  let value = 0n;
  for (const part of v6.parts) value = (value << 16n) | BigInt(part);
  return { version: 6, value };
}

/** `a.b.c.d/n`, `x:y::/n`, or a bare address (a /32 or /128). Host bits past the prefix are cleared. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(address);
  if (!ip) return undefined;
  const max = isIP(address) === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const digits = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(digits)) return undefined;
    prefix = Number(digits);
    if (prefix > max) return undefined;
  }
  // An IPv4-mapped IPv6 network (::ffff:10.0.0.0/104) is the IPv4 network it maps.
  if (ip.version === 4 && max === 128) {
    prefix -= 96;
    if (prefix < 0) return undefined;
  }
  return ip.version === 4
    ? { version: 4, value: (networkKey4(ip.value, prefix) << shift4(prefix)) >>> 0, prefix }
    : { version: 6, value: networkKey6(ip.value, prefix) << BigInt(128 - prefix), prefix };
}

/** The network part of an IPv4 address as a number, for bucket keys. */
export const networkKey4 = (value: number, prefix: number): number => (prefix === 0 ? 0 : value >>> (32 - prefix));
export const networkKey6 = (value: bigint, prefix: number): bigint => value >> BigInt(128 - prefix);
const shift4 = (prefix: number) => (prefix === 0 ? 0 : 32 - prefix);

/** A four-part decimal IPv4 address (already checked by isIP) as a number; by hand, it is on every lookup's path. */
function ipv4Number(text: string): number {
  let value = 0;
  let octet = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      value = value * 256 + octet;
      octet = 0;
    } else octet = octet * 10 + (c - 48);
  }
  return value * 256 + octet;
}

/** The text form of a parsed network, canonical (IPv6 compressed, lower-case). */
export function formatCidr(cidr: Cidr): string {
  if (cidr.version === 4) {
    const v = cidr.value;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/${cidr.prefix}`;
  }
  const parts: number[] = [];
  for (let i = 7; i >= 0; i--) parts.push(Number((cidr.value >> BigInt(i * 16)) & 0xffffn));
  return `${new ipaddr.IPv6(parts).toRFC5952String()}/${cidr.prefix}`;
}

/**
 * ipaddr.js names for ranges that are never a place on the internet: RFC 1918, loopback,
 * link-local, CGNAT (RFC 6598), ULA, documentation, benchmarking and other reserved blocks,
 * multicast, broadcast, unspecified, deprecated site-local and the discard prefix. Global
 * unicast, 6to4, Teredo, AS112 and AMT are routable and get a lookup.
 */
const INTERNAL_RANGES: ReadonlySet<string> = new Set([
  'private',
  'loopback',
  'linkLocal',
  'carrierGradeNat',
  'uniqueLocal',
  'reserved',
  'benchmarking',
  'multicast',
  'broadcast',
  'unspecified',
  'deprecatedSiteLocal',
  'discard',
]);

/** The name of the special range an address is in (e.g. `private`, `loopback`), when it is internal. */
export function internalRange(ip: string): string | undefined {
  if (isIP(ip) === 0 || ip.includes('%')) return undefined;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  const range = addr.range();
  return INTERNAL_RANGES.has(range) ? range : undefined;
}

/**
 * Values keyed by network, found for an address by its most specific networks first. One map
 * per prefix length in use: a lookup costs one map read per length, whatever the count.
 */
export class CidrMap<T> {
  // A network holding one value (the rule) maps to it; one holding several to an array of them.
  private readonly v4 = new Map<number, Map<number, T | T[]>>();
  private readonly v6 = new Map<number, Map<bigint, T | T[]>>();
  private v4Prefixes: number[] = [];
  private v6Prefixes: number[] = [];
  private size_ = 0;

  get size(): number {
    return this.size_;
  }

  add(cidr: Cidr, value: T): void {
    this.size_++;
    if (cidr.version === 4) {
      const key = networkKey4(cidr.value, cidr.prefix);
      push(
        bucket(this.v4, cidr.prefix, () => (this.v4Prefixes = sortedDesc(this.v4Prefixes, cidr.prefix))),
        key,
        value,
      );
    } else {
      const key = networkKey6(cidr.value, cidr.prefix);
      push(
        bucket(this.v6, cidr.prefix, () => (this.v6Prefixes = sortedDesc(this.v6Prefixes, cidr.prefix))),
        key,
        value,
      );
    }
  }

  /** Every value whose network holds the address, the most specific network first. */
  match(ip: IpAddress): T[] {
    const found: T[] = [];
    if (ip.version === 4) {
      for (const prefix of this.v4Prefixes) collectInto(found, this.v4.get(prefix)!.get(networkKey4(ip.value, prefix)));
    } else {
      for (const prefix of this.v6Prefixes) collectInto(found, this.v6.get(prefix)!.get(networkKey6(ip.value, prefix)));
    }
    return found;
  }
}

function bucket<K, T>(byPrefix: Map<number, Map<K, T | T[]>>, prefix: number, onNew: () => void): Map<K, T | T[]> {
  let map = byPrefix.get(prefix);
  if (!map) {
    map = new Map();
    byPrefix.set(prefix, map);
    onNew();
  }
  return map;
}

// Values are never arrays themselves (indicators, asset entries), so an array is always a list of several.
function push<K, T>(map: Map<K, T | T[]>, key: K, value: T): void {
  const there = map.get(key);
  if (there === undefined) map.set(key, value);
  else if (Array.isArray(there)) there.push(value);
  else map.set(key, [there, value]);
}

function collectInto<T>(found: T[], hit: T | T[] | undefined): void {
  if (hit === undefined) return;
  if (Array.isArray(hit)) found.push(...hit);
  else found.push(hit);
}

const sortedDesc = (list: number[], add: number) => [...list, add].sort((a, b) => b - a);
