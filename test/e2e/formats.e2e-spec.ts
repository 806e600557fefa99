import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadWardenConfig } from '../../src/config/warden-config';
import { normalizers } from '../../src/ingest/normalizers';
import { client, IngestApi, openIngestApi } from '../support/harness';
import { uniqueIp } from '../support/ips';

const shared = join(__dirname, '..', '..', '..', 'shared', 'data', 'suricata');
const fixtures = join(__dirname, '..', 'fixtures');
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const tables = loadWardenConfig(join(__dirname, '..', '..', 'config')).formats;

// Other suites post the same fixtures (some mutated); fresh ids keep these records from being their repeats.
const offset = randomInt(1, 2 ** 40);
const freshSuricata = <T extends { flow_id?: number }>(r: T): T => ({ ...r, flow_id: (r.flow_id ?? 0) + offset });
const freshIds: Record<string, (r: any) => unknown> = {
  wazuh: (r) => ({ ...r, id: `${r.id}-${offset}` }),
  falco: (r) => ({ ...r, uuid: randomUUID() }),
  ecs: (r) => ({ ...r, event: { ...r.event, id: randomUUID() } }),
};

describe('POST /v1/alerts/{format}', () => {
  let db: DataSource;
  let http: ReturnType<typeof client>;
  let suite: IngestApi;

  beforeAll(async () => ({ db, http } = suite = await openIngestApi()));
  afterAll(() => suite?.close());

  const statuses = (body: { results: { status: string }[] }) => new Set(body.results.map((r) => r.status));

  describe.each(['wrccdc-2018.json', 'honeypot-2018.json'])('suricata %s (real captures)', (file) => {
    it('accepts every record and stores it with its source IP, severity and mapped type', async () => {
      const records = (
        readJson(join(shared, file)) as { src_ip: string; flow_id?: number; alert: { severity: 1 | 2 | 3; category: string } }[]
      ).map(freshSuricata);
      const res = await http('POST', '/v1/alerts/suricata', records);
      expect(res.status).toBe(202);
      expect(res.body.rejected).toBe(0);
      expect(res.body.results).toHaveLength(records.length);
      expect([...statuses(res.body)].every((s) => s === 'new' || s === 'duplicate')).toBe(true);

      const ids = res.body.results.map((r: { alertId: string }) => r.alertId);
      const rows: { id: string; source_ip: string; severity: string; type: string }[] = await db.query(
        `SELECT id, host(source_ip) AS source_ip, severity, type FROM alerts WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      records.forEach((record, i) => {
        const row = byId.get(ids[i])!;
        expect(row.source_ip).toBe(record.src_ip);
        expect(row.severity).toBe(tables.suricata.severity[record.alert.severity]);
        expect(row.type).toBe(normalizers.suricata(record, tables)[0].alert!.type);
      });
    });
  });

  it('takes Suricata EVE as NDJSON, rejecting non-alert events by name', async () => {
    const [record] = readJson(join(fixtures, 'suricata', 'sample.json'));
    const flow = { timestamp: record.timestamp, event_type: 'flow', src_ip: '10.0.0.1', dest_ip: '10.0.0.2' };
    const body = [JSON.stringify({ ...record, flow_id: randomInt(1, 2 ** 40), src_ip: uniqueIp() }), JSON.stringify(flow)].join('\n');
    const res = await http('POST', '/v1/alerts/suricata', body, { 'content-type': 'application/x-ndjson' });
    expect(res.status).toBe(202);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['new', 'rejected']);
    expect(res.body.results[1].errors[0]).toMatchObject({ path: '/1/event_type', message: expect.stringContaining('not an alert') });
  });

  it('resolves a firing Alertmanager alert when the resolved notification arrives', async () => {
    const webhook = readJson(join(fixtures, 'alertmanager', 'webhook.json'));
    const firing = { ...webhook, status: 'firing', alerts: webhook.alerts.map((a: object) => ({ ...a, status: 'firing' })) };
    const first = await http('POST', '/v1/alerts/alertmanager', firing);
    expect(first.status).toBe(202);
    expect(first.body.accepted + first.body.duplicates).toBe(webhook.alerts.length);

    const resolved = { ...webhook, status: 'resolved', alerts: webhook.alerts.map((a: object) => ({ ...a, status: 'resolved' })) };
    const second = await http('POST', '/v1/alerts/alertmanager', resolved);
    expect(second.body.resolved).toBe(webhook.alerts.length);
    const ids = second.body.results.map((r: { alertId: string }) => r.alertId);
    expect(ids).toEqual(first.body.results.map((r: { alertId: string }) => r.alertId));
    const rows = await db.query(`SELECT count(*)::int AS n FROM alerts WHERE id = ANY($1::uuid[]) AND resolved_at IS NOT NULL`, [ids]);
    expect(rows).toEqual([{ n: webhook.alerts.length }]);
  });

  it.each([
    ['wazuh', 'wazuh/alerts.json'],
    ['falco', 'falco/events.json'],
    ['ecs', 'ecs/events.json'],
  ])('accepts %s records', async (format, fixture) => {
    const records = (readJson(join(fixtures, fixture)) as unknown[]).map(freshIds[format]);
    const res = await http('POST', `/v1/alerts/${format}`, records);
    expect(res.status).toBe(202);
    expect(res.body.rejected).toBe(0);
    expect(res.body.results).toHaveLength(records.length);
    const [row] = await db.query(`SELECT source, raw FROM alerts WHERE id = $1`, [res.body.results[0].alertId]);
    expect(row.raw).toEqual(records[0]);
  });

  it('answers 404 naming the known formats for an unknown one', async () => {
    const res = await http('POST', '/v1/alerts/splunk', {});
    expect(res.status).toBe(404);
    expect(res.body.detail).toContain('suricata, alertmanager, wazuh, falco, ecs');
  });
});
