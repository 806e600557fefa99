import { formatReplaySummary, planBatches, progressLine, readRecords, ReplayTally, shouldReport } from './replay';

describe('readRecords', () => {
  it('reads a JSON array, { alerts: [...] }, one value, and NDJSON', () => {
    expect([
      readRecords('[{"a":1},{"a":2}]').records,
      readRecords('{"alerts":[{"a":1}]}').records,
      readRecords('{"a":1}').records,
      readRecords('{"a":1}\n\n{"a":2}\r\n').records,
    ]).toEqual([[{ a: 1 }, { a: 2 }], [{ a: 1 }], [{ a: 1 }], [{ a: 1 }, { a: 2 }]]);
  });

  it('keeps the readable NDJSON lines and names the others by line', () => {
    const read = readRecords('{"a":1}\n{"a":\n{"a":3}');
    expect({ records: read.records, lines: read.unreadable.map((u) => u.line) }).toEqual({ records: [{ a: 1 }, { a: 3 }], lines: [2] });
  });

  it('reads an empty file as no records', () => {
    expect(readRecords(' \n')).toEqual({ records: [], unreadable: [] });
  });
});

describe('planBatches', () => {
  it('sends each batch when the records before it have had their time at the rate', () => {
    expect(planBatches(250, 100, 200)).toEqual([
      { start: 0, count: 100, atMs: 0 },
      { start: 100, count: 100, atMs: 500 },
      { start: 200, count: 50, atMs: 1000 },
    ]);
  });

  it('never sends more than a second of records at once, so a slow rate trickles', () => {
    expect(planBatches(5, 100, 2)).toEqual([
      { start: 0, count: 2, atMs: 0 },
      { start: 2, count: 2, atMs: 1000 },
      { start: 4, count: 1, atMs: 2000 },
    ]);
  });

  it('sends one record at a time below one per second', () => {
    expect(planBatches(2, 100, 0.5).map((b) => [b.count, b.atMs])).toEqual([
      [1, 0],
      [1, 2000],
    ]);
  });

  it('caps a batch at the API limit of 1000', () => {
    expect(planBatches(2500, 5000, 100_000).map((b) => b.count)).toEqual([1000, 1000, 500]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => planBatches(1, 1, 0)).toThrow(/rate/);
  });
});

describe(ReplayTally.name, () => {
  const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

  it('adds up batch answers by status, with distinct incidents and the first rejections by record of the file', () => {
    const tally = new ReplayTally(5);
    tally.answered({ start: 0, count: 3 }, [
      { index: 0, status: 'new', incidentId: id(1) },
      { index: 1, status: 'duplicate', incidentId: id(1) },
      { index: 2, status: 'rejected', errors: [{ path: '/2/alert/severity', message: 'must be a number' }] },
    ]);
    tally.answered({ start: 3, count: 2 }, [
      { index: 0, status: 'suppressed', incidentId: null },
      { index: 1, status: 'new', incidentId: id(2) },
    ]);
    expect(tally.summary(2000)).toEqual({
      events: 5,
      unreadable: 0,
      sent: 5,
      accepted: 2,
      duplicates: 1,
      suppressed: 1,
      resolved: 0,
      rejected: 1,
      repeats: 0,
      incidents: 2,
      batches: 2,
      failedBatches: 0,
      rejections: ['record 3: /alert/severity must be a number'],
      failures: [],
      elapsedSeconds: 2,
      rate: 2.5,
    });
  });

  it('counts repeats of earlier runs apart, but a retried batch’s repeats as its own', () => {
    const tally = new ReplayTally(2);
    tally.answered({ start: 0, count: 1 }, [{ index: 0, status: 'new', incidentId: id(1), repeat: true }]);
    tally.answered({ start: 1, count: 1 }, [{ index: 0, status: 'new', incidentId: id(2), repeat: true }], true);
    expect(tally.summary(1000)).toMatchObject({ accepted: 1, repeats: 1, incidents: 1 });
  });

  it('counts a failed batch as processed but not sent', () => {
    const tally = new ReplayTally(150);
    tally.failed({ start: 100, count: 50 }, '413 too large');
    expect({ done: tally.done, ...tally.summary(10) }).toMatchObject({
      done: 50,
      sent: 0,
      failedBatches: 1,
      failures: ['records 101-150: 413 too large'],
    });
  });

  it('shows at most five rejections', () => {
    const tally = new ReplayTally(10, [{ line: 4, message: 'Unexpected end of JSON input' }]);
    tally.answered(
      { start: 0, count: 10 },
      Array.from({ length: 10 }, (_, i) => ({ index: i, status: 'rejected', errors: [{ path: `/${i}`, message: 'bad' }] })),
    );
    const s = tally.summary(1);
    expect({ n: s.rejections.length, first: s.rejections[0], rejected: s.rejected }).toEqual({
      n: 5,
      first: 'line 4: not JSON (Unexpected end of JSON input)',
      rejected: 10,
    });
  });
});

describe('formatReplaySummary', () => {
  it('prints every count people compare with the API', () => {
    const tally = new ReplayTally(2);
    tally.answered({ start: 0, count: 2 }, [
      { index: 0, status: 'new', incidentId: 'a' },
      { index: 1, status: 'rejected', errors: [{ path: '/1/src_ip', message: 'must be an IPv4 or IPv6 address' }] },
    ]);
    expect(formatReplaySummary(tally.summary(500))).toBe(
      [
        'events read: 2',
        'sent:        2 in 1 batches',
        'accepted:    1',
        'duplicates:  0',
        'suppressed:  0',
        'rejected:    1',
        'incidents:   1 touched',
        'elapsed:     0.5 s (4 events/s)',
        'first rejections:',
        '  record 2: /src_ip must be an IPv4 or IPv6 address',
      ].join('\n'),
    );
  });
});

describe('progress lines', () => {
  it('reads as a line of a log', () => {
    expect(progressLine(100, 207, { accepted: 90, duplicates: 5, suppressed: 0, rejected: 5 })).toBe(
      'replay: 100/207 sent (48%): 90 accepted, 5 duplicates, 0 suppressed, 5 rejected',
    );
  });

  it('reports at each tenth, every second, and at the end, and not in between', () => {
    expect([
      shouldReport(0, 5, 100, 10),
      shouldReport(5, 10, 100, 10),
      shouldReport(10, 12, 100, 1000),
      shouldReport(90, 100, 100, 0),
    ]).toEqual([false, true, true, true]);
  });
});
