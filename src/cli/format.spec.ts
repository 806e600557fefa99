import type { InvestigationView } from '../stats/investigation';
import { formatInvestigation, formatKeys, formatReport, table } from './format';

describe('table', () => {
  it('pads every column but the last', () => {
    expect(table(['A', 'BB'], [['xxx', 'y']])).toBe('A    BB\nxxx  y');
  });
});

describe('formatKeys', () => {
  it('lists keys without any secret, revoked ones marked with their time', () => {
    const text = formatKeys([
      {
        id: '3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60',
        name: 'suricata-1',
        scopes: ['ingest'],
        analystId: null,
        createdAt: new Date('2026-11-24T10:00:00.000Z'),
        revokedAt: new Date('2026-11-24T11:00:00.000Z'),
      },
    ]);
    expect(text.split('\n')).toEqual([
      'ID                                    NAME        SCOPES  ANALYST  CREATED               REVOKED',
      '3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60  suricata-1  ingest  -        2026-11-24T10:00:00Z  2026-11-24T11:00:00Z',
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
});
