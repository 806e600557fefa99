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
