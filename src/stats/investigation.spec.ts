import type { AlertView } from '../correlation/alert-view';
import type { IncidentDetailView } from '../correlation/incident-view';
import { alertCursorValues, investigationAlert, investigationIncident, ipRole, parseInvestigationIp, seenRange } from './investigation';

describe('parseInvestigationIp', () => {
  it('takes an IPv4 address as given', () => {
    expect(parseInvestigationIp('203.0.113.7')).toEqual({ ip: '203.0.113.7', spellings: ['203.0.113.7'] });
  });

  it('answers with the spelling ingest stores, keeping the one given for text columns', () => {
    expect(parseInvestigationIp('2001:DB8:0:0::1')).toEqual({ ip: '2001:db8::1', spellings: ['2001:db8::1', '2001:DB8:0:0::1'] });
    expect(parseInvestigationIp('::ffff:198.51.100.2')).toMatchObject({ ip: '198.51.100.2' });
  });

  it.each(['', 'not-an-ip', '300.1.1.1', '10.0.0.0/8', 'fe80::1%eth0', '1.2.3.4; rm -rf /', 'x'.repeat(100)])(
    'refuses %j naming path:ip',
    (raw) => {
      expect(parseInvestigationIp(raw)).toEqual({ error: { path: 'path:ip', message: 'must be an IPv4 or IPv6 address' } });
    },
  );
});

describe('alertCursorValues', () => {
  const id = '3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60';

  it('keeps PostgreSQL timestamp text to the microsecond', () => {
    expect(alertCursorValues(['2026-11-24 10:15:30.123456+00', id])).toEqual({ receivedAt: '2026-11-24 10:15:30.123456+00', id });
  });

  it.each([
    [['yesterday', id]],
    [['2026-11-24 10:15:30+00', 'not-a-uuid']],
    [[42, id]],
    [['2026-02-30 10:15:30+00', id]],
    [['2026-11-24 25:15:30+00', id]],
    [["2026-11-24 10:15:30+00'; DROP TABLE alerts; --", id]],
  ])('refuses %j', (values) => {
    expect(alertCursorValues(values)).toBeNull();
  });
});

describe('ipRole', () => {
  it('names the side the IP is on, or both', () => {
    expect([
      ipRole('10.0.0.1', '10.0.0.1', '10.0.0.2'),
      ipRole('10.0.0.1', '10.0.0.2', '10.0.0.1'),
      ipRole('10.0.0.1', '10.0.0.1', '10.0.0.1'),
      ipRole('2001:db8::1', '2001:db8:0::1', null),
    ]).toEqual(['source', 'destination', 'both', 'source']);
  });
});

describe('seenRange', () => {
  it('spans the alerts and the storm sources', () => {
    expect(
      seenRange({ first: '2026-01-02T00:00:00.000Z', last: '2026-01-05T00:00:00.000Z' }, [
        { firstSeenAt: '2026-01-01T00:00:00.000Z', lastSeenAt: '2026-01-03T00:00:00.000Z' },
      ]),
    ).toEqual({ firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-05T00:00:00.000Z' });
  });

  it('is null for an IP never seen', () => {
    expect(seenRange({ first: null, last: null }, [])).toEqual({ firstSeen: null, lastSeen: null });
  });
});

describe('investigationAlert', () => {
  const alert: AlertView = {
    id: 'a1',
    incidentId: 'i1',
    source: 'ids-1',
    type: 'port_scan',
    severity: 'medium',
    title: 'SYN scan',
    description: 'not listed here',
    sourceIp: '10.0.0.9',
    destinationIp: '192.0.2.1',
    user: null,
    host: 'db-1',
    status: 'new',
    priority: 'P3',
    rule: 'scan',
    occurrences: 2,
    occurredAt: null,
    receivedAt: '2026-03-01T10:00:00.000Z',
    lastSeenAt: '2026-03-01T10:01:00.000Z',
    resolvedAt: null,
    enrichment: null,
  };

  it('lists the AlertView without description and last activity, with the role after the ids, in the order the answer has', () => {
    const listed = investigationAlert('192.0.2.1', alert);
    expect(JSON.stringify(listed)).toBe(
      JSON.stringify({
        id: 'a1',
        incidentId: 'i1',
        role: 'destination',
        source: 'ids-1',
        type: 'port_scan',
        severity: 'medium',
        title: 'SYN scan',
        sourceIp: '10.0.0.9',
        destinationIp: '192.0.2.1',
        user: null,
        host: 'db-1',
        status: 'new',
        priority: 'P3',
        rule: 'scan',
        occurrences: 2,
        occurredAt: null,
        receivedAt: '2026-03-01T10:00:00.000Z',
        resolvedAt: null,
      }),
    );
  });
});

describe('investigationIncident', () => {
  const incident: IncidentDetailView = {
    id: 'i1',
    title: 'Scan of 10.0.0.5',
    status: 'open',
    severity: 'high',
    priority: 'P2',
    action: 'correlate',
    rule: 'scan',
    openingRule: 'scan',
    storm: true,
    stormKind: { rule: 'scan' },
    assignRole: 'analyst',
    playbooks: [],
    types: ['port_scan'],
    sourceIp: '192.0.2.1',
    user: null,
    host: null,
    alertCount: 7,
    firingAlerts: 7,
    resolvedAlerts: 0,
    correlationKey: 'sourceIp=192.0.2.1',
    digestTaskId: null,
    firstSeenAt: '2026-03-01T10:00:00.000Z',
    lastSeenAt: '2026-03-01T10:05:00.000Z',
    createdAt: '2026-03-01T10:00:00.001Z',
    resolvedAt: null,
  };

  it('lists a Pick of the detail with the IP’s count and the reasons before the times, in the order the answer has', () => {
    expect(JSON.stringify(investigationIncident(incident, { alertsForIp: 3, bySourceIp: true, byAlerts: true }))).toBe(
      JSON.stringify({
        id: 'i1',
        title: 'Scan of 10.0.0.5',
        status: 'open',
        severity: 'high',
        priority: 'P2',
        types: ['port_scan'],
        sourceIp: '192.0.2.1',
        user: null,
        host: null,
        storm: true,
        alertCount: 7,
        firingAlerts: 7,
        resolvedAlerts: 0,
        alertsForIp: 3,
        linkedBy: ['source_ip', 'alerts'],
        firstSeenAt: '2026-03-01T10:00:00.000Z',
        lastSeenAt: '2026-03-01T10:05:00.000Z',
        createdAt: '2026-03-01T10:00:00.001Z',
        resolvedAt: null,
      }),
    );
  });

  it('names only the links that hold', () => {
    expect(investigationIncident(incident, { alertsForIp: 0, bySourceIp: true, byAlerts: false }).linkedBy).toEqual(['source_ip']);
    expect(investigationIncident(incident, { alertsForIp: 2, bySourceIp: false, byAlerts: true }).linkedBy).toEqual(['alerts']);
  });
});
