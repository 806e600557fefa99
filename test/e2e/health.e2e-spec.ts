import { freePort } from '../support/temporal-server';
import { pollUntil, RunningApi, startApi, testEnv } from '../support/harness';
import { TcpProxy } from '../support/tcp-proxy';

const getHealth = async (api: RunningApi) => {
  const res = await fetch(`${api.url}/health`);
  return { status: res.status, body: (await res.json()) as { status: string; down: string[]; parts: Record<string, { status: string }> } };
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
