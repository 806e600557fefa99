import { join } from 'node:path';
import { loadWardenConfig } from '../config/warden-config';
import type { SecurityAlert } from '../domain';
import { IdempotencyConflict, IngestPath } from './ingest-path';
import type { SnapshotRequest } from './ingest-sql';
import type { AcceptedAlert } from './items';
import { MemoryIngestStore } from './memory-store';

const rules = loadWardenConfig(join(__dirname, '..', '..', 'config')).rules;

const alert = (over: Partial<SecurityAlert> = {}): SecurityAlert => ({
  source: 'alertmanager',
  type: 'port_scan',
  severity: 'medium',
  title: 'scan',
  sourceIp: '198.51.100.7',
  externalId: 'fp-1:2025-01-01T00:00:00Z',
  ...over,
});
const items = (...list: Omit<AcceptedAlert, 'index' | 'pointer'>[]): AcceptedAlert[] =>
  list.map((item, index) => ({ index, pointer: `/${index}`, ...item }));

function ingest() {
  const store = new MemoryIngestStore();
  store.now = Date.parse('2025-01-01T00:00:00Z');
  return { store, path: new IngestPath(store, rules) };
}

describe(IngestPath.name, () => {
  describe('Alertmanager order', () => {
    it('resolves an alert fired earlier in the same request', async () => {
      const { store, path } = ingest();
      const [fired, resolved] = await path.ingest(items({ alert: alert() }, { alert: alert(), resolves: true }));
      expect(fired).toMatchObject({ index: 0, status: 'new' });
      expect(resolved).toEqual({ index: 1, status: 'resolved', alertId: fired.alertId, incidentId: fired.incidentId, priority: 'P3' });
      expect(store.alerts.map((a) => a.resolvedAt)).toEqual([store.now]);
    });

    it('resolves nothing that fires only after the resolve', async () => {
      const { store, path } = ingest();
      const [resolved, fired] = await path.ingest(items({ alert: alert(), resolves: true }, { alert: alert() }));
      expect(resolved).toEqual({ index: 0, status: 'resolved' });
      expect(fired).toMatchObject({ index: 1, status: 'new' });
      expect(store.alerts.map((a) => a.resolvedAt)).toEqual([undefined]);
    });
  });

  describe('Idempotency-Key', () => {
    const keyed = (bodyHash: string) => items({ alert: alert({ externalId: undefined }), idempotencyKey: 'k-1', bodyHash });

    it('answers a repeat with the same body with the first result', async () => {
      const { path } = ingest();
      const [first] = await path.ingest(keyed('body-a'));
      expect(await path.ingest(keyed('body-a'))).toEqual([{ ...first, repeat: true }]);
    });

    it('refuses the key reused with another body, storing nothing', async () => {
      const { store, path } = ingest();
      await path.ingest(keyed('body-a'));
      await expect(path.ingest(keyed('body-b'))).rejects.toBeInstanceOf(IdempotencyConflict);
      expect(store.alerts).toHaveLength(1);
    });
  });

  it('answers a repeated source and externalId with the first result, storing it once', async () => {
    const { store, path } = ingest();
    const [first, again] = await path.ingest(items({ alert: alert() }, { alert: alert({ title: 'sent again' }) }));
    expect(again).toEqual({ ...first, index: 1, repeat: true });
    expect(store.alerts).toHaveLength(1);
  });

  describe('the API key that sent it', () => {
    it("stores a key's alert whose source and externalId another key sent first", async () => {
      const { store, path } = ingest();
      // The intruder knows the id, not the alert: another address, so no fingerprint in common.
      await path.ingest(items({ alert: alert({ sourceIp: '203.0.113.66' }), apiKeyId: 'intruder' }));
      const [mine] = await path.ingest(items({ alert: alert(), apiKeyId: 'monitor' }));
      expect(mine).toMatchObject({ status: 'new' });
      expect(mine.repeat).toBeUndefined();
      expect(store.alerts.map((a) => a.apiKeyId)).toEqual(['intruder', 'monitor']);
    });

    it("resolves only the alert the same key fired, not another key's", async () => {
      const { store, path } = ingest();
      const [fired] = await path.ingest(items({ alert: alert(), apiKeyId: 'monitor' }));
      expect(await path.ingest(items({ alert: alert(), resolves: true, apiKeyId: 'intruder' }))).toEqual([
        { index: 0, status: 'resolved' },
      ]);
      expect(await path.ingest(items({ alert: alert(), resolves: true, apiKeyId: 'monitor' }))).toEqual([
        { index: 0, status: 'resolved', alertId: fired.alertId, incidentId: fired.incidentId, priority: 'P3' },
      ]);
      expect(store.alerts.map((a) => a.resolvedAt)).toEqual([store.now]);
    });
  });

  describe('thresholds', () => {
    // failed-login-burst: 10 failed logins from one address within 5 minutes raise the incident to P2.
    const login = (n: number) => ({
      alert: alert({ type: 'failed_login', title: `login failed ${n}`, user: `u${n}`, externalId: `login-${n}` }),
      apiKeyId: 'key-1',
    });

    it('count each alert of a retried, partly stored batch once', async () => {
      const { path } = ingest();
      // The first attempt stored six before the client gave up; the retry sends all ten.
      await path.ingest(items(...[1, 2, 3, 4, 5, 6].map(login)));
      const retry = await path.ingest(items(...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(login)));
      expect(retry.map((r) => [r.repeat ?? false, r.priority])).toEqual([
        ...Array(6).fill([true, 'P3']),
        [false, 'P3'],
        [false, 'P3'],
        [false, 'P3'],
        [false, 'P2'],
      ]);
    });

    it('count stored alerts that another request sent', async () => {
      const { path } = ingest();
      await path.ingest(items(...[1, 2, 3, 4, 5, 6].map(login)));
      const next = await path.ingest(items(...[7, 8, 9, 10].map(login)));
      expect(next.map((r) => r.priority)).toEqual(['P3', 'P3', 'P3', 'P2']);
    });
  });

  describe('locks while a kind storms', () => {
    /** A memory store that keeps the locks each transaction asked for. */
    class LockRecordingStore extends MemoryIngestStore {
      readonly asked: SnapshotRequest['locks'][] = [];
      override transact<T>(...args: Parameters<MemoryIngestStore['transact']>): Promise<T> {
        this.asked.push(args[0].locks);
        return super.transact(...(args as [SnapshotRequest, never]));
      }
    }
    // The shipped `medium` rule storms at 50 incidents of one kind (type and monitor) within a minute.
    const scan = (n: number) => ({ alert: alert({ sourceIp: `10.9.${n >> 8}.${n & 255}`, externalId: undefined, title: `scan ${n}` }) });

    it('does not lock the own keys of alerts whose kind was folding, and still joins an open incident of their own', async () => {
      const store = new LockRecordingStore();
      store.now = Date.parse('2025-01-01T00:00:00Z');
      const path = new IngestPath(store, rules);
      // 100 alerts in one chunk: the first 50 open incidents, the next 50 fold into the storm.
      const first = await path.ingest(items(...Array.from({ length: 100 }, (_, n) => scan(n))));
      expect(new Set(first.slice(50).map((r) => r.incidentId)).size).toBe(1);
      store.asked.length = 0;

      // Next: a new address, and the address of the first alert, whose incident is still open.
      const [fresh, again] = await path.ingest(
        items(scan(500), { alert: alert({ sourceIp: '10.9.0.0', externalId: undefined, title: 'scan 0, later' }) }),
      );
      expect(fresh.incidentId).toBe(first[99].incidentId);
      expect(again.incidentId).toBe(first[0].incidentId);
      // One run: the new address's own key is not locked; the open incident's is, as its recent run needed it.
      expect(
        store.asked.map((locks) => [locks.has('correlation:sourceIp=10.9.1.244'), locks.get('correlation:sourceIp=10.9.0.0')]),
      ).toEqual([[false, 'exclusive']]);
    });
  });
});
