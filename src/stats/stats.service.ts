import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ANALYST_LOAD_SQL, WAITING } from '../assignment/assignment-sql';
import { INCIDENT_STATUSES, SEVERITIES } from '../domain';
import { pgPool } from '../database/pg';
import { lit } from '../database/sql-literal';
import { shippedAttackTable } from '../enrichment/attack/attack-table';
import { attackMatrix, geoTops, type AttackCountRow, type GeoCountRow } from './attack-matrix';
import { topGeoSql, topSourcesSql } from './rollup-sql';
import { alertStats, AlertRollupRow, attackIncidentsQuery, countsOf, hoursOf, priorityCounts, tally, type AttackFilter } from './stats';
import type { AnalystLoad, AttackIncidentView, StatsView } from './stats-view';
import type { Columns } from '../database/rows';
import type { Priority, Severity } from '../domain';
import { encodeCursor } from '../common/validation';

type Counts = { key: string; n: number }[];

/** The rows the stats statements answer, merged: every part as JSON. */
interface StatsRow {
  rollups: AlertRollupRow[];
  incidents: { opened: number; storms: number; by_status: Counts; by_severity: Counts };
  incident_types: Counts;
  tasks: { created: number; mtta_p50: number | null; mtta_p90: number | null; mttr_p50: number | null; mttr_p90: number | null };
  breaches: Counts;
  analysts: AnalystLoad[];
  waiting: { by_priority: Counts; oldest: string | null };
  runs: Counts;
  pending_approvals: number;
  failed_notices: Counts;
  outbox: { pending: number; dead_lettered: number; lag_seconds: number };
  response_by_day: { day: string; mtta_p50: number | null; mttr_p50: number | null }[];
  top_sources: { ip: string; alerts: number }[];
  top_geo: GeoCountRow[];
  attack: AttackCountRow[];
}

type AttackIncidentRow = Columns<
  'incidents',
  'id' | 'title' | 'severity' | 'priority' | 'status' | 'types' | 'created_at',
  { severity: Severity; priority: Priority }
> & {
  /** created_at as PostgreSQL prints it (microseconds, which a Date would lose), for the cursor. */
  created_at_exact: string;
};

const seconds = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);

/**
 * `GET /v1/stats`: every figure is read from an index or a rollup kept as data arrives
 * (alerts are never counted row by row), so the answer stays fast with millions of alerts.
 */
@Injectable()
export class StatsService {
  private readonly attackTable = shippedAttackTable();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async stats(from: Date, to: Date): Promise<StatsView> {
    const pool = pgPool(this.dataSource);
    const parts = await Promise.all(statsSql(from, to).map((sql) => pool.query<Partial<StatsRow>>(sql)));
    const r = Object.assign({}, ...parts.map((p) => p.rows[0])) as StatsRow;
    const { alerts, alertsByHour } = alertStats(r.rollups, hoursOf(from, to), r.incidents.opened);
    const breaches = tally(r.breaches);
    const waiting = priorityCounts(r.waiting.by_priority);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      alerts,
      incidents: {
        opened: r.incidents.opened,
        storms: r.incidents.storms,
        byStatus: countsOf(INCIDENT_STATUSES, r.incidents.by_status),
        bySeverity: countsOf(SEVERITIES, r.incidents.by_severity),
        byType: tally(r.incident_types),
      },
      tasks: {
        created: r.tasks.created,
        mtta: { p50Seconds: seconds(r.tasks.mtta_p50), p90Seconds: seconds(r.tasks.mtta_p90) },
        mttr: { p50Seconds: seconds(r.tasks.mttr_p50), p90Seconds: seconds(r.tasks.mttr_p90) },
        slaBreaches: { total: Object.values(breaches).reduce((a, b) => a + b, 0), byKind: breaches },
      },
      load: {
        analysts: r.analysts,
        capacityQueue: {
          waiting: Object.values(waiting).reduce((a, b) => a + b, 0),
          byPriority: waiting,
          oldestSince: r.waiting.oldest ? new Date(r.waiting.oldest).toISOString() : null,
        },
      },
      playbooks: { runsByOutcome: tally(r.runs), pendingApprovals: r.pending_approvals },
      delivery: {
        failedNotices: r.failed_notices.reduce((n, c) => n + c.n, 0),
        failedNoticesByChannel: tally(r.failed_notices),
        outbox: { pending: r.outbox.pending, deadLettered: r.outbox.dead_lettered, lagSeconds: seconds(r.outbox.lag_seconds) ?? 0 },
      },
      series: {
        alertsByHour,
        responseByDay: r.response_by_day.map((d) => ({
          day: d.day,
          mttaP50Seconds: seconds(d.mtta_p50),
          mttrP50Seconds: seconds(d.mttr_p50),
        })),
      },
      topSourceIps: r.top_sources,
      ...geoTops(r.top_geo),
      attack: attackMatrix(this.attackTable, r.attack),
    };
  }

  /** `GET /v1/stats/attack/incidents`: the incidents opened in the range in one tactic or matrix cell, newest first. */
  async attackIncidents(f: AttackFilter): Promise<{ items: AttackIncidentView[]; nextCursor: string | null }> {
    const { sql, params } = attackIncidentsQuery(f);
    const { rows } = await pgPool(this.dataSource).query<AttackIncidentRow>(sql, params);
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((i) => ({
        id: i.id,
        title: i.title,
        severity: i.severity,
        priority: i.priority,
        status: i.status,
        types: i.types,
        createdAt: i.created_at.toISOString(),
      })),
      nextCursor: rows.length > f.limit ? encodeCursor([last.created_at_exact, last.id]) : null,
    };
  }
}

const counts = (select: string) => `(SELECT coalesce(json_agg(json_build_object('key', k, 'n', n)), '[]') FROM (${select}) c)`;

/**
 * Four statements, run side by side on their own connections, each one round trip. Alerts are
 * read from their rollups (by hour, by source address, by source country and ASN); incidents and
 * tasks of the range are read once each, by their time index, into a CTE every figure then
 * aggregates (the ATT&CK matrix joins each incident's cells by incident_attack's index); the rest
 * reads partial indexes (see migrations/1795800000000-StatsRollups.ts, 1797800200000-EnrichmentRollups.ts).
 */
export function statsSql(from: Date, to: Date): string[] {
  const f = lit(from, 'timestamptz');
  const t = lit(to, 'timestamptz');
  const alerts = `SELECT
  (SELECT coalesce(json_agg(r), '[]') FROM (
     SELECT bucket, severity, status, storm, sum(alerts)::float8 AS alerts FROM alert_rollups
      WHERE bucket >= date_trunc('hour', ${f}, 'UTC') AND bucket < ${t} GROUP BY 1, 2, 3, 4) r) AS rollups,
  (SELECT coalesce(json_agg(s), '[]') FROM (${topSourcesSql(f, t, '10')}) s) AS top_sources,
  (SELECT coalesce(json_agg(g), '[]') FROM ((${topGeoSql('country', f, t, '10')}) UNION ALL (${topGeoSql('asn', f, t, '10')})) g) AS top_geo`;
  const incidents = `WITH inc AS MATERIALIZED (SELECT id, status, severity, storm, types FROM incidents WHERE created_at >= ${f} AND created_at < ${t})
SELECT
  (SELECT json_build_object('opened', count(*), 'storms', count(*) FILTER (WHERE storm),
     'by_status', ${counts(`SELECT status AS k, count(*)::int AS n FROM inc GROUP BY 1`)},
     'by_severity', ${counts(`SELECT severity AS k, count(*)::int AS n FROM inc GROUP BY 1`)}) FROM inc) AS incidents,
  ${counts(`SELECT unnest(types) AS k, count(*)::int AS n FROM inc GROUP BY 1 ORDER BY 2 DESC, 1`)} AS incident_types,
  -- At most one row per cell of the ATT&CK table; distinct, since a cell may have been added twice (incident-attack.entity.ts).
  (SELECT coalesce(json_agg(m), '[]') FROM (
     SELECT a.tactic, a.technique, count(DISTINCT a.incident_id)::int AS incidents FROM inc JOIN incident_attack a ON a.incident_id = inc.id
      GROUP BY 1, 2) m) AS attack`;
  const tasks = `WITH tk AS MATERIALIZED (SELECT date_trunc('day', opened_at, 'UTC') AS day,
       extract(epoch FROM acknowledged_at - opened_at) AS ack, extract(epoch FROM resolved_at - opened_at) AS res
     FROM tasks WHERE opened_at >= ${f} AND opened_at < ${t})
SELECT
  (SELECT json_build_object('created', n, 'mtta_p50', ack[1], 'mtta_p90', ack[2], 'mttr_p50', res[1], 'mttr_p90', res[2]) FROM (
     -- One sort per measure for both percentiles.
     SELECT count(*) AS n, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY ack) AS ack,
            percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY res) AS res FROM tk) p) AS tasks,
  (SELECT coalesce(json_agg(d ORDER BY d.day), '[]') FROM (
     SELECT to_char(day, 'YYYY-MM-DD') AS day, percentile_cont(0.5) WITHIN GROUP (ORDER BY ack) AS mtta_p50,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY res) AS mttr_p50 FROM tk GROUP BY tk.day) d) AS response_by_day`;
  const now = `SELECT
  ${counts(`SELECT kind AS k, count(*)::int AS n FROM sla_breaches WHERE recorded_at >= ${f} AND recorded_at < ${t} GROUP BY 1`)} AS breaches,
  (SELECT coalesce(json_agg(json_build_object('id', a.id, 'name', a.name, 'role', a.role, 'team', a.team,
       'open', coalesce(o.n, 0), 'capacity', coalesce(a.capacity_override, a.capacity)) ORDER BY a.id), '[]')
     FROM analysts a LEFT JOIN (SELECT analyst_id, open AS n FROM (${ANALYST_LOAD_SQL}) l) o ON o.analyst_id = a.id
    WHERE a.in_roster) AS analysts,
  (SELECT json_build_object('by_priority', ${counts(`SELECT priority AS k, count(*)::int AS n FROM tasks t WHERE ${WAITING} GROUP BY 1`)},
     'oldest', (SELECT min(t.opened_at) FROM tasks t WHERE ${WAITING}))) AS waiting,
  ${counts(`SELECT status AS k, count(*)::int AS n FROM playbook_runs WHERE created_at >= ${f} AND created_at < ${t} GROUP BY 1`)} AS runs,
  (SELECT count(*)::int FROM approvals WHERE status = 'pending') AS pending_approvals,
  ${counts(`SELECT channel AS k, count(*)::int AS n FROM notifications WHERE failed_at IS NOT NULL GROUP BY 1`)} AS failed_notices,
  (SELECT json_build_object('pending', count(*) FILTER (WHERE dead_lettered_at IS NULL),
     'dead_lettered', (SELECT count(*) FROM outbox WHERE dead_lettered_at IS NOT NULL),
     'lag_seconds', coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE dead_lettered_at IS NULL)), 0))
     FROM outbox WHERE delivered_at IS NULL) AS outbox`;
  return [alerts, incidents, tasks, now];
}
