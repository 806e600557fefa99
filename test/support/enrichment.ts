import { join } from 'node:path';

// Enrichment for suites that show it: GeoIP over MaxMind's own test databases, an intel list
// holding one of their addresses, and a critical asset.

const geoip = join(__dirname, '..', 'fixtures', 'geoip');

/** An address of MaxMind's test databases (test/fixtures/geoip/SOURCES.md): SE Sweden, Linköping, AS29518 "Bredband2 AB". */
export const WATCHED_IP = '89.160.20.112';

/** The GeoIP lookups on (env of startStack). */
export const GEOIP_ENV = {
  GEOIP_CITY_DB: join(geoip, 'GeoIP2-City-Test.mmdb'),
  GEOIP_ASN_DB: join(geoip, 'GeoLite2-ASN-Test.mmdb'),
};

/** Config files (files of startStack): the text list `watchlist` (confidence 70) holding WATCHED_IP, and the host pay-db-01. */
export const ENRICHMENT_FILES: Record<string, string> = {
  'intel.yaml': 'lists:\n  - { name: watchlist, format: text, file: watchlist.txt, kind: ip, confidence: 70 }\n',
  'watchlist.txt': `# seen scanning us\n${WATCHED_IP}\n`,
  'assets.yaml': 'hosts:\n  - { name: pay-db-01, criticality: critical, owner: dba, team: payments }\n',
};

/**
 * An alert from WATCHED_IP on pay-db-01 naming T1046 (Network Service Discovery, tactic TA0007
 * Discovery) in its tags: country, network, technique, intel hit and asset all show.
 */
export const watchedAlertFields = { sourceIp: WATCHED_IP, host: 'pay-db-01', tags: ['T1046'] };
