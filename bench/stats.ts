/**
 * Stats benchmark: `GET /v1/stats` on a real api process and PostgreSQL with a million stored
 * alerts (and the incidents, tasks, breaches, playbook runs and notices that go with them).
 *   make bench   (or: npm run build && node -r ts-node/register bench/stats.ts)
 * The history is seeded with SQL (30 days, far faster than posting it), then the alert
 * rollups are built from it as the StatsRollups migration builds them for existing alerts;
 * from then on ingest keeps them. Prints the answer time for the last day, week and month.
 * Environment: BENCH_STATS_ALERTS (1000000), BENCH_STATS_CALLS (20), BENCH_DATABASE_URL,
 * BENCH_KEEP_DATABASE (keep the seeded database, to EXPLAIN its queries).
 */
import 'reflect-metadata';
import { randomInt } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createApiKey } from '../src/auth/api-keys.service';
import { dataSourceOptions } from '../src/database/data-source-options';
import { dropDatabase } from '../src/database/database';
import { scratchDatabase, startIntakeApi, summarize, waitFor } from './support';

const ALERTS = Number(process.env.BENCH_STATS_ALERTS ?? 1_000_000);
const CALLS = Number(process.env.BENCH_STATS_CALLS ?? 20);
const INCIDENTS = Math.max(100, Math.round(ALERTS / 25));
const DAYS = 30;

/** A month of history: alerts spread over it, one task per incident, most acknowledged and resolved. */
const SEED = [
  `INSERT INTO incidents (id, correlation_key, title, severity, priority, action, rule, opening_rule, assign_role, types, source_ip, alert_count,
     first_seen_at, last_seen_at, created_at, status, storm)
   SELECT gen_random_uuid(), 'k' || n, 'Incident ' || n, (ARRAY['low','medium','high','critical'])[1 + n % 4], (ARRAY['P4','P3','P2','P1'])[1 + n % 4],
     'correlate', 'bench', 'bench', 'analyst', ARRAY[(ARRAY['port_scan','malware','failed_login','web_attack','recon'])[1 + n % 5]],
     ('10.' || (n % 200) || '.' || (n / 200 % 250) || '.1')::inet, 25, at, at, at,
     (ARRAY['open','acknowledged','resolved','resolved','closed'])[1 + n % 5], n % 200 = 0
   FROM (SELECT n, now() - (random() * interval '${DAYS} days') AS at FROM generate_series(1, ${INCIDENTS}) n) s`,
  `INSERT INTO tasks (incident_id, title, priority, status, assign_role, assignee_id, opened_at, ack_deadline, resolve_deadline, acknowledged_at, resolved_at)
   SELECT i.id, i.title, i.priority, CASE WHEN i.status IN ('resolved','closed') THEN 'resolved' WHEN i.status = 'acknowledged' THEN 'acknowledged' ELSE 'assigned' END,
     'analyst', (ARRAY['alice','bob','carol','dave'])[1 + abs(hashtext(i.id::text)) % 4], i.created_at, i.created_at + interval '15 minutes', i.created_at + interval '4 hours',
     CASE WHEN i.status <> 'open' THEN i.created_at + random() * interval '30 minutes' END,
     CASE WHEN i.status IN ('resolved','closed') THEN i.created_at + interval '30 minutes' + random() * interval '6 hours' END
   FROM incidents i`,
  `INSERT INTO alerts (source, type, severity, title, source_ip, destination_ip, received_at, last_seen_at, fingerprint, status, incident_id, rule, action, priority)
   SELECT 'bench-ids', i.types[1], i.severity, 'Signature ' || (n % 500), i.source_ip, '192.168.1.10'::inet, i.created_at + random() * interval '2 hours',
     i.created_at, md5(n::text), (ARRAY['new','new','new','new','new','new','duplicate','duplicate','duplicate','suppressed'])[1 + n % 10], i.id, 'bench', 'correlate', i.priority
   FROM (SELECT n, (n % ${INCIDENTS}) + 1 AS k FROM generate_series(1, ${ALERTS}) n) s
   JOIN (SELECT id, types, severity, source_ip, created_at, priority, row_number() OVER () AS k FROM incidents) i USING (k)`,
  `INSERT INTO sla_breaches (task_id, kind, priority, deadline, recorded_at)
   SELECT id, 'ack', priority, ack_deadline, ack_deadline FROM tasks WHERE acknowledged_at > ack_deadline OR acknowledged_at IS NULL`,
  `INSERT INTO playbook_runs (incident_id, playbook, status, created_at)
   SELECT id, 'block-ip', (ARRAY['succeeded','failed','rolled_back','waiting_approval'])[1 + (row_number() OVER ()) % 4], created_at
   FROM incidents WHERE severity IN ('high','critical') LIMIT ${Math.round(INCIDENTS / 10)}`,
  `INSERT INTO notifications (channel, key, kind, incident_id, payload, failed_at)
   SELECT (ARRAY['webhook','slack','jira'])[1 + n % 3], 'bench-' || n, 'task.assigned', NULL, '{}', CASE WHEN n % 50 = 0 THEN now() END
   FROM generate_series(1, ${INCIDENTS}) n`,
  // As the StatsRollups migration rolls up the alerts that were there before it.
  `INSERT INTO alert_rollups (bucket, severity, type, status, storm, alerts)
   SELECT date_trunc('hour', a.received_at, 'UTC'), a.severity, a.type, a.status, a.status = 'new' AND coalesce(i.storm, false), count(*)
     FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id GROUP BY 1, 2, 3, 4, 5`,
  `INSERT INTO alert_source_rollups (bucket, source_ip, alerts)
   SELECT date_trunc('day', received_at, 'UTC'), source_ip, count(*) FROM alerts WHERE source_ip IS NOT NULL GROUP BY 1, 2`,
  'VACUUM ANALYZE',
];

async function main(): Promise<void> {
  const { url: databaseUrl } = await scratchDatabase();
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const seeding = performance.now();
  for (const sql of SEED) await db.query(sql);
  const counts = (
    await db.query<{ alerts: number; incidents: number; tasks: number; size: string }>(
      `SELECT (SELECT count(*)::int FROM alerts) AS alerts, (SELECT count(*)::int FROM incidents) AS incidents,
            (SELECT count(*)::int FROM tasks) AS tasks, pg_size_pretty(pg_database_size(current_database())) AS size`,
    )
  ).rows[0];
  console.log(
    `warden stats bench: ${counts.alerts} alerts, ${counts.incidents} incidents, ${counts.tasks} tasks over ${DAYS} days ` +
      `(database ${counts.size}, seeded in ${((performance.now() - seeding) / 1000).toFixed(0)} s)`,
  );
  const ds = await new DataSource(dataSourceOptions(databaseUrl, 1)).initialize();
  const { key } = await createApiKey(ds, 'bench-lead', ['lead']);
  await ds.destroy();

  const port = 3900 + randomInt(0, 90);
  const api = startIntakeApi(databaseUrl, port);
  try {
    await waitFor(`http://127.0.0.1:${port}/health`);
    const get = async (query: string) => {
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/v1/stats${query}`, { headers: { authorization: `Bearer ${key}` } });
      const body = (await res.json()) as { alerts: { received: number } };
      if (res.status !== 200) throw new Error(`GET /v1/stats${query} answered ${res.status}: ${JSON.stringify(body)}`);
      return { ms: performance.now() - started, received: body.alerts.received };
    };
    const now = Date.now();
    for (const [label, days] of [
      ['last day', 1],
      ['last week', 7],
      ['last 30 days', 30],
    ] as const) {
      const query = `?from=${new Date(now - days * 86_400_000).toISOString()}&to=${new Date(now).toISOString()}`;
      await get(query); // warm-up: plans and the buffer cache
      const runs = [];
      for (let i = 0; i < CALLS; i++) runs.push(await get(query));
      const { p50, p99, max } = summarize(runs.map((r) => r.ms));
      console.log(
        `  ${label.padEnd(13)} ${String(runs[0].received).padStart(8)} alerts in range: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${max.toFixed(0)} ms over ${CALLS} calls (target under 200 ms)`,
      );
    }
  } finally {
    api.kill('SIGTERM');
    await new Promise((r) => api.once('exit', r));
    await db.end();
    if (process.env.BENCH_KEEP_DATABASE) console.log(`  kept ${databaseUrl}`);
    else await dropDatabase(databaseUrl);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
