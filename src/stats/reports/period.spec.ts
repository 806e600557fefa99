import { addLocalDays, lastCompletePeriod, localDay, localDays, requestedPeriod, scheduledPeriod, startOfLocalWeek } from './period';

const at = (iso: string) => new Date(iso);
const span = (p: { from: Date; to: Date } | { field: string }) =>
  'field' in p ? p : { from: p.from.toISOString(), to: p.to.toISOString() };

describe('report periods', () => {
  describe(scheduledPeriod.name, () => {
    it('covers the day before the scheduled time, to the minute', () => {
      expect(span(scheduledPeriod('daily', at('2025-03-12T06:00:41.250Z'), 'UTC'))).toEqual({
        from: '2025-03-11T06:00:00.000Z',
        to: '2025-03-12T06:00:00.000Z',
      });
    });

    it('covers the week before for the executive summary', () => {
      expect(span(scheduledPeriod('executive', at('2025-03-10T07:00:00Z'), 'UTC'))).toEqual({
        from: '2025-03-03T07:00:00.000Z',
        to: '2025-03-10T07:00:00.000Z',
      });
    });

    it('counts local days, so a day across a daylight-saving change is 23 hours long', () => {
      // Europe/Berlin moves to summer time at 02:00 on 2025-03-30: midnight is 23:00Z before and 22:00Z after.
      expect(span(scheduledPeriod('daily', at('2025-03-30T22:00:00Z'), 'Europe/Berlin'))).toEqual({
        from: '2025-03-29T23:00:00.000Z',
        to: '2025-03-30T22:00:00.000Z',
      });
    });
  });

  describe(lastCompletePeriod.name, () => {
    it('is yesterday, local midnight to local midnight', () => {
      expect(span(lastCompletePeriod('daily', at('2025-07-02T01:30:00Z'), 'America/New_York'))).toEqual({
        from: '2025-06-30T04:00:00.000Z',
        to: '2025-07-01T04:00:00.000Z',
      });
    });

    it('is last Monday-to-Monday week', () => {
      // 2025-03-13 is a Thursday.
      expect(span(lastCompletePeriod('executive', at('2025-03-13T12:00:00Z'), 'UTC'))).toEqual({
        from: '2025-03-03T00:00:00.000Z',
        to: '2025-03-10T00:00:00.000Z',
      });
    });

    it('starts a week on Monday even on a Sunday', () => {
      expect(startOfLocalWeek(at('2025-03-16T23:00:00Z'), 'UTC').toISOString()).toBe('2025-03-10T00:00:00.000Z');
    });
  });

  describe(requestedPeriod.name, () => {
    const now = at('2025-03-20T00:00:00Z');

    it('takes both ends as given, and one end plus the kind’s length', () => {
      expect({
        both: span(requestedPeriod('daily', { from: '2025-03-01T00:00:00Z', to: '2025-03-05T00:00:00Z' }, now, 'UTC')),
        from: span(requestedPeriod('executive', { from: '2025-03-03T00:00:00+01:00' }, now, 'Europe/Berlin')),
        to: span(requestedPeriod('daily', { to: '2025-03-05T00:00:00Z' }, now, 'UTC')),
      }).toEqual({
        both: { from: '2025-03-01T00:00:00.000Z', to: '2025-03-05T00:00:00.000Z' },
        from: { from: '2025-03-02T23:00:00.000Z', to: '2025-03-09T23:00:00.000Z' },
        to: { from: '2025-03-04T00:00:00.000Z', to: '2025-03-05T00:00:00.000Z' },
      });
    });

    it('names the bad end: reversed, unfinished, or too long', () => {
      expect({
        reversed: requestedPeriod('daily', { from: '2025-03-05T00:00:00Z', to: '2025-03-01T00:00:00Z' }, now, 'UTC'),
        future: requestedPeriod('daily', { from: '2025-03-19T12:00:00Z' }, now, 'UTC'),
        long: requestedPeriod('daily', { from: '2024-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' }, now, 'UTC'),
      }).toEqual({
        reversed: { field: '/from', message: 'must be before to' },
        future: { field: '/from', message: expect.stringContaining('future') },
        long: { field: '/from', message: expect.stringContaining('92 days') },
      });
    });
  });

  it('lists every local day a period touches', () => {
    expect(localDays({ from: at('2025-03-03T07:00:00Z'), to: at('2025-03-10T07:00:00Z') }, 'UTC')).toEqual([
      '2025-03-03',
      '2025-03-04',
      '2025-03-05',
      '2025-03-06',
      '2025-03-07',
      '2025-03-08',
      '2025-03-09',
      '2025-03-10',
    ]);
    expect(localDay(at('2025-03-09T23:30:00Z'), 'Europe/Berlin')).toBe('2025-03-10');
  });

  it('keeps the local time across a fall-back change', () => {
    // America/New_York returns to standard time on 2025-11-02: 00:00 local is 04:00Z before and 05:00Z after.
    expect(addLocalDays(at('2025-11-02T04:00:00Z'), 1, 'America/New_York').toISOString()).toBe('2025-11-03T05:00:00.000Z');
  });
});
