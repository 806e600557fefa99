import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BacktestReport } from '../../src/correlation/backtest';
import { openIngestApi, untilFolded } from '../support/harness';
import { isolatedDatabase, testConfigDir } from '../support/isolated';

const root = join(__dirname, '..', '..');
const run = promisify(execFile);

// Real Suricata captures kept beside the project (../shared/data/suricata, MIT, see its README).
const dataDir = join(root, '..', 'shared', 'data', 'suricata');
const files = readdirSync(dataDir).filter((f) => f.endsWith('.json'));

/** One order for both sides, whatever the database's collation. */
const sorted = <T>(rows: T[]): string[] => rows.map((r) => JSON.stringify(r)).sort();

/**
 * `warden rules backtest <file> --format suricata --at-once --json --dir <dir>`, as an operator
 * runs it (transpiled only: `make typecheck` checks the types).
 */
async function wardenBacktest(file: string, dir: string): Promise<BacktestReport> {
  const { stdout } = await run(
    process.execPath,
    [
      '-r',
      'ts-node/register',
      join(root, 'src', 'cli', 'warden.ts'),
      'rules',
      'backtest',
      file,
      '--format',
      'suricata',
      '--at-once',
      '--json',
      '--dir',
      dir,
    ],
    { cwd: root, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' }, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as BacktestReport;
}

/**
 * The file through the real api into a fresh database, as one request, with the rules of `dir`;
 * the backtest takes the same file the same way (arrival at-once) with the same rules. Returns
 * what each side reports: counts, signals, and every incident (key, rule, priority, severity,
 * alerts, and a storm's distinct sources).
 */
async function ingestAndBacktest(file: string, dir: string) {
  const path = join(dataDir, file);
  const body = JSON.parse(readFileSync(path, 'utf8')) as unknown[];
  const database = await isolatedDatabase();
  const suite = await openIngestApi({ DATABASE_URL: database.url, WARDEN_CONFIG_DIR: dir });
  try {
    const answer = await suite.http('POST', '/v1/alerts/suricata', body);
    expect(answer.status).toBe(202);
    const report = await wardenBacktest(path, dir);

    const count = async (sql: string) => ((await suite.db.query<{ n: number }[]>(sql))[0]?.n ?? 0) as number;
    const byStatus = async (status: string) => count(`SELECT count(*)::int AS n FROM alerts WHERE status = '${status}'`);
    const stored = await count(`SELECT count(*)::int AS n FROM alerts`);
    await untilFolded(
      suite.db,
      (await suite.db.query<{ id: string }[]>(`SELECT id FROM incidents`)).map((r) => r.id),
    );
    const incidents = await suite.db.query<
      { key: string; rule: string; priority: string; severity: string; alerts: number; sources: number | null }[]
    >(
      `SELECT i.correlation_key AS key, i.rule, i.priority, i.severity, i.alert_count AS alerts,
              CASE WHEN i.storm THEN (SELECT count(*)::int FROM storm_sources s WHERE s.incident_id = i.id) END AS sources
         FROM incidents i`,
    );
    return {
      backtested: {
        alerts: report.alerts,
        new: report.new,
        duplicates: report.duplicates,
        suppressed: report.suppressed,
        repeats: report.repeats,
        resolvedAlerts: report.resolvedAlerts,
        rejected: report.rejected.length,
        signals: report.incidents.reduce((n, i) => n + i.notifications, 0),
        incidents: sorted(
          report.incidents.map((i) => ({
            key: i.correlationKey,
            rule: i.rule,
            priority: i.priority,
            severity: i.severity,
            alerts: i.alerts,
            sources: i.stormSources ?? null,
          })),
        ),
      },
      ingested: {
        alerts: body.length,
        new: await byStatus('new'),
        duplicates: await byStatus('duplicate'),
        suppressed: await byStatus('suppressed'),
        repeats: answer.body.results.length - answer.body.rejected - stored,
        resolvedAlerts: await count(`SELECT count(*)::int AS n FROM alerts WHERE resolved_at IS NOT NULL`),
        rejected: answer.body.rejected,
        signals: await count(`SELECT count(*)::int AS n FROM outbox`),
        incidents: sorted(incidents),
      },
      stormIncidents: incidents.filter((i) => i.sources !== null).length,
    };
  } finally {
    await suite.close();
    await database.drop();
  }
}

describe('backtest matches ingest', () => {
  it('has Suricata files to compare', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  // The shared test config (test/support/global-setup.ts) turns storms off for every rule.
  it.each(files)('%s, storms off: the same counts, incidents and signals', async (file) => {
    const { backtested, ingested } = await ingestAndBacktest(file, process.env.WARDEN_CONFIG_DIR!);
    expect(backtested).toEqual(ingested);
  });

  // A threshold both captures cross, so storms fold in each file: once rule-wide, once per
  // destination (`key_by`, many storm keys). The shipped 50 folds only in wrccdc-2018.
  const storms = {
    'rule-wide': { threshold: 5, within: '1m', quiet: '5m' },
    'per destination': { threshold: 5, within: '1m', quiet: '5m', key_by: ['destinationIp'] },
  };
  it.each(files.flatMap((file) => Object.keys(storms).map((storm) => [file, storm] as const)))(
    '%s, storms %s: the same counts, incidents, storm incidents with their sources, and signals',
    async (file, storm) => {
      const config = testConfigDir({ rules: (doc) => void (doc.defaults.storm = storms[storm as keyof typeof storms]) });
      try {
        const { backtested, ingested, stormIncidents } = await ingestAndBacktest(file, config.dir);
        // Ingest folded a storm: the comparison below covers storm incidents, not only ordinary ones.
        expect(stormIncidents).toBeGreaterThan(0);
        expect(backtested).toEqual(ingested);
      } finally {
        config.remove();
      }
    },
  );
});
