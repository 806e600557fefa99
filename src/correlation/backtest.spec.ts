import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWardenConfig } from '../config/warden-config';
import { validateItems } from '../ingest/intake';
import { normalizers } from '../ingest/normalizers';
import { loadEnrichment } from '../enrichment';
import { backtest, formatBacktest } from './backtest';
import { rulesFileSchema } from './rules.schema';

// Ingest validates before correlation sees anything; so does the CLI's backtest.
const validated = (items: Parameters<typeof validateItems>[0]) => validateItems(items);

const config = loadWardenConfig(join(__dirname, '..', '..', 'config'));
const sample = JSON.parse(readFileSync(join(__dirname, '..', '..', 'test', 'fixtures', 'suricata', 'sample.json'), 'utf8')) as unknown[];

describe(backtest.name, () => {
  it('replays real Suricata alerts with the shipped rules, without touching any storage', async () => {
    const items = sample.flatMap((r) => normalizers.suricata(r, config.formats).map((item) => ({ ...item, pointer: '' })));
    const report = await backtest(validated(items), config.rules);
    expect(report.alerts).toBe(sample.length);
    expect(report.rejected).toEqual([]);
    expect(report.new + report.duplicates + report.suppressed).toBe(sample.length);
    expect(report.incidents.reduce((n, i) => n + i.alerts, 0)).toBe(report.new + report.duplicates);
    for (const i of report.incidents) expect(i.notifications > 0).toBe(i.action !== 'batch');
  });

  it('collapses repeats and correlates by source IP, like ingest', async () => {
    const a = {
      source: 'ids',
      type: 'failed_login',
      severity: 'medium',
      title: 'ssh',
      sourceIp: '203.0.113.9',
      occurredAt: '2025-01-01T00:00:00Z',
    };
    const items = [a, a, { ...a, title: 'ftp', occurredAt: '2025-01-01T00:01:00Z' }, { ...a, severity: 'nope' }].map((alert) => ({
      alert: alert as never,
      pointer: '',
    }));
    const report = await backtest(validated(items), config.rules);
    expect(report).toMatchObject({ new: 2, duplicates: 1, suppressed: 0 });
    expect(report.rejected.map((r) => r.index)).toEqual([3]);
    expect(report.incidents).toEqual([
      expect.objectContaining({ correlationKey: 'sourceIp=203.0.113.9', alerts: 3, rule: 'failed-logins', notifications: 1 }),
    ]);
    expect(formatBacktest(report)).toContain('incidents by priority: P3=1');
  });

  it('answers an externalId repeat with the first result (not a new alert) and applies resolves, like ingest', async () => {
    const firing = {
      source: 'alertmanager',
      type: 'port_scan',
      severity: 'medium',
      title: 'scan',
      sourceIp: '203.0.113.20',
      externalId: 'fp-9:2025-01-01T00:00:00Z',
      occurredAt: '2025-01-01T00:00:00Z',
    };
    const items = validated([firing, firing].map((alert) => ({ alert: alert as never, pointer: '' })));
    items.accepted.push({ ...items.accepted[0], index: 2, resolves: true });
    const report = await backtest({ ...items, rejected: [] }, config.rules);
    expect(report).toMatchObject({ alerts: 3, new: 1, duplicates: 0, suppressed: 0, repeats: 1, resolved: 1, resolvedAlerts: 1 });
    expect(report.incidents.map((i) => i.alerts)).toEqual([1]);
  });

  it('takes a file as one request sent now with arrival at-once, so windows do not split it', async () => {
    const spread = ['2025-01-01T00:00:00Z', '2025-01-01T03:00:00Z'].map((occurredAt) => ({
      alert: { source: 'ids', type: 'port_scan', severity: 'medium', title: 'scan', sourceIp: '203.0.113.21', occurredAt } as never,
      pointer: '',
    }));
    expect((await backtest(validated(spread), config.rules)).incidents.map((i) => i.alerts)).toEqual([1, 1]);
    expect((await backtest(validated(spread), config.rules, { arrival: 'at-once' })).incidents.map((i) => i.alerts)).toEqual([2]);
  });

  it('shows where a storm would fold, with its sources', async () => {
    const rules = rulesFileSchema.parse({
      rules: [{ name: 'scan', match: { type: 'port_scan' }, action: 'correlate', storm: { threshold: 2, key_by: ['destinationIp'] } }],
    });
    const items = Array.from({ length: 6 }, (_, i) => ({
      alert: {
        source: 'ids',
        type: 'port_scan',
        severity: 'medium',
        title: 'scan',
        sourceIp: `198.51.100.${i + 1}`,
        destinationIp: '192.0.2.10',
        occurredAt: `2025-01-01T00:00:0${i}Z`,
      } as never,
      pointer: '',
    }));
    const report = await backtest(validated(items), rules);
    expect(report.incidents.map((i) => [i.correlationKey, i.alerts, i.stormSources])).toEqual([
      ['sourceIp=198.51.100.1', 1, undefined],
      ['sourceIp=198.51.100.2', 1, undefined],
      ['storm=scan|type=port_scan|source=ids|destinationIp=192.0.2.10', 4, 4],
    ]);
    expect(formatBacktest(report)).toContain(
      '#3 port_scan from ids (rule scan): 4 alerts from 4 sources (key storm=scan|type=port_scan|source=ids|destinationIp=192.0.2.10)',
    );
  });
});

describe('backtest with enrichment', () => {
  const record = JSON.parse(readFileSync(join(__dirname, '..', '..', 'test', 'fixtures', 'suricata', 'attack-metadata.json'), 'utf8'));

  it("lists each alert's enrichment, as the api's tables give it", async () => {
    const tables = await loadEnrichment(config, { WARDEN_CONFIG_DIR: join(__dirname, '..', '..', 'config') }, () => undefined);
    const items = normalizers.suricata(record, config.formats).map((item) => ({ ...item, pointer: '' }));
    const report = await backtest(validated(items), config.rules, { enrich: tables.enrich });
    expect(report.enriched!.map((a) => [a.index, a.enrichment.techniques.map((t) => t.id)])).toEqual([[0, ['T1190']]]);
  });

  it('prints it on one line per alert', async () => {
    const tables = await loadEnrichment(config, { WARDEN_CONFIG_DIR: join(__dirname, '..', '..', 'config') }, () => undefined);
    const items = normalizers.suricata(record, config.formats).map((item) => ({ ...item, pointer: '' }));
    const text = formatBacktest(await backtest(validated(items), config.rules, { enrich: tables.enrich }));
    expect(text).toContain(
      // P2: the shipped sql-injection rule's.
      '#0 P2 new: src 10.128.0.241 internal (private) · dst 10.47.45.10 internal (private) · T1190 Exploit Public-Facing Application · tactics initial-access\n',
    );
  });
});
