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

  // Bodies taken from the tools' own repositories and receivers' fixtures (test/fixtures/README.md).
  describe('real payloads', () => {
    const medium = 'used the default "medium"';
    const missingSeverity = (i: number) => ({ path: `/alerts/${i}/labels/severity`, message: `missing; ${medium}` });
    const webhook = (file: string, index: number) => readJson(join(fixtures, 'alertmanager', file))[index];
    // Other runs and cases post the same alerts: a fresh host label and fingerprint keep each one new, not a repeat.
    const fresh = (body: any) => ({
      ...body,
      alerts: body.alerts.map((a: any) => ({
        ...a,
        labels: { ...a.labels, host: `real-${randomUUID()}` },
        ...(a.fingerprint ? { fingerprint: `${a.fingerprint}-${randomUUID()}` } : {}),
      })),
    });

    it.each([
      [
        'prometheus-am-executor integration test, version "3", no severity labels',
        webhook('prometheus-am-executor.json', 0),
        [0, 1].map((i) => [{ path: '/version', message: 'unknown webhook version "3"; read as version "4"' }, missingSeverity(i)]),
      ],
      [
        'prometheus-am-executor example, no version, no severity labels',
        webhook('prometheus-am-executor.json', 1),
        [0, 1].map((i) => [missingSeverity(i)]),
      ],
      [
        'calert mock payload, severity "deadman"',
        webhook('calert.json', 0),
        [0, 1].map((i) => [{ path: `/alerts/${i}/labels/severity`, message: `unknown severity "deadman"; ${medium}` }]),
      ],
      ['prometheus-msteams request, version 4, severity "warning"', webhook('prometheus-msteams.json', 0), [undefined]],
      ['prometheus-msteams request, no severity labels', webhook('prometheus-msteams.json', 1), [0, 1].map((i) => [missingSeverity(i)])],
      [
        'calert mock payload sent as version 0',
        { ...webhook('calert.json', 0), version: 0 },
        [0, 1].map((i) => [
          { path: '/version', message: 'unknown webhook version 0; read as version "4"' },
          { path: `/alerts/${i}/labels/severity`, message: `unknown severity "deadman"; ${medium}` },
        ]),
      ],
    ])('accepts the Alertmanager webhook: %s, warning on each defaulted field', async (_what, body, warnings) => {
      const sent = fresh(body);
      const res = await http('POST', '/v1/alerts/alertmanager', sent);
      expect(res.status).toBe(202);
      expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(sent.alerts.map(() => 'new'));
      expect(res.body.results.map((r: { warnings?: unknown }) => r.warnings)).toEqual(warnings);

      const ids = res.body.results.map((r: { alertId: string }) => r.alertId);
      const rows: { id: string; severity: string; raw: any }[] = await db.query(
        `SELECT id, severity, raw FROM alerts WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      sent.alerts.forEach((alert: { labels: { severity?: string } }, i: number) => {
        const row = byId.get(ids[i])!;
        // The original label, or its absence, stays in the stored payload.
        expect(row.raw.alerts).toEqual([alert]);
        expect(row.severity).toBe(warnings[i] ? 'medium' : tables.alertmanager.severity[alert.labels.severity!]);
      });
    });

    it('accepts every Elastic system integration document, defaulting a missing event.severity and type', async () => {
      const docs = readJson(join(fixtures, 'ecs', 'elastic-integrations-system.json')) as any[];
      // Fresh hosts keep them from being repeats of other runs' (and of each other: the sudo lines match).
      const sent = docs.map((d) => ({ ...d, host: { ...d.host, name: `real-${randomUUID()}` } }));
      const res = await http('POST', '/v1/alerts/ecs', sent);
      expect(res.status).toBe(202);
      expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(sent.map(() => 'new'));

      // The sudo lines, the dropped connection and the systemd sample name no category or action.
      const untyped = new Set([4, 5, 6, 7, 11]);
      const severity = 'missing, as are event.severity_label, kibana.alert.severity and kibana.alert.risk_score; used the default "medium"';
      const type = 'missing, as are rule.name and event.action; used the default type "security_event"';
      expect(res.body.results.map((r: { warnings?: unknown }) => r.warnings)).toEqual(
        sent.map((_d, i) => [
          ...(untyped.has(i) ? [{ path: `/${i}/event/category`, message: type }] : []),
          { path: `/${i}/event/severity`, message: severity },
        ]),
      );
      const ids = res.body.results.map((r: { alertId: string }) => r.alertId);
      const rows: { id: string; severity: string; type: string; raw: unknown }[] = await db.query(
        `SELECT id, severity, type, raw FROM alerts WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      sent.forEach((doc, i) => {
        const row = byId.get(ids[i])!;
        expect(row).toMatchObject({ severity: 'medium', raw: doc });
        if (untyped.has(i)) expect(row.type).toBe('security_event');
      });
    });

    it('keeps the native endpoint strict: an unknown severity is refused', async () => {
      const res = await http('POST', '/v1/alerts', { source: 'x', type: 'y', severity: 'deadman', title: 't' });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual([{ path: '/severity', message: expect.stringMatching(/must be one of/) }]);
    });
  });

  it('answers 404 naming the known formats for an unknown one', async () => {
    const res = await http('POST', '/v1/alerts/splunk', {});
    expect(res.status).toBe(404);
    expect(res.body.detail).toContain('suricata, alertmanager, wazuh, falco, ecs');
  });
});
