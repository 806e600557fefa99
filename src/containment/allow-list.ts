import { BlockList, isIP, SocketAddress } from 'node:net';
import type { ContainmentConfig } from './containment.schema';

/**
 * What containment may never touch, and what a target must look like before anything acts
 * on it. Pure functions: the containment service calls them before any adapter runs.
 */

export type TargetKind = 'ip' | 'user' | 'host';
export type AllowList = ContainmentConfig['allow_list'];

export const MAX_NAME_LENGTH = 256;

// C0, DEL and C1 controls, plus the Unicode line and paragraph separators: none belongs in a
// user or host name, and each can split a log line, a header or a filter.
const CONTROL = /[\p{Cc}\u2028\u2029]/u;

/**
 * The canonical text of an IP address (lower case, IPv6 compressed), or null when `raw` is not
 * one. An IPv4-mapped IPv6 address (::ffff:10.0.0.1, as dual-stack sockets report IPv4 peers)
 * becomes the IPv4 address it carries: that is the address traffic comes from, so the one to block.
 * Zone ids (fe80::1%eth0) are refused: they name an interface, not a host.
 */
export function normalizeIp(raw: string): string | null {
  const family = isIP(raw);
  if (family === 0 || raw.includes('%')) return null;
  const canonical = new SocketAddress({ address: raw, family: family === 4 ? 'ipv4' : 'ipv6' }).address;
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(canonical)?.[1] ?? canonical;
}

/** Names compare as the directories holding them do: case-insensitively (userName is caseExact=false in SCIM), compatibility forms folded. */
const foldName = (name: string) => name.normalize('NFKC').toLowerCase();
/** A fully qualified name may end in a dot ("gw.example.com." is "gw.example.com"). */
const foldHost = (host: string) => foldName(host).replace(/\.+$/, '');

/**
 * Checks `raw` (a rendered `with.ip|user|host`) for its kind and returns the value to act on:
 * an IP in canonical form; a user or host name trimmed, non-empty, at most 256 characters,
 * without control characters. Anything else is refused here, so it never reaches a command
 * line, a URL or a filter.
 */
export function validateTarget(kind: TargetKind, raw: unknown): { ok: true; target: string } | { ok: false; reason: string } {
  if (typeof raw !== 'string') return { ok: false, reason: `${kind} must be a string, got ${raw === null ? 'null' : typeof raw}` };
  if (kind === 'ip') {
    const ip = normalizeIp(raw.trim());
    if (ip === null) return { ok: false, reason: 'ip is not an IPv4 or IPv6 address' };
    if (ip === '0.0.0.0' || ip === '::') return { ok: false, reason: `ip ${ip} is the unspecified address, not a host` };
    return { ok: true, target: ip };
  }
  const name = raw.trim();
  if (name.length === 0) return { ok: false, reason: `${kind} is empty` };
  if (name.length > MAX_NAME_LENGTH) return { ok: false, reason: `${kind} is longer than ${MAX_NAME_LENGTH} characters` };
  if (CONTROL.test(name)) return { ok: false, reason: `${kind} contains control characters` };
  if (kind === 'host' && /^\.+$/.test(name)) return { ok: false, reason: 'host is only dots' };
  return { ok: true, target: name };
}

/**
 * Whether containment may act on `target`. IPs are checked against the CIDRs (an IPv4-mapped
 * IPv6 address matches its IPv4 CIDR); users and hosts by name, case-insensitively, a host
 * also without its trailing dot. The reason names the entry that matched.
 */
export function allowListVerdict(
  allow: AllowList,
  kind: TargetKind,
  target: string,
): { allowed: true } | { allowed: false; reason: string } {
  if (kind === 'ip') {
    const ip = normalizeIp(target.trim());
    if (ip === null) return { allowed: false, reason: `"${target.slice(0, 64)}" is not an IP address` };
    const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
    for (const entry of allow.cidrs) {
      const list = new BlockList();
      const [address, bits] = entry.split('/');
      const entryFamily = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) list.addAddress(address, entryFamily);
      else list.addSubnet(address, Number(bits), entryFamily);
      // BlockList matches an IPv4 rule against an IPv4-mapped IPv6 address too, so checking the canonical form suffices.
      if (list.check(ip, family)) return { allowed: false, reason: `ip ${ip} is on the allow-list (${entry})` };
    }
    return { allowed: true };
  }
  const fold = kind === 'host' ? foldHost : foldName;
  const wanted = fold(target.trim());
  const entries = kind === 'user' ? allow.users : allow.hosts;
  const match = entries.find((entry) => fold(entry.trim()) === wanted);
  return match === undefined ? { allowed: true } : { allowed: false, reason: `${kind} ${target} is on the allow-list (${match})` };
}
