import { join } from 'node:path';
import type { SecurityAlert } from '../domain';
import { AssetLookup } from './assets/assets';
import { assetsFileSchema } from './assets/assets.schema';
import { AttackLookup, attackFileSchema } from './attack/attack';
import { loadAttackTable } from './attack/attack-table';
import { enrichAddress, enrichAlert } from './enrichment';
import { loadGeoIp, type GeoIp } from './geoip/geoip';
import { IntelHolder } from './intel/indicator';
import { parseMispEvent } from './intel/parsers';

const fixtures = join(__dirname, '..', '..', 'test', 'fixtures');
const NOW = Date.parse('2026-06-01T00:00:00Z');
const LOCKY = '5721c2e4-05ec-4af3-9264-411b950d210f';

describe('enrichAlert', () => {
  let geoip: GeoIp;
  const intel = new IntelHolder();
  beforeAll(async () => {
    geoip = await loadGeoIp(
      {
        city: join(fixtures, 'geoip', 'GeoIP2-City-Test.mmdb'),
        country: join(fixtures, 'geoip', 'GeoIP2-Country-Test.mmdb'),
        asn: join(fixtures, 'geoip', 'GeoLite2-ASN-Test.mmdb'),
      },
      () => undefined,
    );
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const event = require(join(fixtures, 'intel', 'misp-feed', `${LOCKY}.json`));
    intel.replaceList('circl-osint', parseMispEvent(event, { list: 'circl-osint', confidence: 80 }, { toIdsOnly: true }).indicators);
  });
  const attack = new AttackLookup(loadAttackTable(), attackFileSchema.parse({ types: { c2_beacon: { techniques: ['T1071'] } } }));
  const assets = new AssetLookup(
    assetsFileSchema.parse({
      hosts: [{ name: 'db-payments-01', criticality: 'critical', team: 'payments' }],
      networks: [{ cidr: '10.20.0.0/16', criticality: 'high' }],
    }),
  );

  const alert: SecurityAlert = {
    source: 'ids-1',
    type: 'c2_beacon',
    severity: 'high',
    title: 'Beacon to a Locky server',
    sourceIp: '10.20.0.5',
    destinationIp: '89.160.20.112',
    host: 'db-payments-01',
    tags: ['T1086'],
  };

  it('composes every lookup into one plain Enrichment', () => {
    // 89.160.20.112 is a MaxMind test address (Linköping, AS29518) but is on no list; the Locky feed lists 50.6.80.163.
    const e = enrichAlert({ ...alert, destinationIp: '50.6.80.163' }, { geoip, attack, intel: intel.current, assets }, NOW);
    expect(e).toEqual({
      source: { ip: '10.20.0.5', internal: true, range: 'private' },
      destination: { ip: '50.6.80.163', internal: false },
      techniques: [
        expect.objectContaining({ id: 'T1059.001', replaces: 'T1086', origin: 'payload' }),
        expect.objectContaining({ id: 'T1071', name: 'Application Layer Protocol', origin: 'type' }),
      ],
      tactics: [
        { id: 'TA0002', shortname: 'execution', name: 'Execution', origin: 'technique' },
        { id: 'TA0011', shortname: 'command-and-control', name: 'Command and Control', origin: 'technique' },
      ],
      intel: [
        {
          list: 'circl-osint',
          kind: 'ip',
          indicator: '50.6.80.163',
          matched: '50.6.80.163',
          field: 'destinationIp',
          confidence: 80,
          ref: { type: 'misp', event: LOCKY, info: 'Malspam (2016-04-28) - Locky (#2)' },
        },
      ],
      assets: [
        expect.objectContaining({ kind: 'host', name: 'db-payments-01', criticality: 'critical' }),
        expect.objectContaining({ kind: 'network', name: '10.20.0.0/16', field: 'sourceIp', criticality: 'high' }),
      ],
      criticality: 'critical',
      warnings: ['ATT&CK T1086 (PowerShell) is revoked; replaced by T1059.001 (PowerShell)'],
    });
  });

  it('gives the destination its place and network', () => {
    expect(enrichAlert(alert, { geoip }, NOW).destination).toEqual({
      ip: '89.160.20.112',
      internal: false,
      country: { iso: 'SE', name: 'Sweden' },
      city: 'Linköping',
      asn: { number: 29518, organization: 'Bredband2 AB' },
    });
  });

  it('still marks internal addresses with no table loaded, and adds nothing else', () => {
    expect(enrichAlert({ ...alert, destinationIp: undefined }, {}, NOW)).toEqual({
      source: { ip: '10.20.0.5', internal: true, range: 'private' },
      techniques: [],
      tactics: [],
      intel: [],
      assets: [],
      warnings: [],
    });
  });

  it('is JSON as it is (plain data)', () => {
    const e = enrichAlert(alert, { geoip, attack, intel: intel.current, assets }, NOW);
    expect(JSON.parse(JSON.stringify(e))).toEqual(e);
  });

  // Found by the ingest fuzz test: a source or type naming a property every object inherits was read as config.
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('takes a source and a type of %j for plain text', (name) => {
    const hostile: SecurityAlert = { source: name, type: name, severity: 'low', title: 'x', sourceIp: '::0' };
    expect(enrichAlert(hostile, { geoip, attack, intel: intel.current, assets }, NOW)).toEqual({
      source: { ip: '::0', internal: true, range: 'unspecified' },
      techniques: [],
      tactics: [],
      intel: [],
      assets: [],
      warnings: [],
    });
  });

  describe(enrichAddress.name, () => {
    it('says where an outside address is and which indicators it matches, without the alert field', () => {
      expect(enrichAddress('50.6.80.163', { geoip, intel: intel.current, assets }, NOW)).toEqual({
        ip: '50.6.80.163',
        internal: false,
        intel: [
          {
            list: 'circl-osint',
            kind: 'ip',
            indicator: '50.6.80.163',
            confidence: 80,
            ref: { type: 'misp', event: LOCKY, info: 'Malspam (2016-04-28) - Locky (#2)' },
          },
        ],
        assets: [],
      });
    });

    it('gives an address in the GeoIP databases its country, city and network', () => {
      expect(enrichAddress('89.160.20.112', { geoip }, NOW)).toEqual({
        ip: '89.160.20.112',
        internal: false,
        country: { iso: 'SE', name: 'Sweden' },
        city: 'Linköping',
        asn: { number: 29518, organization: 'Bredband2 AB' },
        intel: [],
        assets: [],
      });
    });

    it('marks an internal address and names the asset network it is in, with its criticality', () => {
      expect(enrichAddress('10.20.0.5', { geoip, intel: intel.current, assets }, NOW)).toEqual({
        ip: '10.20.0.5',
        internal: true,
        range: 'private',
        intel: [],
        assets: [{ kind: 'network', name: '10.20.0.0/16', criticality: 'high', tags: [] }],
        criticality: 'high',
      });
    });
  });
});
