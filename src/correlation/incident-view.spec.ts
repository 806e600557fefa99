import {
  incidentDetailColumns,
  incidentSummaryColumns,
  stormSourcesSql,
  toIncidentDetailView,
  toIncidentSummaryView,
  toStormSourcesView,
  type IncidentDetailRow,
} from './incident-view';

const row = (over: Partial<IncidentDetailRow> = {}): IncidentDetailRow => ({
  id: '7a0e5d1c-0000-4000-8000-000000000001',
  title: 'Failed logins from 203.0.113.7',
  status: 'acknowledged',
  severity: 'medium',
  priority: 'P3',
  storm: false,
  storm_kind: null,
  types: ['failed_login'],
  source_ip: '203.0.113.7',
  user: 'bob',
  host: null,
  alert_count: 12,
  first_seen_at: new Date('2026-03-01T10:00:00.000Z'),
  last_seen_at: new Date('2026-03-01T10:09:30.250Z'),
  created_at: new Date('2026-03-01T10:00:00.004Z'),
  resolved_at: null,
  action: 'correlate',
  rule: 'failed-logins',
  opening_rule: 'failed-logins',
  assign_role: 'analyst',
  playbooks: ['block-ip'],
  correlation_key: 'sourceIp=203.0.113.7',
  digest_task_id: null,
  firing_alerts: 12,
  resolved_alerts: 0,
  ...over,
});

const STORM = {
  storm: true,
  storm_kind: 'storm=scan-storm|type=port_scan|source=ids-1',
  correlation_key: 'storm=scan-storm|type=port_scan|source=ids-1|destinationIp=10.0.0.5',
};

describe('toIncidentSummaryView', () => {
  it('renders the incident in brief, times as ISO 8601', () => {
    expect(toIncidentSummaryView(row())).toEqual({
      id: '7a0e5d1c-0000-4000-8000-000000000001',
      title: 'Failed logins from 203.0.113.7',
      status: 'acknowledged',
      severity: 'medium',
      priority: 'P3',
      storm: false,
      types: ['failed_login'],
      sourceIp: '203.0.113.7',
      user: 'bob',
      host: null,
      alertCount: 12,
      firstSeenAt: '2026-03-01T10:00:00.000Z',
      lastSeenAt: '2026-03-01T10:09:30.250Z',
      createdAt: '2026-03-01T10:00:00.004Z',
      resolvedAt: null,
    });
  });

  it('names a storm’s kind, and only a storm’s', () => {
    expect(toIncidentSummaryView(row(STORM)).stormKind).toEqual({ rule: 'scan-storm', type: 'port_scan', source: 'ids-1' });
    expect('stormKind' in toIncidentSummaryView(row())).toBe(false);
  });

  it('reads the text json_agg prints for times', () => {
    const v = toIncidentSummaryView(
      row({
        first_seen_at: '2026-03-01T10:00:00.000001+00:00',
        last_seen_at: '2026-03-01T12:09:30.25+02:00',
        created_at: '2026-03-01T10:00:00.004+00:00',
        resolved_at: '2026-03-01T11:00:00+00:00',
      }),
    );
    expect([v.firstSeenAt, v.lastSeenAt, v.createdAt, v.resolvedAt]).toEqual([
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T10:09:30.250Z',
      '2026-03-01T10:00:00.004Z',
      '2026-03-01T11:00:00.000Z',
    ]);
  });
});

describe('toIncidentDetailView', () => {
  it('renders the incident in full, in the order GET /v1/incidents has always answered', () => {
    expect(JSON.stringify(toIncidentDetailView(row(STORM)))).toBe(
      JSON.stringify({
        id: '7a0e5d1c-0000-4000-8000-000000000001',
        title: 'Failed logins from 203.0.113.7',
        status: 'acknowledged',
        severity: 'medium',
        priority: 'P3',
        action: 'correlate',
        rule: 'failed-logins',
        openingRule: 'failed-logins',
        storm: true,
        stormKind: { rule: 'scan-storm', type: 'port_scan', source: 'ids-1' },
        assignRole: 'analyst',
        playbooks: ['block-ip'],
        types: ['failed_login'],
        sourceIp: '203.0.113.7',
        user: 'bob',
        host: null,
        alertCount: 12,
        firingAlerts: 12,
        resolvedAlerts: 0,
        correlationKey: 'storm=scan-storm|type=port_scan|source=ids-1|destinationIp=10.0.0.5',
        digestTaskId: null,
        firstSeenAt: '2026-03-01T10:00:00.000Z',
        lastSeenAt: '2026-03-01T10:09:30.250Z',
        createdAt: '2026-03-01T10:00:00.004Z',
        resolvedAt: null,
      }),
    );
  });

  it('leaves stormKind out of an incident that is no storm', () => {
    expect(Object.keys(toIncidentDetailView(row()))).not.toContain('stormKind');
  });

  it('keeps a storm kind it cannot read as null', () => {
    expect(toIncidentDetailView(row({ storm: true, storm_kind: null })).stormKind).toBeNull();
  });
});

describe('toStormSourcesView', () => {
  it('gives the distinct count and the busiest sources', () => {
    expect(
      toStormSourcesView([
        {
          source: '10.0.0.1',
          alerts: 40,
          first_seen_at: new Date('2026-03-01T10:00:00Z'),
          last_seen_at: '2026-03-01T10:05:00+00:00',
          sources: 57,
        },
        {
          source: '10.0.0.2',
          alerts: 9,
          first_seen_at: new Date('2026-03-01T10:01:00Z'),
          last_seen_at: new Date('2026-03-01T10:02:00Z'),
          sources: 57,
        },
      ]),
    ).toEqual({
      distinct: 57,
      top: [
        { source: '10.0.0.1', alerts: 40, firstSeenAt: '2026-03-01T10:00:00.000Z', lastSeenAt: '2026-03-01T10:05:00.000Z' },
        { source: '10.0.0.2', alerts: 9, firstSeenAt: '2026-03-01T10:01:00.000Z', lastSeenAt: '2026-03-01T10:02:00.000Z' },
      ],
    });
  });

  it('counts no sources when there are none', () => {
    expect(toStormSourcesView([])).toEqual({ distinct: 0, top: [] });
  });
});

describe('column lists', () => {
  it('reads the summary with the live count and last activity, the address through host()', () => {
    const sql = incidentSummaryColumns('i').replace(/\s+/g, ' ');
    expect(sql).toContain('host(i.source_ip) AS source_ip');
    expect(sql).toContain(
      '(i.alert_count + coalesce((SELECT sum(d.alerts)::int FROM incident_deltas d WHERE d.incident_id = i.id), 0)) AS alert_count',
    );
    expect(sql).toContain(
      'greatest(i.last_seen_at, (SELECT max(d.last_seen_at) FROM incident_deltas d WHERE d.incident_id = i.id)) AS last_seen_at',
    );
    expect(sql).not.toContain('firing_alerts');
  });

  it('reads the detail as the summary plus the decision, correlation and alert counts', () => {
    const sql = incidentDetailColumns('p').replace(/\s+/g, ' ');
    expect(sql.startsWith(incidentSummaryColumns('p').replace(/\s+/g, ' '))).toBe(true);
    expect(sql).toMatch(/p\.action, p\.rule, p\.opening_rule, p\.assign_role, p\.playbooks, p\.correlation_key, p\.digest_task_id, /);
    expect(sql).toMatch(/AS firing_alerts, .* AS resolved_alerts$/);
  });

  it('reads storm sources folded or not, busiest first', () => {
    const sql = stormSourcesSql('$1', '$2').replace(/\s+/g, ' ');
    expect(sql).toMatch(
      /^SELECT source, alerts, first_seen_at, last_seen_at, count\(\*\) OVER \(\)::int AS sources FROM \(SELECT incident_id, source/,
    );
    expect(sql).toContain(
      'FROM storm_sources WHERE incident_id = $1 UNION ALL SELECT incident_id, source, alerts, seen_at, seen_at FROM storm_source_deltas WHERE incident_id = $1',
    );
    expect(sql).toMatch(/ORDER BY alerts DESC, source LIMIT \$2$/);
  });
});
