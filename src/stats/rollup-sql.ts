/**
 * The busiest source addresses of [from, to) from the daily rollups, every UTC day the range touches
 * (a report from 06:00 keeps its first 18 hours). Summed as float8 and printed only for the `limit`
 * kept: a month holds tens of thousands of addresses. Arguments are SQL: typed literals or
 * placeholders (`$1::timestamptz`).
 */
export const topSourcesSql = (from: string, to: string, limit: string): string =>
  `SELECT host(source_ip) AS ip, alerts FROM (SELECT source_ip, sum(alerts::float8) AS alerts FROM alert_source_rollups
      WHERE bucket >= date_trunc('day', ${from}, 'UTC') AND bucket < ${to} GROUP BY source_ip ORDER BY 2 DESC, source_ip LIMIT ${limit}) top`;

/**
 * The countries or ASNs (`kind`) of alerts' source addresses with the most alerts in [from, to), from
 * the daily rollups like topSourcesSql; a name may differ between rows of one key (a GeoIP update): any one is kept.
 */
export const topGeoSql = (kind: 'country' | 'asn', from: string, to: string, limit: string): string =>
  `SELECT kind, value, max(label) AS label, sum(alerts::float8) AS alerts FROM alert_geo_rollups
      WHERE kind = '${kind}' AND bucket >= date_trunc('day', ${from}, 'UTC') AND bucket < ${to} GROUP BY kind, value ORDER BY 4 DESC, value LIMIT ${limit}`;
