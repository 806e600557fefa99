// Micro-benchmark of the enrichment lookups (prints figures; not a test, and no database or Temporal):
// a generated 100,000-indicator intel list (IPv4 addresses, CIDRs, domains, hashes) loaded through the real
// text-list loader, MaxMind's test GeoIP databases, the ATT&CK table and a small asset inventory; then
// lookups per second for each lookup and for enrichAlert as a whole, and the heap each table takes.
//   node --expose-gc -r ts-node/register bench/enrichment.ts [indicators]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecurityAlert } from '../src/domain';
import { AssetLookup } from '../src/enrichment/assets/assets';
import { assetsFileSchema } from '../src/enrichment/assets/assets.schema';
import { AttackLookup, attackFileSchema } from '../src/enrichment/attack/attack';
import { loadAttackTable } from '../src/enrichment/attack/attack-table';
import { enrichAlert, type EnrichmentTables } from '../src/enrichment/enrichment';
import { loadGeoIp } from '../src/enrichment/geoip/geoip';
import { IntelHolder } from '../src/enrichment/intel/indicator';
import { intelFileSchema } from '../src/enrichment/intel/intel.schema';
import { loadIntel } from '../src/enrichment/intel/load';
import { observablesOf } from '../src/enrichment/intel/observables';
import { root } from './support';

const INDICATORS = Number(process.argv[2] ?? 100_000);
const LOOKUPS = 200_000;
const fixtures = join(root, 'test', 'fixtures');

/** Deterministic numbers (mulberry32), so every run builds the same list and asks the same questions. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(25);
const int = (n: number) => Math.floor(random() * n);
const publicIp = () => `${1 + int(222)}.${int(256)}.${int(256)}.${1 + int(254)}`;
const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[int(16)]).join('');

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

function rate(name: string, n: number, fn: (i: number) => unknown): void {
  for (let i = 0; i < Math.min(n, 5_000); i++) fn(i); // warm-up
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `  ${name.padEnd(44)} ${Math.round(n / seconds)
      .toLocaleString('en-US')
      .padStart(12)} /s  (${((1e6 * seconds) / n).toFixed(2)} µs each)`,
  );
}

async function main(): Promise<void> {
  if (!(globalThis as { gc?: () => void }).gc) console.log('(run with node --expose-gc for steadier heap figures)');
  console.log(
    `enrichment micro-benchmark: ${INDICATORS.toLocaleString('en-US')} indicators, ${LOOKUPS.toLocaleString('en-US')} lookups each\n`,
  );

  // The list: 70 % addresses, 10 % CIDRs (/16–/30), 10 % domains, 10 % SHA-256 hashes.
  const listed: string[] = [];
  for (let i = 0; i < INDICATORS; i++) {
    const r = random();
    if (r < 0.7) listed.push(publicIp());
    else if (r < 0.8) listed.push(`${1 + int(222)}.${int(256)}.${int(256)}.0/${16 + int(15)}`);
    else if (r < 0.9) listed.push(`${hex(10)}.example-${int(1000)}.com`);
    else listed.push(hex(64));
  }
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-enrichment-'));
  writeFileSync(join(dir, 'list.txt'), listed.join('\n'));

  const heap0 = heapMb();
  const intel = new IntelHolder();
  let started = performance.now();
  await loadIntel(
    intelFileSchema.parse({ lists: [{ name: 'generated', format: 'text', file: 'list.txt' }] }).lists,
    dir,
    intel,
    console.log,
  );
  const loadMs = performance.now() - started;
  const heapIntel = heapMb();
  const geoip = await loadGeoIp(
    {
      city: join(fixtures, 'geoip', 'GeoIP2-City-Test.mmdb'),
      country: join(fixtures, 'geoip', 'GeoIP2-Country-Test.mmdb'),
      asn: join(fixtures, 'geoip', 'GeoLite2-ASN-Test.mmdb'),
    },
    console.log,
  );
  const heapGeo = heapMb();
  started = performance.now();
  const attack = new AttackLookup(loadAttackTable(), attackFileSchema.parse({ types: { port_scan: { techniques: ['T1046'] } } }));
  const attackMs = performance.now() - started;
  const heapAttack = heapMb();
  const assets = new AssetLookup(
    assetsFileSchema.parse({
      hosts: Array.from({ length: 1000 }, (_, i) => ({ name: `host-${i}`, criticality: 'medium' })),
      networks: Array.from({ length: 200 }, (_, i) => ({ cidr: `10.${i}.0.0/16`, criticality: 'high' })),
      users: Array.from({ length: 1000 }, (_, i) => ({ name: `user${i}`, criticality: 'low' })),
    }),
  );
  const heapAssets = heapMb();
  rmSync(dir, { recursive: true });

  console.log('tables');
  console.log(
    `  intel: ${intel.current.size.toLocaleString('en-US')} indicators, loaded (read, parsed, indexed) in ${loadMs.toFixed(0)} ms, heap +${(heapIntel - heap0).toFixed(1)} MB`,
  );
  console.log(`  GeoIP test databases (City, Country, ASN; tens of KB): heap +${(heapGeo - heapIntel).toFixed(1)} MB`);
  console.log(`  ATT&CK table (835 techniques): built in ${attackMs.toFixed(0)} ms, heap +${(heapAttack - heapGeo).toFixed(1)} MB`);
  console.log(`  assets (1,000 hosts, 200 networks, 1,000 users): heap +${(heapAssets - heapAttack).toFixed(1)} MB`);
  console.log(`  heap used before any table ${heap0.toFixed(1)} MB, after all ${heapAssets.toFixed(1)} MB\n`);

  // Questions: a quarter of the addresses are listed (hits), the rest random public addresses (mostly misses).
  const addresses = listed.filter((v) => !v.includes('/') && v.includes('.') && /^\d/.test(v));
  const ips = Array.from({ length: 4096 }, (_, i) => (i % 4 === 0 ? addresses[int(addresses.length)] : publicIp()));
  const geoIps = ['81.2.69.142', '89.160.20.112', '216.160.83.56', '8.8.8.8', '10.1.2.3', '2001:218::1', '67.43.156.1', '1.128.0.1'];
  const alerts: SecurityAlert[] = ips.map((ip, i) => ({
    source: 'suricata',
    type: 'port_scan',
    severity: 'medium',
    title: 'scan',
    sourceIp: ip,
    destinationIp: i % 2 ? `10.${i % 200}.1.1` : geoIps[i % geoIps.length],
    host: `host-${i % 2000}`,
    user: `user${i % 2000}`,
    raw: { alert: { metadata: { mitre_technique_id: ['T1046'] } }, http: { hostname: `${hex(10)}.example-1.com`, url: '/a' } },
  }));
  const now = Date.now();
  const tables: EnrichmentTables = { geoip, attack, intel: intel.current, assets };
  const none = { domains: [], urls: [], hashes: [] };

  let hits = 0;
  for (const ip of ips) hits += intel.current.match({ ips: [{ field: 'sourceIp', value: ip }], ...none }, now).length;
  console.log(`lookups (${hits} of ${ips.length} sample addresses hit the list)`);
  rate('GeoIP (City + Country + ASN) per address', LOOKUPS, (i) => geoip.lookup(geoIps[i % geoIps.length]));
  rate('intel, one address', LOOKUPS, (i) =>
    intel.current.match({ ips: [{ field: 'sourceIp', value: ips[i % ips.length] }], ...none }, now),
  );
  rate('ATT&CK (payload and type)', LOOKUPS, (i) => attack.enrich(alerts[i % alerts.length]));
  rate('assets (host, user, two addresses)', LOOKUPS, (i) => assets.enrich(alerts[i % alerts.length]));
  rate('observables of an alert', LOOKUPS, (i) => observablesOf(alerts[i % alerts.length]));
  rate('enrichAlert (everything, two addresses)', LOOKUPS, (i) => enrichAlert(alerts[i % alerts.length], tables, now));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
