import type { PlaybookContext } from './playbook';

/** Anything that runs a parameterized query and returns its rows (a DataSource, an EntityManager). */
export interface Queryable {
  query<T>(sql: string, parameters?: unknown[]): Promise<T>;
}

/** The row playbookContextSql returns: the incident and its most recent alert (`a_*`, null when it has none). */
export type PlaybookContextRow = PlaybookContext['incident'] & {
  a_id: string | null;
  a_source: string | null;
  a_type: string | null;
  a_severity: string | null;
  a_title: string | null;
  a_source_ip: string | null;
  a_destination_ip: string | null;
  a_user: string | null;
  a_host: string | null;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One statement: the incident and its most recent alert. Addresses come out with host(),
 * plain (`203.0.113.7`, never `203.0.113.7/32`), as the templates put them in requests.
 */
export function playbookContextSql(incidentId: string): { sql: string; parameters: unknown[] } {
  return {
    sql: `SELECT i.id, i.severity, i.priority, i.status, i.types, host(i.source_ip) AS source_ip, i."user", i.host,
        i.alert_count, i.opening_rule, i.correlation_key, i.storm,
        a.id AS a_id, a.source AS a_source, a.type AS a_type, a.severity AS a_severity, a.title AS a_title,
        host(a.source_ip) AS a_source_ip, host(a.destination_ip) AS a_destination_ip, a."user" AS a_user, a.host AS a_host
      FROM incidents i
      LEFT JOIN LATERAL (
        SELECT * FROM alerts WHERE incident_id = i.id ORDER BY received_at DESC, id DESC LIMIT 1
      ) a ON true
      WHERE i.id = $1`,
    parameters: [incidentId],
  };
}

export function toPlaybookContext(row: PlaybookContextRow): PlaybookContext {
  return {
    incident: {
      id: row.id,
      severity: row.severity,
      priority: row.priority,
      status: row.status,
      types: row.types ?? [],
      source_ip: row.source_ip,
      user: row.user,
      host: row.host,
      alert_count: Number(row.alert_count),
      opening_rule: row.opening_rule,
      correlation_key: row.correlation_key,
      storm: row.storm,
    },
    alert:
      row.a_id === null
        ? null
        : {
            id: row.a_id,
            source: row.a_source ?? '',
            type: row.a_type ?? '',
            severity: row.a_severity ?? '',
            title: row.a_title ?? '',
            source_ip: row.a_source_ip,
            destination_ip: row.a_destination_ip,
            user: row.a_user,
            host: row.a_host,
          },
    steps: {},
  };
}

/** What templates and conditions see for this incident, or null when there is no such incident (or the id is no UUID). */
export async function loadPlaybookContext(db: Queryable, incidentId: string): Promise<PlaybookContext | null> {
  if (!UUID.test(incidentId)) return null;
  const { sql, parameters } = playbookContextSql(incidentId);
  const [row] = await db.query<PlaybookContextRow[]>(sql, parameters);
  return row ? toPlaybookContext(row) : null;
}
