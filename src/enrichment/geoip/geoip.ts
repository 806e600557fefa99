import maxmind, { type AsnResponse, type CityResponse, type CountryResponse, type Reader } from 'maxmind';
import type { Env } from '../../common/env';
import { internalRange } from '../ip';

/** What Warden knows about one address: internal, or where it is and whose network it is in. */
export interface AddressGeo {
  ip: string;
  /** RFC 1918, loopback, link-local, CGNAT, ULA, documentation, multicast…: never looked up. */
  internal: boolean;
  /** The special range an internal address is in (ipaddr.js's name, e.g. `private`, `carrierGradeNat`). */
  range?: string;
  country?: { iso: string; name?: string };
  city?: string;
  asn?: { number: number; organization?: string };
}

export const GEOIP_DATABASES = ['city', 'country', 'asn'] as const;
export type GeoIpDatabase = (typeof GEOIP_DATABASES)[number];

export interface GeoIpReaders {
  city?: Reader<CityResponse>;
  country?: Reader<CountryResponse>;
  asn?: Reader<AsnResponse>;
}

/**
 * GeoIP and ASN lookups over MaxMind DB readers already open. The City database answers country
 * and city; the Country database is asked only when there is no City answer; the ASN database
 * gives the autonomous system. A database not open is a lookup turned off.
 */
export class GeoIp {
  constructor(private readonly readers: GeoIpReaders = {}) {}

  /** Which lookups are on. */
  get databases(): GeoIpDatabase[] {
    return GEOIP_DATABASES.filter((d) => this.readers[d] !== undefined);
  }

  lookup(ip: string): AddressGeo {
    const range = internalRange(ip);
    if (range !== undefined) return { ip, internal: true, range };
    const geo: AddressGeo = { ip, internal: false };
    const place = this.readers.city?.get(ip) ?? this.readers.country?.get(ip) ?? undefined;
    const country = place?.country ?? place?.registered_country;
    if (country?.iso_code) geo.country = { iso: country.iso_code, ...(country.names?.en ? { name: country.names.en } : {}) };
    const city = (place as CityResponse | undefined)?.city?.names?.en;
    if (city) geo.city = city;
    const as = this.readers.asn?.get(ip);
    if (as?.autonomous_system_number !== undefined) {
      geo.asn = {
        number: as.autonomous_system_number,
        ...(as.autonomous_system_organization ? { organization: as.autonomous_system_organization } : {}),
      };
    }
    return geo;
  }
}

/** Where each database is; unset is a lookup turned off (env GEOIP_CITY_DB, GEOIP_COUNTRY_DB, GEOIP_ASN_DB). */
export type GeoIpPaths = Partial<Record<GeoIpDatabase, string>>;

export const geoIpPaths = (env: Pick<Env, 'GEOIP_CITY_DB' | 'GEOIP_COUNTRY_DB' | 'GEOIP_ASN_DB'>): GeoIpPaths => ({
  city: env.GEOIP_CITY_DB,
  country: env.GEOIP_COUNTRY_DB,
  asn: env.GEOIP_ASN_DB,
});

/** The `database_type` words each lookup accepts (GeoIP2-City, GeoLite2-ASN, DBIP-City-Lite, …). */
const ACCEPTED_TYPES: Record<GeoIpDatabase, RegExp> = {
  city: /City|Enterprise/,
  country: /Country|City|Enterprise/,
  asn: /ASN|ISP/,
};

/**
 * Opens the configured databases. One that is not configured, cannot be read or is of another
 * kind turns its lookup off with one line to `log`; the others still work.
 */
export async function loadGeoIp(paths: GeoIpPaths, log: (message: string) => void): Promise<GeoIp> {
  const readers: GeoIpReaders = {};
  for (const db of GEOIP_DATABASES) {
    const path = paths[db];
    const variable = `GEOIP_${db.toUpperCase()}_DB`;
    if (!path) {
      log(`GeoIP ${db} lookup off: ${variable} is not set`);
      continue;
    }
    try {
      const reader = await maxmind.open<CityResponse & AsnResponse>(path, { cache: { max: 10_000 } });
      const type = reader.metadata.databaseType;
      if (!ACCEPTED_TYPES[db].test(type)) {
        log(`GeoIP ${db} lookup off: ${path} is a ${type} database (${variable})`);
        continue;
      }
      Object.assign(readers, { [db]: reader });
    } catch (err) {
      log(`GeoIP ${db} lookup off: ${path} cannot be read (${(err as Error).message.split('\n')[0]})`);
    }
  }
  return new GeoIp(readers);
}
