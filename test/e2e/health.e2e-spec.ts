import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import type { HealthReport } from '../../src/health/health.service';
import { freePort } from '../support/temporal-server';
import { pollUntil, RunningApi, startApi, testEnv } from '../support/harness';
import { isolatedDatabase } from '../support/isolated';
import { TcpProxy } from '../support/tcp-proxy';

/** The report as JSON carries it: timestamps are ISO strings. */
type HealthBody = Omit<HealthReport, 'details'> & {
  details: {
    notices: { failed: number; oldestFailedAt: string | null };
    outbox: { deadLettered: number; oldestDeadLetteredAt: string | null };
    compensations: { failed: number; oldestFailedAt: string | null };
  } | null;
};

const getHealth = async (api: RunningApi) => {
  const res = await fetch(`${api.url}/health`);
  return { status: res.status, body: (await res.json()) as HealthBody };
};

describe('GET /health', () => {
  it('answers 200 with the database and Temporal up', async () => {
    const api = await startApi(testEnv());
    try {
      const { status, body } = await getHealth(api);
      expect(status).toBe(200);
      expect(body.status).toBe('ok');
      expect(body.down).toEqual([]);
      expect(body.parts.database.status).toBe('up');
      expect(body.parts.temporal.status).toBe('up');
    } finally {
      await api.close();
    }
  });

  it('answers 503 naming the database while it is unreachable, and 200 again once it is back, without a restart', async () => {
    const db = new URL(process.env.DATABASE_URL!);
    const proxy = new TcpProxy(db.hostname, Number(db.port || 5432));
    await proxy.start();
    db.host = `127.0.0.1:${proxy.port}`;
    const api = await startApi(testEnv({ DATABASE_URL: db.toString(), HEALTH_CHECK_TIMEOUT_SECONDS: '1' }));
    try {
      expect((await getHealth(api)).status).toBe(200);

      await proxy.stop();
      const down = await pollUntil(
        () => getHealth(api),
        (h) => h.status === 503,
        { what: 'health 503' },
      );
      expect(down.body.down).toEqual(['database']);
      expect(down.body.parts.database.status).toBe('down');
      expect(down.body.details).toBeNull();
      expect(down.body.parts.temporal.status).toBe('up');

      await proxy.start();
      const up = await pollUntil(
        () => getHealth(api),
        (h) => h.status === 200,
        { what: 'health 200' },
      );
      expect(up.body.down).toEqual([]);
    } finally {
      await api.close();
      await proxy.stop();
    }
  });

  it('counts failed notices, dead-lettered outbox rows and failed compensations, with the oldest of each, and stays ready with them', async () => {
    const database = await isolatedDatabase();
    const db = await new DataSource(dataSourceOptions(database.url, 1)).initialize();
    const api = await startApi(testEnv({ DATABASE_URL: database.url }));
    try {
      const none = await getHealth(api);
      expect(none.body.details).toEqual({
        notices: { failed: 0, oldestFailedAt: null },
        outbox: { deadLettered: 0, oldestDeadLetteredAt: null },
        compensations: { failed: 0, oldestFailedAt: null },
      });

      // Two failed notices and a pending one; a dead-lettered row, a pending row and a delivered row.
      await db.query(
        `INSERT INTO notifications (key, kind, failed_at) VALUES
          ('failed-1', 'assigned', '2026-01-01T00:00:00Z'), ('failed-2', 'escalation', '2026-01-02T00:00:00Z'), ('pending', 'assigned', NULL)`,
      );
      await db.query(
        `INSERT INTO outbox (incident_id, kind, failures, dead_lettered_at, available_at, delivered_at) VALUES
          ($1, 'alerts_changed', 10, '2026-01-03T00:00:00Z', 'infinity', NULL), ($1, 'resolved', 0, NULL, now(), NULL),
          ($1, 'acknowledged', 0, NULL, now(), now())`,
        [randomUUID()],
      );
      // A run with two undos that failed for good, one that worked and a step never undone.
      const [incident] = await db.query<{ id: string }[]>(
        `INSERT INTO incidents (correlation_key, status, title, severity, priority, action, rule, opening_rule, assign_role, types,
                                first_seen_at, last_seen_at)
         VALUES ('health', 'resolved', 't', 'high', 'P2', 'immediate', 'r', 'r', 'analyst', '{port_scan}', now(), now()) RETURNING id`,
      );
      const [run] = await db.query<{ id: string }[]>(
        `INSERT INTO playbook_runs (incident_id, playbook, status) VALUES ($1, 'p', 'compensation_failed') RETURNING id`,
        [incident.id],
      );
      await db.query(
        `INSERT INTO playbook_steps (run_id, step_id, action, status, compensation_status, compensation_failed_at) VALUES
          ($1, 'a', 'block_ip', 'succeeded', 'failed', '2026-01-05T00:00:00Z'), ($1, 'b', 'block_ip', 'uncertain', 'failed', '2026-01-04T00:00:00Z'),
          ($1, 'c', 'disable_user', 'succeeded', 'compensated', NULL), ($1, 'd', 'isolate_host', 'failed', NULL, NULL)`,
        [run.id],
      );
      const { status, body } = await getHealth(api);
      expect(status).toBe(200);
      expect(body.status).toBe('ok');
      expect(body.details).toEqual({
        notices: { failed: 2, oldestFailedAt: '2026-01-01T00:00:00.000Z' },
        outbox: { deadLettered: 1, oldestDeadLetteredAt: '2026-01-03T00:00:00.000Z' },
        compensations: { failed: 2, oldestFailedAt: '2026-01-04T00:00:00.000Z' },
      });
    } finally {
      await api.close();
      await db.destroy();
      await database.drop();
    }
  });

  it('answers 503 naming Temporal when it cannot be reached', async () => {
    const api = await startApi(testEnv({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`, HEALTH_CHECK_TIMEOUT_SECONDS: '1' }));
    try {
      const { status, body } = await getHealth(api);
      expect(status).toBe(503);
      expect(body.down).toEqual(['temporal']);
      expect(body.parts.database.status).toBe('up');
    } finally {
      await api.close();
    }
  });

  it('answers unknown routes with application/problem+json', async () => {
    const api = await startApi(testEnv());
    try {
      const res = await fetch(`${api.url}/v1/nope`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ status: 404, title: 'Not found' });
    } finally {
      await api.close();
    }
  });
});
