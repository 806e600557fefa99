import type { Enrichment } from '../enrichment';
import type { AlertRecord, ChangeSet, IncidentRecord } from './engine';
import { rollupDeltas } from './rollups';

const record = (fields: Partial<AlertRecord> & { severity: string; type: string; sourceIp?: string }): AlertRecord =>
  ({
    status: 'new',
    incidentId: null,
    ...fields,
    alert: { source: 's', title: 't', severity: fields.severity, type: fields.type, sourceIp: fields.sourceIp },
  }) as AlertRecord;

const changes = (alerts: AlertRecord[], extra: Partial<ChangeSet> = {}): ChangeSet => ({
  closed: new Set(),
  updated: new Map(),
  created: new Map(),
  alerts,
  bumped: new Map(),
  stormSources: new Map(),
  outbox: [],
  ...extra,
});

describe(rollupDeltas.name, () => {
  it('counts alerts per severity, type and status, in one key order', () => {
    const { alerts } = rollupDeltas(
      changes([
        record({ severity: 'low', type: 'recon' }),
        record({ severity: 'high', type: 'malware', status: 'duplicate' }),
        record({ severity: 'low', type: 'recon' }),
      ]),
    );
    expect(alerts).toEqual([
      { severity: 'high', type: 'malware', status: 'duplicate', storm: false, alerts: 1 },
      { severity: 'low', type: 'recon', status: 'new', storm: false, alerts: 2 },
    ]);
  });

  it('marks new alerts that joined a stored or a new storm incident as folded', () => {
    const { alerts } = rollupDeltas(
      changes(
        [
          record({ severity: 'low', type: 'port_scan', incidentId: 'stored-storm' }),
          record({ severity: 'low', type: 'port_scan', incidentId: 'new-storm' }),
          record({ severity: 'low', type: 'port_scan', incidentId: 'ordinary' }),
          record({ severity: 'low', type: 'port_scan', incidentId: 'new-storm', status: 'duplicate' }),
        ],
        {
          stormSources: new Map([['stored-storm', new Map([['10.0.0.1', 1]])]]),
          created: new Map([['new-storm', { id: 'new-storm', storm: true } as IncidentRecord]]),
        },
      ),
    );
    expect(alerts).toEqual([
      { severity: 'low', type: 'port_scan', status: 'duplicate', storm: false, alerts: 1 },
      { severity: 'low', type: 'port_scan', status: 'new', storm: false, alerts: 1 },
      { severity: 'low', type: 'port_scan', status: 'new', storm: true, alerts: 2 },
    ]);
  });

  it('counts every alert with a source address, whatever its status', () => {
    const { sources } = rollupDeltas(
      changes([
        record({ severity: 'low', type: 'recon', sourceIp: '10.0.0.2' }),
        record({ severity: 'low', type: 'recon', sourceIp: '10.0.0.1', status: 'suppressed' }),
        record({ severity: 'low', type: 'recon', sourceIp: '10.0.0.2', status: 'duplicate' }),
        record({ severity: 'low', type: 'recon' }),
      ]),
    );
    expect(sources).toEqual([
      { ip: '10.0.0.1', alerts: 1 },
      { ip: '10.0.0.2', alerts: 2 },
    ]);
  });
});

/** An enrichment with only what the rollups read. */
const enrichment = (fields: Partial<Enrichment>): Enrichment => ({
  techniques: [],
  tactics: [],
  intel: [],
  assets: [],
  warnings: [],
  ...fields,
});
const execution = { id: 'TA0002', shortname: 'execution', name: 'Execution', origin: 'technique' as const };
const t1059 = { id: 'T1059', name: 'Command and Scripting Interpreter', tactics: ['execution'], origin: 'payload' as const };
const gb = { ip: '81.2.69.142', internal: false, country: { iso: 'GB', name: 'United Kingdom' } };
const se = {
  ip: '89.160.20.112',
  internal: false,
  country: { iso: 'SE', name: 'Sweden' },
  asn: { number: 29518, organization: 'Bredband2 AB' },
};
const us = { ip: '216.160.83.56', internal: false, country: { iso: 'US', name: 'United States' }, asn: { number: 209 } };

describe(`${rollupDeltas.name} (enrichment)`, () => {
  it("counts every alert by its source address's country and ASN, whatever its status", () => {
    const { geo } = rollupDeltas(
      changes([
        record({ severity: 'low', type: 'recon', enrichment: enrichment({ source: se }) }),
        record({ severity: 'low', type: 'recon', enrichment: enrichment({ source: gb }), status: 'suppressed' }),
        record({ severity: 'low', type: 'recon', enrichment: enrichment({ source: se }), status: 'duplicate' }),
        record({ severity: 'low', type: 'recon', enrichment: enrichment({ source: us }) }),
        // Internal, or its destination only: not counted.
        record({
          severity: 'low',
          type: 'recon',
          enrichment: enrichment({ source: { ip: '10.0.0.1', internal: true, range: 'private' } }),
        }),
        record({ severity: 'low', type: 'recon', enrichment: enrichment({ destination: gb }) }),
        record({ severity: 'low', type: 'recon' }),
      ]),
    );
    expect(geo).toEqual([
      { kind: 'asn', value: '209', label: null, alerts: 1 },
      { kind: 'asn', value: '29518', label: 'Bredband2 AB', alerts: 2 },
      { kind: 'country', value: 'GB', label: 'United Kingdom', alerts: 1 },
      { kind: 'country', value: 'SE', label: 'Sweden', alerts: 2 },
      { kind: 'country', value: 'US', label: 'United States', alerts: 1 },
    ]);
  });

  it('gives each incident the matrix cells of its alerts, once each, and nothing for an alert that joined none', () => {
    const withT1059 = enrichment({ techniques: [t1059], tactics: [execution] });
    const { attack } = rollupDeltas(
      changes([
        record({ severity: 'low', type: 'recon', incidentId: 'inc-b', enrichment: withT1059 }),
        record({ severity: 'low', type: 'recon', incidentId: 'inc-a', enrichment: withT1059 }),
        record({ severity: 'low', type: 'recon', incidentId: 'inc-a', enrichment: withT1059, status: 'duplicate' }),
        record({ severity: 'low', type: 'recon', incidentId: null, enrichment: withT1059, status: 'suppressed' }),
        record({ severity: 'low', type: 'recon', incidentId: 'inc-c' }),
      ]),
    );
    expect(attack).toEqual([
      { incidentId: 'inc-a', tactic: 'TA0002', technique: null },
      { incidentId: 'inc-a', tactic: 'TA0002', technique: 'T1059' },
      { incidentId: 'inc-b', tactic: 'TA0002', technique: null },
      { incidentId: 'inc-b', tactic: 'TA0002', technique: 'T1059' },
    ]);
  });
});
