import { alertViewColumns, storedAlertColumns, toAlertView, toStoredAlertView, type AlertViewRow, type StoredAlertRow } from './alert-view';

const row = (over: Partial<AlertViewRow> = {}): AlertViewRow => ({
  id: '6f1c2a9e-0000-4000-8000-000000000001',
  incident_id: '6f1c2a9e-0000-4000-8000-0000000000aa',
  source: 'waf-1',
  type: 'sql_injection',
  severity: 'high',
  title: 'UNION SELECT on /login',
  description: 'payload in the user field',
  source_ip: '203.0.113.7',
  destination_ip: '10.0.0.5',
  user: 'alice',
  host: 'web-1',
  status: 'new',
  priority: 'P2',
  rule: 'sqli',
  occurrence_count: 3,
  occurred_at: new Date('2026-03-01T09:59:58.000Z'),
  received_at: new Date('2026-03-01T10:00:00.123Z'),
  last_seen_at: new Date('2026-03-01T10:04:00.000Z'),
  resolved_at: null,
  enrichment: null,
  ...over,
});

describe('toAlertView', () => {
  it('renders every column under its one name, times as ISO 8601', () => {
    expect(toAlertView(row())).toEqual({
      id: '6f1c2a9e-0000-4000-8000-000000000001',
      incidentId: '6f1c2a9e-0000-4000-8000-0000000000aa',
      source: 'waf-1',
      type: 'sql_injection',
      severity: 'high',
      title: 'UNION SELECT on /login',
      description: 'payload in the user field',
      sourceIp: '203.0.113.7',
      destinationIp: '10.0.0.5',
      user: 'alice',
      host: 'web-1',
      status: 'new',
      priority: 'P2',
      rule: 'sqli',
      occurrences: 3,
      occurredAt: '2026-03-01T09:59:58.000Z',
      receivedAt: '2026-03-01T10:00:00.123Z',
      lastSeenAt: '2026-03-01T10:04:00.000Z',
      resolvedAt: null,
      enrichment: null,
    });
  });

  it('keeps the field order the answers have always had', () => {
    expect(Object.keys(toAlertView(row()))).toEqual([
      'id',
      'incidentId',
      'source',
      'type',
      'severity',
      'title',
      'description',
      'sourceIp',
      'destinationIp',
      'user',
      'host',
      'status',
      'priority',
      'rule',
      'occurrences',
      'occurredAt',
      'receivedAt',
      'lastSeenAt',
      'resolvedAt',
      'enrichment',
    ]);
  });

  it('reads times printed by json_agg (microseconds, offset) as well as Dates', () => {
    const v = toAlertView(
      row({
        occurred_at: null,
        received_at: '2026-03-01T11:00:00.123456+01:00',
        last_seen_at: '2026-03-01T10:00:01+00:00',
        resolved_at: '2026-03-01T10:30:00.5+00:00',
      }),
    );
    expect([v.occurredAt, v.receivedAt, v.lastSeenAt, v.resolvedAt]).toEqual([
      null,
      '2026-03-01T10:00:00.123Z',
      '2026-03-01T10:00:01.000Z',
      '2026-03-01T10:30:00.500Z',
    ]);
  });

  it('shows where the alert stands, not only what ingest stored', () => {
    expect([
      toAlertView(row({ source: 'alertmanager' })).status,
      toAlertView(row({ source: 'alertmanager', resolved_at: new Date('2026-03-01T10:30:00Z') })).status,
      toAlertView(row({ status: 'suppressed' })).status,
      toAlertView(row({ status: 'duplicate' })).status,
    ]).toEqual(['firing', 'resolved', 'suppressed', 'duplicate']);
  });
});

describe('toStoredAlertView', () => {
  it('adds the stored fields evidence keeps to the view', () => {
    const stored: StoredAlertRow = {
      ...row(),
      external_id: 'waf-1#991',
      tags: ['owasp'],
      fingerprint: 'f00d',
      duplicate_of: null,
      action: 'correlate',
      raw: { rule_id: 942100 },
    };
    expect(toStoredAlertView(stored)).toEqual({
      ...toAlertView(row()),
      externalId: 'waf-1#991',
      tags: ['owasp'],
      fingerprint: 'f00d',
      duplicateOf: null,
      action: 'correlate',
      raw: { rule_id: 942100 },
    });
  });

  it('gives a missing payload as null', () => {
    const stored: StoredAlertRow = {
      ...row(),
      external_id: null,
      tags: [],
      fingerprint: 'f',
      duplicate_of: null,
      action: 'immediate',
      raw: undefined,
    };
    expect(toStoredAlertView(stored).raw).toBeNull();
  });
});

describe('alertViewColumns', () => {
  it('selects every column the row type names, addresses through host()', () => {
    expect(alertViewColumns('a').replace(/\s+/g, ' ')).toBe(
      'a.id, a.incident_id, a.source, a.type, a.severity, a.title, a.description, host(a.source_ip) AS source_ip, ' +
        'host(a.destination_ip) AS destination_ip, a."user", a.host, a.status, a.priority, a.rule, a.occurrence_count, ' +
        'a.occurred_at, a.received_at, a.last_seen_at, a.resolved_at, a.enrichment',
    );
    expect(storedAlertColumns('alerts').replace(/\s+/g, ' ')).toMatch(
      /, alerts\.resolved_at, alerts\.enrichment, alerts\.external_id, alerts\.tags, alerts\.fingerprint, alerts\.duplicate_of, alerts\.action, alerts\.raw$/,
    );
  });
});
