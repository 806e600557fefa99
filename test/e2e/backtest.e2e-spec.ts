import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWardenConfig } from '../../src/config/warden-config';
import { backtest } from '../../src/correlation/backtest';
import { formatIntake, validateItems } from '../../src/ingest/intake';
import { normalizers } from '../../src/ingest/normalizers';
import { openIngestApi } from '../support/harness';
import { isolatedDatabase } from '../support/isolated';

// Real Suricata captures kept beside the project (../shared/data/suricata, MIT, see its README).
const dataDir = join(__dirname, '..', '..', '..', 'shared', 'data', 'suricata');
const files = readdirSync(dataDir).filter((f) => f.endsWith('.json'));

/** One order for both sides, whatever the database's collation. */
const sorted = <T>(rows: T[]): string[] => rows.map((r) => JSON.stringify(r)).sort();

describe('backtest matches ingest', () => {
  it('has Suricata files to compare', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  // Each file goes through the real api into a fresh database, as one request; the backtest
  // takes the same file the same way (arrival at-once) and must report what the database holds.
  it.each(files)('%s: the same counts, incidents, storms and signals', async (file) => {
    const body = JSON.parse(readFileSync(join(dataDir, file), 'utf8')) as unknown[];
    const database = await isolatedDatabase();
    const suite = await openIngestApi({ DATABASE_URL: database.url });
    try {
      const answer = await suite.http('POST', '/v1/alerts/suricata', body);
      expect(answer.status).toBe(202);

      const config = loadWardenConfig(suite.env.WARDEN_CONFIG_DIR);
      const { items } = formatIntake(body, normalizers.suricata, config.formats);
      const report = await backtest(validateItems(items), config.rules, { arrival: 'at-once' });

      const count = async (sql: string) => ((await suite.db.query<{ n: number }[]>(sql))[0]?.n ?? 0) as number;
      const byStatus = async (status: string) => count(`SELECT count(*)::int AS n FROM alerts WHERE status = '${status}'`);
      const stored = await count(`SELECT count(*)::int AS n FROM alerts`);
      expect({
        alerts: report.alerts,
        new: report.new,
        duplicates: report.duplicates,
        suppressed: report.suppressed,
        repeats: report.repeats,
        resolvedAlerts: report.resolvedAlerts,
        rejected: report.rejected.length,
        signals: report.incidents.reduce((n, i) => n + i.notifications, 0),
      }).toEqual({
        alerts: body.length,
        new: await byStatus('new'),
        duplicates: await byStatus('duplicate'),
        suppressed: await byStatus('suppressed'),
        repeats: answer.body.results.length - answer.body.rejected - stored,
        resolvedAlerts: await count(`SELECT count(*)::int AS n FROM alerts WHERE resolved_at IS NOT NULL`),
        rejected: answer.body.rejected,
        signals: await count(`SELECT count(*)::int AS n FROM outbox`),
      });
      // Every incident as the database holds it: key, rule, priority, severity, alerts, and a storm's sources.
      const incidents = await suite.db.query<
        { key: string; rule: string; priority: string; severity: string; alerts: number; sources: number | null }[]
      >(
        `SELECT i.correlation_key AS key, i.rule, i.priority, i.severity, i.alert_count AS alerts,
                CASE WHEN i.storm THEN (SELECT count(*)::int FROM storm_sources s WHERE s.incident_id = i.id) END AS sources
           FROM incidents i`,
      );
      const backtested = report.incidents.map((i) => ({
        key: i.correlationKey,
        rule: i.rule,
        priority: i.priority,
        severity: i.severity,
        alerts: i.alerts,
        sources: i.stormSources ?? null,
      }));
      expect(sorted(backtested)).toEqual(sorted(incidents));
    } finally {
      await suite.close();
      await database.drop();
    }
  });
});
