import type { Enrichment } from './enrichment';
import { describeEnrichment } from './describe';
import { rollUpEnrichment } from './rollup';

const base: Enrichment = { techniques: [], tactics: [], intel: [], assets: [], warnings: [] };
const fromChina: Enrichment = {
  ...base,
  source: { ip: '175.16.199.1', internal: false, country: { iso: 'CN', name: 'China' }, city: 'Changchun', asn: { number: 4134 } },
  destination: { ip: '10.0.0.5', internal: true, range: 'private' },
  techniques: [{ id: 'T1059.001', name: 'PowerShell', tactics: ['execution'], origin: 'payload', replaces: 'T1086' }],
  tactics: [{ id: 'TA0002', shortname: 'execution', name: 'Execution', origin: 'technique' }],
  intel: [
    {
      list: 'circl',
      kind: 'ip',
      indicator: '175.16.199.1',
      matched: '175.16.199.1',
      field: 'sourceIp',
      confidence: 80,
      ref: { type: 'misp', event: '5721c2e4-05ec-4af3-9264-411b950d210f', info: 'Locky' },
    },
  ],
  assets: [{ kind: 'host', name: 'db-1', field: 'host', matched: 'db-1', criticality: 'high', team: 'dba', tags: ['pci'] }],
  criticality: 'high',
};
const fromSweden: Enrichment = {
  ...base,
  source: { ip: '89.160.20.112', internal: false, country: { iso: 'SE', name: 'Sweden' } },
  techniques: [{ id: 'T1059.001', name: 'PowerShell', tactics: ['execution'], origin: 'type' }],
  assets: [{ kind: 'network', name: 'dmz', field: 'destinationIp', matched: '10.9.0.1', criticality: 'low', tags: [] }],
  criticality: 'low',
};

describe('rollUpEnrichment', () => {
  const rollup = rollUpEnrichment([fromChina, null, fromSweden, fromChina]);

  it('counts each country by the alerts that carry it, most first', () => {
    expect(rollup.countries).toEqual([
      { iso: 'CN', name: 'China', alerts: 2 },
      { iso: 'SE', name: 'Sweden', alerts: 1 },
    ]);
  });

  it('lists the ASNs', () => {
    expect(rollup.asns).toEqual([{ number: 4134, alerts: 2 }]);
  });

  it('lists a technique once per alert', () => {
    expect(rollup.techniques).toEqual([{ id: 'T1059.001', name: 'PowerShell', alerts: 3 }]);
  });

  it('lists the tactics', () => {
    expect(rollup.tactics).toEqual([{ id: 'TA0002', shortname: 'execution', name: 'Execution', alerts: 2 }]);
  });

  it('lists intel hits with the event they matched', () => {
    expect(rollup.intel).toEqual([
      {
        list: 'circl',
        indicator: '175.16.199.1',
        confidence: 80,
        ref: { type: 'misp', event: '5721c2e4-05ec-4af3-9264-411b950d210f', info: 'Locky' },
        alerts: 2,
      },
    ]);
  });

  it('lists the assets and the highest criticality among them', () => {
    expect([rollup.assets.map((a) => `${a.name}:${a.alerts}`), rollup.criticality]).toEqual([['db-1:2', 'dmz:1'], 'high']);
  });

  it('is empty for alerts stored without enrichment', () => {
    expect(rollUpEnrichment([null, undefined])).toEqual({ countries: [], asns: [], techniques: [], tactics: [], intel: [], assets: [] });
  });
});

describe('describeEnrichment', () => {
  it('says everything on one line', () => {
    expect(describeEnrichment(fromChina)).toBe(
      'src 175.16.199.1 CN Changchun AS4134 · dst 10.0.0.5 internal (private) · T1059.001 PowerShell (from T1086) · ' +
        'tactics execution · intel circl:175.16.199.1 · assets db-1 high team dba',
    );
  });

  it('is a dash when nothing was added', () => {
    expect(describeEnrichment(base)).toBe('-');
  });
});
