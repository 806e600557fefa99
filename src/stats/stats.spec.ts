import { alertStats, attackIncidentsQuery, countsOf, hoursOf, statsRange } from './stats';

describe('stats', () => {
  const now = new Date('2026-11-25T10:30:00Z');

  describe(statsRange.name, () => {
    it('defaults to the day before now', () => {
      expect(statsRange({}, now)).toEqual({ from: new Date('2026-11-24T10:30:00Z'), to: now });
    });

    it('defaults from to a day before the given to', () => {
      expect(statsRange({ to: '2026-11-01T00:00:00Z' }, now)).toEqual({
        from: new Date('2026-10-31T00:00:00Z'),
        to: new Date('2026-11-01T00:00:00Z'),
      });
    });

    it('refuses a range that does not move forward', () => {
      expect(statsRange({ from: '2026-11-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }, now)).toEqual({
        field: 'query:from',
        message: 'must be before to',
      });
    });

    it('refuses a range longer than the series can hold', () => {
      expect(statsRange({ from: '2026-01-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }, now)).toMatchObject({ field: 'query:from' });
    });
  });

  describe(hoursOf.name, () => {
    it('covers every hour from the hour of from, up to to', () => {
      expect(hoursOf(new Date('2026-11-25T08:30:00Z'), new Date('2026-11-25T10:00:00Z')).map((d) => d.toISOString())).toEqual([
        '2026-11-25T08:00:00.000Z',
        '2026-11-25T09:00:00.000Z',
      ]);
    });
  });

  describe(countsOf.name, () => {
    it('names every expected key, zero when absent, and adds repeats', () => {
      expect(
        countsOf(
          ['a', 'b'],
          [
            { key: 'a', n: 2 },
            { key: 'a', n: 1 },
          ],
        ),
      ).toEqual({ a: 3, b: 0 });
    });
  });

  describe(alertStats.name, () => {
    const hours = [new Date('2026-11-25T08:00:00Z'), new Date('2026-11-25T09:00:00Z')];
    const rows = [
      { bucket: '2026-11-25T08:00:00+00:00', severity: 'low', status: 'new', storm: true, alerts: 5 },
      { bucket: '2026-11-25T08:00:00+00:00', severity: 'low', status: 'duplicate', storm: false, alerts: 2 },
      { bucket: '2026-11-25T09:00:00+00:00', severity: 'critical', status: 'suppressed', storm: false, alerts: 1 },
    ];

    it('splits the alerts received by status, storm and severity', () => {
      expect(alertStats(rows, hours, 4).alerts).toEqual({
        received: 8,
        correlated: 5,
        duplicates: 2,
        suppressed: 1,
        foldedIntoStorms: 5,
        bySeverity: { low: 7, medium: 0, high: 0, critical: 1 },
        compressionRatio: 2,
      });
    });

    it('has no compression ratio before any incident', () => {
      expect(alertStats(rows, hours, 0).alerts.compressionRatio).toBeNull();
    });

    it('puts each hour in the series, zeros included', () => {
      expect(alertStats(rows, hours, 1).alertsByHour).toEqual([
        { at: '2026-11-25T08:00:00.000Z', low: 7, medium: 0, high: 0, critical: 0 },
        { at: '2026-11-25T09:00:00.000Z', low: 0, medium: 0, high: 0, critical: 1 },
      ]);
    });
  });
});

describe(attackIncidentsQuery.name, () => {
  const from = new Date('2026-11-24T00:00:00Z');
  const to = new Date('2026-11-25T00:00:00Z');
  const cellOf = (sql: string) => /a\.incident_id = i\.id AND (.*)\)$/m.exec(sql)?.[1];

  it('takes a tactic alone as its own cell (technique null)', () => {
    const { sql, params } = attackIncidentsQuery({ from, to, tactic: 'TA0002', limit: 50 });
    expect([cellOf(sql), params]).toEqual(['a.tactic = $3 AND a.technique IS NULL', [from, to, 'TA0002', 51]]);
  });

  it('takes a technique under a tactic as that cell', () => {
    const { sql, params } = attackIncidentsQuery({ from, to, tactic: 'TA0002', technique: 'T1059', limit: 50 });
    expect([cellOf(sql), params]).toEqual(['a.tactic = $3 AND a.technique = $4', [from, to, 'TA0002', 'T1059', 51]]);
  });

  it('takes a technique alone under any tactic', () => {
    const { sql, params } = attackIncidentsQuery({ from, to, technique: 'T1059', limit: 50 });
    expect([cellOf(sql), params]).toEqual(['a.technique = $3', [from, to, 'T1059', 51]]);
  });

  it('pages on after the last incident given', () => {
    const after = { createdAt: '2026-11-24 10:00:00.123456+00', id: '6f1c1b7e-0000-4000-8000-000000000001' };
    const { sql, params } = attackIncidentsQuery({ from, to, tactic: 'TA0002', limit: 50, after });
    expect([/\(i\.created_at, i\.id\) < \(\$(\d)::timestamptz, \$(\d)::uuid\)/.exec(sql)?.slice(1), params.slice(2)]).toEqual([
      ['4', '5'],
      ['TA0002', after.createdAt, after.id, 51],
    ]);
  });
});
