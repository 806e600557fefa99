import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { client, createKey, pollUntil, testEnv } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { kill, launch, Launched } from '../support/processes';
import { freePort } from '../support/temporal-server';

describe('two api replicas racing on one source IP', () => {
  const env = testEnv();
  const launched: Launched[] = [];
  let db: DataSource;

  afterAll(async () => {
    kill(...launched);
    await db?.destroy();
  });

  it('produce exactly one incident with the right count from 50 parallel clients', async () => {
    const ports = [await freePort(), await freePort()];
    for (const port of ports) {
      launched.push(launch('main.ts', { PORT: String(port), HOST: '127.0.0.1', OUTBOX_DISPATCHER_ENABLED: 'false' }));
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
    const replicas = ports.map((port) => client(`http://127.0.0.1:${port}`, key));

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
});
