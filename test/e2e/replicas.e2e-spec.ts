import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { parse, stringify } from 'yaml';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { client, createKey, pollUntil, testEnv, untilFolded } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { kill, launch, Launched } from '../support/processes';
import { freePort } from '../support/temporal-server';

describe('two api replicas racing', () => {
  const env = testEnv();
  const launched: Launched[] = [];
  let db: DataSource;
  let replicas: ReturnType<typeof client>[];
  // The run's config plus one storm-folding rule of the suite's own (folding is off for the rest of the shared database).
  const configDir = mkdtempSync(join(tmpdir(), 'warden-replicas-'));
  const STORM_THRESHOLD = 10;

  beforeAll(async () => {
    cpSync(env.WARDEN_CONFIG_DIR, configDir, { recursive: true });
    const rules = parse(readFileSync(join(configDir, 'rules.yaml'), 'utf8'));
    rules.rules.unshift({
      name: 'race-storm',
      match: { type: 'race_scan' },
      action: 'correlate',
      correlate_by: ['sourceIp'],
      storm: { threshold: STORM_THRESHOLD, within: '10m', quiet: '10m' },
    });
    writeFileSync(join(configDir, 'rules.yaml'), stringify(rules));

    const ports = [await freePort(), await freePort()];
    for (const port of ports) {
      launched.push(
        launch('main.ts', { PORT: String(port), HOST: '127.0.0.1', OUTBOX_DISPATCHER_ENABLED: 'false', WARDEN_CONFIG_DIR: configDir }),
      );
    }
    for (const port of ports) {
      await pollUntil(
        () => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status),
        (s) => s === 200,
        { timeoutMs: 45_000, what: `api on ${port}` },
      );
    }
    db = await new DataSource(dataSourceOptions(env.DATABASE_URL, 2)).initialize();
    const key = await createKey(env, ['ingest']);
    replicas = ports.map((port) => client(`http://127.0.0.1:${port}`, key));
  });

  afterAll(async () => {
    kill(...launched);
    await db?.destroy();
    rmSync(configDir, { recursive: true, force: true });
  });

  it('on one source IP produce exactly one incident with the right count from 50 parallel clients', async () => {
    const sourceIp = uniqueIp();
    // Half the clients repeat one alert (dedup races), half send distinct ones (correlation races).
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        replicas[i % 2]('POST', '/v1/alerts', {
          source: 'ids-race',
          type: i % 2 ? 'port_scan' : 'recon',
          severity: 'medium',
          title: i % 2 ? 'Port scan' : `Probe ${i}`,
          sourceIp,
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(202));

    await untilFolded(db, [...new Set(results.map((r) => r.body.incidentId as string))]);
    const incidents = await db.query(`SELECT id, alert_count, types FROM incidents WHERE source_ip = $1`, [sourceIp]);
    expect(incidents).toHaveLength(1);
    expect(incidents[0].alert_count).toBe(50);
    expect(new Set(results.map((r) => r.body.incidentId))).toEqual(new Set([incidents[0].id]));
    expect(
      await db.query(`SELECT status, count(*)::int AS n FROM alerts WHERE source_ip = $1 GROUP BY status ORDER BY status`, [sourceIp]),
    ).toEqual([
      { status: 'duplicate', n: 24 },
      { status: 'new', n: 26 },
    ]);
    const [{ occurrence_count }] = await db.query(
      `SELECT occurrence_count FROM alerts WHERE source_ip = $1 AND status = 'new' AND type = 'port_scan'`,
      [sourceIp],
    );
    expect(occurrence_count).toBe(25);
  });

  it('in one storm open exactly the threshold of incidents and one storm incident, from 80 parallel clients', async () => {
    // Single alerts, so most requests open an incident rather than join the storm: the threshold count is what races.
    const results = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        replicas[i % 2]('POST', '/v1/alerts', {
          source: 'ids-race',
          type: 'race_scan',
          severity: 'medium',
          title: 'Distributed scan',
          sourceIp: `10.77.${i >> 8}.${i & 255}`,
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(80).fill(202));
    await untilFolded(db, [...new Set(results.map((r) => r.body.incidentId as string))]);
    const incidents = await db.query(
      `SELECT storm, count(*)::int AS incidents, sum(alert_count)::int AS alerts FROM incidents
        WHERE opening_rule = 'race-storm' GROUP BY storm ORDER BY storm`,
    );
    expect(incidents).toEqual([
      { storm: false, incidents: STORM_THRESHOLD, alerts: STORM_THRESHOLD },
      { storm: true, incidents: 1, alerts: 80 - STORM_THRESHOLD },
    ]);
  });
});
