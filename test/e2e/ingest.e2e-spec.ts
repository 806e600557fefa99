import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { client, createKey, IngestApi, openIngestApi, RunningApi } from '../support/harness';
import type { Env } from '../../src/common/env';
import { uniqueIp } from '../support/ips';

describe('POST /v1/alerts', () => {
  let env: Env;
  let api: RunningApi;
  let db: DataSource;
  let http: ReturnType<typeof client>;
  let suite: IngestApi;

  beforeAll(async () => ({ env, api, db, http } = suite = await openIngestApi()));
  afterAll(() => suite?.close());

  const alert = (over: Record<string, unknown> = {}) => ({
    source: 'ids-1',
    type: 'port_scan',
    severity: 'medium',
    title: 'Port scan',
    sourceIp: uniqueIp(),
    ...over,
  });

  describe('authentication', () => {
    it('answers 401 without a key, 401 with an unknown key and 403 with the wrong scope', async () => {
      expect((await client(api.url)('POST', '/v1/alerts', alert())).status).toBe(401);
      expect((await client(api.url, 'wdn_nope')('POST', '/v1/alerts', alert())).status).toBe(401);
      const analyst = client(api.url, await createKey(env, ['analyst']));
      const res = await analyst('POST', '/v1/alerts', alert());
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    });
  });

  describe('a single alert', () => {
    it('answers 202 with the stored result after commit', async () => {
      const res = await http('POST', '/v1/alerts', alert());
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'new', priority: 'P3', alertId: expect.any(String), incidentId: expect.any(String) });
      const [row] = await db.query('SELECT status, incident_id FROM alerts WHERE id = $1', [res.body.alertId]);
      expect(row).toEqual({ status: 'new', incident_id: res.body.incidentId });
    });

    it('answers 422 naming each bad field', async () => {
      const res = await http('POST', '/v1/alerts', alert({ severity: 'urgent', sourceIp: '999.1.1.1', extra: 1 }));
      expect(res.status).toBe(422);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/extra', '/severity', '/sourceIp']);
    });
  });

  describe('idempotency', () => {
    it('answers a repeated Idempotency-Key with the first result and stores nothing twice', async () => {
      const key = randomUUID();
      const body = alert();
      const first = await http('POST', '/v1/alerts', body, { 'idempotency-key': key });
      // The same body sent again (a reuse with another body is refused: hostile.e2e-spec.ts).
      const again = await http('POST', '/v1/alerts', body, { 'idempotency-key': key });
      expect(first.status).toBe(202);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      // Stored scoped to the API key that sent it: [keyId, Idempotency-Key].
      expect(await db.query(`SELECT count(*)::int AS n FROM alerts WHERE idempotency_key::jsonb ->> 1 = $1`, [key])).toEqual([{ n: 1 }]);
    });

    it('scopes an Idempotency-Key to the API key that sent it', async () => {
      const key = randomUUID();
      const other = client(api.url, await createKey(env, ['ingest'], 'other-sensor'));
      const mine = await http('POST', '/v1/alerts', alert(), { 'idempotency-key': key });
      const theirs = await other('POST', '/v1/alerts', alert(), { 'idempotency-key': key });
      expect([mine.status, theirs.status]).toEqual([202, 202]);
      expect(theirs.body.alertId).not.toBe(mine.body.alertId);
    });

    it('treats the same source and externalId as a repeat', async () => {
      const externalId = randomUUID();
      const first = await http('POST', '/v1/alerts', alert({ externalId }));
      const again = await http('POST', '/v1/alerts', alert({ externalId }));
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect(await db.query('SELECT count(*)::int AS n FROM alerts WHERE external_id = $1', [externalId])).toEqual([{ n: 1 }]);
    });
  });

  describe('batches', () => {
    it('answers per item in input order and keeps the valid items', async () => {
      const ip = uniqueIp();
      const res = await http('POST', '/v1/alerts', {
        alerts: [alert({ sourceIp: ip }), alert({ severity: 'nope' }), alert({ sourceIp: ip })],
      });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ accepted: 1, duplicates: 1, rejected: 1, suppressed: 0 });
      expect(res.body.results.map((r: { index: number; status: string }) => [r.index, r.status])).toEqual([
        [0, 'new'],
        [1, 'rejected'],
        [2, 'duplicate'],
      ]);
      expect(res.body.results[1].errors).toEqual([
        { path: '/alerts/1/severity', message: expect.stringContaining('low, medium, high, critical') },
      ]);
    });

    it('accepts NDJSON, rejecting only the malformed line', async () => {
      const body = [JSON.stringify(alert()), '{not json', JSON.stringify(alert({ type: 'malware' }))].join('\n');
      const res = await http('POST', '/v1/alerts', body, { 'content-type': 'application/x-ndjson' });
      expect(res.status).toBe(202);
      expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['new', 'rejected', 'new']);
      expect(res.body.results[1].errors[0]).toMatchObject({ path: '/1', message: expect.stringContaining('line 2') });
    });

    it('answers 413 past 1,000 alerts', async () => {
      const res = await http(
        'POST',
        '/v1/alerts',
        Array.from({ length: 1001 }, () => alert()),
      );
      expect(res.status).toBe(413);
      expect(res.body.errors[0].path).toBe('/');
    });
  });
});
