import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv } from '../../common/env';
import { GeoIp, geoIpPaths, loadGeoIp } from './geoip';

const fixtures = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'geoip');
const paths = {
  city: join(fixtures, 'GeoIP2-City-Test.mmdb'),
  country: join(fixtures, 'GeoIP2-Country-Test.mmdb'),
  asn: join(fixtures, 'GeoLite2-ASN-Test.mmdb'),
};
/** The records the test databases were built from (maxmind/MaxMind-DB source-data/), by file and network. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const source: Record<string, Record<string, any>> = require(join(fixtures, 'source-excerpt.json'));
const city = (network: string) => source['GeoIP2-City-Test.json'][network];
const country = (network: string) => source['GeoIP2-Country-Test.json'][network];
const asn = (network: string) => source['GeoLite2-ASN-Test.json'][network];

describe(GeoIp.name, () => {
  let geoip: GeoIp;
  const logged: string[] = [];
  beforeAll(async () => {
    geoip = await loadGeoIp(paths, (m) => logged.push(m));
  });

  it('opens all three databases without a log line', () => {
    expect([geoip.databases, logged]).toEqual([['city', 'country', 'asn'], []]);
  });

  it('gives country, city and ASN with its organisation (89.160.20.112)', () => {
    expect(geoip.lookup('89.160.20.112')).toEqual({
      ip: '89.160.20.112',
      internal: false,
      country: { iso: city('::89.160.20.112/124').country.iso_code, name: city('::89.160.20.112/124').country.names.en },
      city: city('::89.160.20.112/124').city.names.en,
      asn: {
        number: asn('89.160.20.112/29').autonomous_system_number,
        organization: asn('89.160.20.112/29').autonomous_system_organization,
      },
    });
  });

  it('gives London for 81.2.69.142, with no ASN where the ASN database has none', () => {
    expect(geoip.lookup('81.2.69.142')).toEqual({
      ip: '81.2.69.142',
      internal: false,
      country: { iso: city('::81.2.69.142/127').country.iso_code, name: city('::81.2.69.142/127').country.names.en },
      city: city('::81.2.69.142/127').city.names.en,
    });
  });

  it('gives an ASN without organisation when the database has only the number (216.160.83.56)', () => {
    expect(geoip.lookup('216.160.83.56').asn).toEqual({ number: asn('216.160.83.56/29').autonomous_system_number });
  });

  it('gives no city where the database has none (67.43.156.1, Bhutan)', () => {
    const found = geoip.lookup('67.43.156.1');
    expect([found.country?.iso, found.city, found.asn?.number]).toEqual([
      city('::67.43.156.0/120').country.iso_code,
      undefined,
      asn('67.43.156.0/26').autonomous_system_number,
    ]);
  });

  it('looks up IPv6 (2001:218::1, Japan)', () => {
    expect(geoip.lookup('2001:218::1').country).toEqual({
      iso: city('2001:218::/32').country.iso_code,
      name: city('2001:218::/32').country.names.en,
    });
  });

  it('gives only the ASN for an address the City and Country databases lack (1.128.0.1)', () => {
    expect(geoip.lookup('1.128.0.1')).toEqual({
      ip: '1.128.0.1',
      internal: false,
      asn: { number: asn('1.128.0.0/11').autonomous_system_number, organization: asn('1.128.0.0/11').autonomous_system_organization },
    });
  });

  it('gives nothing for a public address the test databases do not hold (8.8.8.8)', () => {
    expect(geoip.lookup('8.8.8.8')).toEqual({ ip: '8.8.8.8', internal: false });
  });

  it.each([
    ['10.0.0.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['203.0.113.7', 'reserved'],
    ['fd00::1', 'uniqueLocal'],
  ])('marks %s internal (%s) without a lookup', (ip, range) => {
    expect(geoip.lookup(ip)).toEqual({ ip, internal: true, range });
  });
});

describe('GeoIp with the Country database alone', () => {
  it('gives the country and no city', async () => {
    const geoip = await loadGeoIp({ country: paths.country }, () => undefined);
    expect(geoip.lookup('81.2.69.142')).toEqual({
      ip: '81.2.69.142',
      internal: false,
      country: { iso: country('::81.2.69.142/127').country.iso_code, name: country('::81.2.69.142/127').country.names.en },
    });
  });

  it('gives the country of 149.101.100.1', async () => {
    const geoip = await loadGeoIp({ country: paths.country }, () => undefined);
    expect(geoip.lookup('149.101.100.1').country?.iso).toBe(country('::149.101.100.0/124').country.iso_code);
  });
});

describe('GeoIp with the City and Country databases', () => {
  it('asks the Country database where the City database has no answer (217.65.48.1, Gibraltar)', async () => {
    const geoip = await loadGeoIp({ city: paths.city, country: paths.country }, () => undefined);
    expect(geoip.lookup('217.65.48.1').country?.iso).toBe(country('::217.65.48.0/125').country.iso_code);
  });
});

describe('loadGeoIp', () => {
  it('turns off a lookup that is not configured, with one log line', async () => {
    const logged: string[] = [];
    const geoip = await loadGeoIp({ city: paths.city, country: paths.country }, (m) => logged.push(m));
    expect([geoip.databases, logged]).toEqual([['city', 'country'], ['GeoIP asn lookup off: GEOIP_ASN_DB is not set']]);
  });

  it('turns off a lookup whose file is missing, with one log line naming it, and keeps the others', async () => {
    const logged: string[] = [];
    const missing = join(mkdtempSync(join(tmpdir(), 'geoip-')), 'GeoLite2-ASN.mmdb');
    const geoip = await loadGeoIp({ ...paths, asn: missing }, (m) => logged.push(m));
    expect(geoip.databases).toEqual(['city', 'country']);
    expect(logged).toEqual([expect.stringContaining(`GeoIP asn lookup off: ${missing} cannot be read`)]);
  });

  it('turns off a lookup given a database of another kind', async () => {
    const logged: string[] = [];
    const geoip = await loadGeoIp({ asn: paths.city }, (m) => logged.push(m));
    expect(logged).toContain(`GeoIP asn lookup off: ${paths.city} is a GeoIP2-City database (GEOIP_ASN_DB)`);
    expect(geoip.lookup('89.160.20.112').asn).toBeUndefined();
  });

  it('turns off a lookup whose file is not a MaxMind database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'geoip-'));
    writeFileSync(join(dir, 'bad.mmdb'), 'not a database');
    copyFileSync(paths.city, join(dir, 'city.mmdb'));
    const logged: string[] = [];
    const geoip = await loadGeoIp({ city: join(dir, 'city.mmdb'), asn: join(dir, 'bad.mmdb') }, (m) => logged.push(m));
    expect([geoip.databases, logged.filter((m) => m.startsWith('GeoIP asn'))]).toEqual([
      ['city'],
      [expect.stringContaining(`GeoIP asn lookup off: ${join(dir, 'bad.mmdb')} cannot be read`)],
    ]);
  });
});

describe('geoIpPaths', () => {
  it('reads the paths from GEOIP_CITY_DB, GEOIP_COUNTRY_DB and GEOIP_ASN_DB', () => {
    const env = loadEnv({ GEOIP_CITY_DB: '/geo/City.mmdb', GEOIP_ASN_DB: '/geo/ASN.mmdb', GEOIP_COUNTRY_DB: '' });
    expect(geoIpPaths(env)).toEqual({ city: '/geo/City.mmdb', country: undefined, asn: '/geo/ASN.mmdb' });
  });
});
