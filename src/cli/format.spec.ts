import { rollUpEnrichment } from '../enrichment';
import type { InvestigationView } from '../stats/investigation';
import type { StatsView } from '../stats/stats-view';
import { formatInvestigation, formatKeys, formatReport, formatStats, table } from './format';

describe('table', () => {
  it('pads every column but the last', () => {
    expect(table(['A', 'BB'], [['xxx', 'y']])).toBe('A    BB\nxxx  y');
  });
});

describe('formatKeys', () => {
  it('lists keys without any secret, revoked ones marked with their time, and the sources each may send', () => {
    const text = formatKeys([
      {
        id: '3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60',
        name: 'suricata-1',
        scopes: ['ingest'],
        analystId: null,
        sources: null,
        createdAt: new Date('2026-11-24T10:00:00.000Z'),
        revokedAt: new Date('2026-11-24T11:00:00.000Z'),
      },
      {
        id: '4a2d3b0f-9c8e-4d7f-8a1b-2c3d4e5f6071',
        name: 'wazuh-1',
        scopes: ['ingest'],
        analystId: null,
        sources: ['wazuh', 'ossec'],
        createdAt: new Date('2026-11-24T12:00:00.000Z'),
        revokedAt: null,
      },
    ]);
    expect(text.split('\n')).toEqual([
      'ID                                    NAME        SCOPES  ANALYST  SOURCES      CREATED               REVOKED',
      '3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60  suricata-1  ingest  -        any          2026-11-24T10:00:00Z  2026-11-24T11:00:00Z',
      '4a2d3b0f-9c8e-4d7f-8a1b-2c3d4e5f6071  wazuh-1     ingest  -        wazuh,ossec  2026-11-24T12:00:00Z  -',
    ]);
  });

  it('says when there are none', () => {
    expect(formatKeys([])).toBe('no API keys');
  });
});

const view = (over: Partial<InvestigationView> = {}): InvestigationView => ({
  ip: '203.0.113.7',
  firstSeen: '2026-11-24T10:00:00.000Z',
  lastSeen: '2026-11-24T11:00:00.000Z',
  enrichment: { address: { ip: '203.0.113.7', internal: false, intel: [], assets: [] }, alerts: rollUpEnrichment([]) },
  alerts: {
    total: 3,
    asSource: 2,
    asDestination: 1,
    items: [
      {
        id: 'a1',
        incidentId: '11111111-2222-4333-8444-555555555555',
        role: 'source',
        source: 'ids',
        type: 'sql_injection',
        severity: 'high',
        title: 'SQLi \u001b]0;pwned\u0007 on /login',
        sourceIp: '203.0.113.7',
        destinationIp: '10.0.0.5',
        user: null,
        host: null,
        status: 'new',
        priority: 'P2',
        rule: 'sql-injection',
        occurrences: 1,
        occurredAt: null,
        receivedAt: '2026-11-24T11:00:00.000Z',
        resolvedAt: null,
      },
    ],
    nextCursor: 'abc',
  },
  incidents: { total: 0, items: [] },
  tasks: [],
  actions: { total: 0, items: [] },
  evidence: [],
  stormSources: { total: 0, items: [] },
  ...over,
});

describe('formatInvestigation', () => {
  it('shows first and last seen, the counts, and how to page on', () => {
    const text = formatInvestigation(view());
    expect(text).toContain('first seen 2026-11-24T10:00:00Z, last seen 2026-11-24T11:00:00Z');
    expect(text).toContain('alerts: 3 (2 as source, 1 as destination)');
    expect(text).toContain('(newest 1 shown; more with --cursor abc)');
  });

  it('never lets an alert title reach the terminal as control characters', () => {
    const text = formatInvestigation(view());
    expect({
      // eslint-disable-next-line no-control-regex -- looking for control characters is the test
      raw: /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(text),
      escaped: text.includes('SQLi \\u001b]0;pwned\\u0007 on /login'),
    }).toEqual({
      raw: false,
      escaped: true,
    });
  });

  it('links the IP page of the workspace when given one', () => {
    expect(formatInvestigation(view(), 'https://warden.example/app#ip/203.0.113.7').split('\n').slice(0, 3)).toEqual([
      'IP 203.0.113.7',
      'first seen 2026-11-24T10:00:00Z, last seen 2026-11-24T11:00:00Z',
      'page https://warden.example/app#ip/203.0.113.7',
    ]);
  });

  it('opens with where the IP is, the intel lists and assets it is on, and the ATT&CK of its alerts', () => {
    const enrichment: InvestigationView['enrichment'] = {
      address: {
        ip: '89.160.20.112',
        internal: false,
        country: { iso: 'SE', name: 'Sweden' },
        city: 'Linköping',
        asn: { number: 29518, organization: 'Bredband2 AB' },
        intel: [
          { list: 'blocklist', kind: 'ip', indicator: '89.160.20.112', confidence: 70 },
          {
            list: 'circl',
            kind: 'cidr',
            indicator: '89.160.20.0/24',
            confidence: 80,
            ref: { type: 'misp', event: '5721c2e4-05ec-4af3-9264-411b950d210f', info: 'Locky \u001b[31m' },
          },
        ],
        assets: [{ kind: 'network', name: 'guest-wifi', criticality: 'low', team: 'net', tags: [] }],
        criticality: 'low',
      },
      alerts: {
        ...rollUpEnrichment([]),
        techniques: [{ id: 'T1046', name: 'Network Service Discovery', alerts: 2 }],
        tactics: [{ id: 'TA0007', shortname: 'discovery', name: 'Discovery', alerts: 2 }],
      },
    };
    expect(formatInvestigation(view({ enrichment })).split('\n').slice(2, 7)).toEqual([
      '',
      'where: SE Sweden, Linköping, AS29518 Bredband2 AB',
      'intel: blocklist 89.160.20.112 (confidence 70); circl 89.160.20.0/24 (confidence 80, MISP event Locky \\u001b[31m)',
      'assets: guest-wifi (low, team net)',
      'ATT&CK on its alerts: T1046 Network Service Discovery; tactics TA0007 Discovery',
    ]);
  });

  it('says an internal address is internal, and that it is on no list and no asset', () => {
    const enrichment: InvestigationView['enrichment'] = {
      address: { ip: '10.0.0.5', internal: true, range: 'private', intel: [], assets: [] },
      alerts: rollUpEnrichment([]),
    };
    expect(formatInvestigation(view({ enrichment })).split('\n').slice(3, 7)).toEqual([
      'where: internal (private)',
      'intel: on no loaded list',
      'assets: none known',
      '',
    ]);
  });

  it('says so for an IP Warden never saw', () => {
    expect(formatInvestigation(view({ firstSeen: null, lastSeen: null }))).toContain('never seen by Warden');
  });
});

describe('formatReport', () => {
  it('prints the header, the body’s figures, small records on one line, and lists by length', () => {
    const text = formatReport({
      id: 'r1',
      kind: 'executive',
      from: '2026-11-17T00:00:00.000Z',
      to: '2026-11-24T00:00:00.000Z',
      createdAt: '2026-11-24T00:00:01.000Z',
      trigger: 'manual',
      body: { incidents: { opened: 7, byPriority: { P1: 2, P2: 5 }, deep: { a: { b: { c: {} } } } }, breaches: 1, top: [{ ip: 'x' }] },
    });
    expect(text.split('\n')).toEqual([
      'executive report r1',
      'range 2026-11-17T00:00:00Z .. 2026-11-24T00:00:00Z, created 2026-11-24T00:00:01Z (manual)',
      '',
      'incidents.opened: 7',
      'incidents.byPriority: P1 2, P2 5',
      'incidents.deep.a: {…}',
      'breaches: 1',
      'top: 1 entry',
    ]);
  });

  it("links the report's page in the workspace under the header when given one", () => {
    const text = formatReport(
      {
        id: 'r1',
        kind: 'daily',
        from: '2026-11-23T00:00:00.000Z',
        to: '2026-11-24T00:00:00.000Z',
        createdAt: '2026-11-24T00:00:01.000Z',
        trigger: 'schedule',
        body: {},
      },
      'https://warden.example/app#report/r1',
    );
    expect(text.split('\n')[2]).toBe('page https://warden.example/app#report/r1');
  });
});

const stats = (over: Partial<StatsView> = {}): StatsView => ({
  from: '2026-11-23T00:00:00.000Z',
  to: '2026-11-24T00:00:00.000Z',
  alerts: {
    received: 120,
    correlated: 100,
    duplicates: 15,
    suppressed: 5,
    foldedIntoStorms: 60,
    bySeverity: { low: 80, medium: 0, high: 30, critical: 10 },
    compressionRatio: 12,
  },
  incidents: {
    opened: 10,
    storms: 2,
    byStatus: { open: 7, resolved: 3 },
    bySeverity: { low: 2, medium: 0, high: 6, critical: 2 },
    byType: { port_scan: 4, sql_injection: 6 },
  },
  tasks: {
    created: 9,
    mtta: { p50Seconds: 45, p90Seconds: 600 },
    mttr: { p50Seconds: 5400, p90Seconds: null },
    slaBreaches: { total: 3, byKind: { ack: 2, resolve: 1 } },
  },
  load: {
    analysts: [{ id: 'kim.nguyen', name: 'Kim \u001b[31mNguyen', role: 'analyst', team: null, open: 2, capacity: 5 }],
    capacityQueue: { waiting: 1, byPriority: { P1: 0, P2: 1, P3: 0, P4: 0 }, oldestSince: '2026-11-23T22:00:00.000Z' },
  },
  playbooks: { runsByOutcome: { succeeded: 4, failed: 1, rolled_back: 0 }, pendingApprovals: 2 },
  delivery: { failedNotices: 1, failedNoticesByChannel: { webhook: 1 }, outbox: { pending: 3, deadLettered: 0, lagSeconds: 12 } },
  series: { alertsByHour: [], responseByDay: [] },
  topSourceIps: Array.from({ length: 11 }, (_, i) => ({ ip: `203.0.113.${i + 1}`, alerts: 110 - i * 10 })),
  topCountries: [],
  topAsns: [],
  attack: { version: '18.1', tactics: [] },
  ...over,
});

describe('formatStats', () => {
  it('prints every figure, only non-zero counts, the analysts’ load and the ten busiest sources', () => {
    expect(formatStats(stats()).split('\n')).toEqual([
      'stats 2026-11-23T00:00:00Z .. 2026-11-24T00:00:00Z',
      '',
      'alerts:     120 received, 100 correlated, 15 duplicates, 5 suppressed, 60 folded into storms',
      '            by severity: low 80, high 30, critical 10; 12.0 alerts per incident',
      'incidents:  10 opened (2 storms)',
      '            by status: open 7, resolved 3',
      '            by severity: low 2, high 6, critical 2',
      '            by type: port_scan 4, sql_injection 6',
      'tasks:      9 created; MTTA p50 45s p90 10m; MTTR p50 1.5h p90 -',
      'SLA:        3 breaches (ack 2, resolve 1)',
      'playbooks:  succeeded 4, failed 1; 2 approvals pending',
      'delivery:   1 failed notices; outbox 3 pending, 0 dead-lettered, lag 12s',
      'queue:      1 tasks waiting for capacity (oldest since 2026-11-23T22:00:00Z)',
      '',
      'analyst load:',
      '  ANALYST               ROLE     OPEN  CAPACITY',
      '  Kim \\u001b[31mNguyen  analyst  2     5',
      '',
      'top source IPs:',
      ...Array.from({ length: 10 }, (_, i) => `  ${`203.0.113.${i + 1}`.padEnd(39)} ${110 - i * 10}`),
    ]);
  });

  it('says when nothing was opened and leaves out the load and source sections when they are empty', () => {
    const text = formatStats(
      stats({
        alerts: { ...stats().alerts, compressionRatio: null },
        load: { analysts: [], capacityQueue: { waiting: 0, byPriority: { P1: 0, P2: 0, P3: 0, P4: 0 }, oldestSince: null } },
        playbooks: { runsByOutcome: {}, pendingApprovals: 0 },
        topSourceIps: [],
      }),
    ).split('\n');
    expect({ severity: text[3], playbooks: text[10], queue: text[12], lines: text.length }).toEqual({
      severity: '            by severity: low 80, high 30, critical 10; no incidents opened',
      playbooks: 'playbooks:  none; 0 approvals pending',
      queue: 'queue:      0 tasks waiting for capacity',
      lines: 13,
    });
  });
});
