import { countOutcomes, ingestOutcome, ingestRouteFormat, metricsAuthorized, tallyRun, withZeros } from './counting';

describe('ingestOutcome', () => {
  it.each([
    [{ status: 'new' }, 'accepted'],
    [{ status: 'duplicate' }, 'duplicate'],
    [{ status: 'suppressed' }, 'suppressed'],
    [{ status: 'resolved' }, 'resolved'],
    [{ status: 'rejected' }, 'rejected'],
    [{ status: 'new', repeat: true }, 'repeat'],
  ])('reads %j as %s', (result, outcome) => {
    expect(ingestOutcome(result)).toBe(outcome);
  });

  it('counts a request by outcome', () => {
    const counts = countOutcomes([{ status: 'new' }, { status: 'duplicate' }, { status: 'rejected' }, { status: 'new' }]);
    expect(Object.fromEntries(counts)).toEqual({ accepted: 2, duplicate: 1, rejected: 1 });
  });
});

describe('tallyRun', () => {
  it('counts duplicates, suppressions by cause, incidents and storms, and storm folds', () => {
    const tally = tallyRun({
      alerts: [
        { status: 'new', silenceId: null },
        { status: 'duplicate', silenceId: null },
        { status: 'suppressed', silenceId: 's1' },
        { status: 'suppressed', silenceId: null },
        { status: 'suppressed', silenceId: null },
      ],
      created: new Map([
        ['a', { storm: false }],
        ['b', { storm: true }],
      ]),
      stormSources: new Map([
        [
          'b',
          new Map([
            ['10.0.0.1', 3],
            ['10.0.0.2', 1],
          ]),
        ],
        ['c', new Map([['10.0.0.3', 2]])],
      ]),
    });
    expect(tally).toEqual({ duplicates: 1, silenced: 1, suppressedByRule: 2, incidentsOpened: 2, stormsOpened: 1, stormFolded: 6 });
  });
});

describe('ingestRouteFormat', () => {
  const known = ['suricata', 'ecs'];
  it('labels the native route, known formats, and any other format as unknown', () => {
    expect(ingestRouteFormat('/v1/alerts', undefined, known)).toBe('native');
    expect(ingestRouteFormat('/v1/alerts/:format', 'suricata', known)).toBe('suricata');
    expect(ingestRouteFormat('/v1/alerts/:format', '<script>'.repeat(100), known)).toBe('unknown');
  });

  it('ignores other routes', () => {
    expect(ingestRouteFormat('/metrics', undefined, known)).toBeUndefined();
    expect(ingestRouteFormat(undefined, undefined, known)).toBeUndefined();
  });
});

describe('metricsAuthorized', () => {
  const token = 'scrape-token-0123456789';
  it('lets everyone in without a token', () => {
    expect(metricsAuthorized(undefined, undefined)).toBe(true);
  });

  it('lets nobody in without a token where it is closed without one (the api in production)', () => {
    expect(metricsAuthorized(`Bearer ${token}`, undefined, true)).toBe(false);
  });

  it('takes only the bearer token when one is set', () => {
    expect(metricsAuthorized(`Bearer ${token}`, token)).toBe(true);
    expect(metricsAuthorized(`bearer ${token}`, token)).toBe(true);
    expect(metricsAuthorized(undefined, token)).toBe(false);
    expect(metricsAuthorized(token, token)).toBe(false);
    expect(metricsAuthorized(`Bearer ${token}x`, token)).toBe(false);
    expect(metricsAuthorized(`Basic ${token}`, token)).toBe(false);
  });
});

describe('withZeros', () => {
  it('sets every known label, and the rows over them', () => {
    expect(Object.fromEntries(withZeros(['P1', 'P2'], { P2: 3, P9: 1 }))).toEqual({ P1: 0, P2: 3, P9: 1 });
  });
});
