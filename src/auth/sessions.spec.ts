import { needsTouch, safeReturnPath, sessionExpiresAt, sessionVerdict, signInMethods } from './sessions';

const limits = { idleSeconds: 1800, maxHours: 12 };
const at = (iso: string) => new Date(iso);
const signedIn = { createdAt: at('2026-01-05T08:00:00Z'), lastSeenAt: at('2026-01-05T09:00:00Z'), endedAt: null };

describe(sessionVerdict.name, () => {
  it('is live within the idle limit, until its last use plus the idle limit', () => {
    expect(sessionVerdict(signedIn, at('2026-01-05T09:29:59Z'), limits)).toEqual({ live: true, expiresAt: at('2026-01-05T09:30:00Z') });
  });

  it('is over once idle for the idle limit', () => {
    expect(sessionVerdict(signedIn, at('2026-01-05T09:30:00Z'), limits)).toEqual({ live: false, reason: 'idle' });
  });

  it('is over at its maximum age however recently used', () => {
    const busy = { ...signedIn, lastSeenAt: at('2026-01-05T19:59:00Z') };
    expect([sessionVerdict(busy, at('2026-01-05T19:59:59Z'), limits), sessionVerdict(busy, at('2026-01-05T20:00:00Z'), limits)]).toEqual([
      { live: true, expiresAt: at('2026-01-05T20:00:00Z') },
      { live: false, reason: 'expired' },
    ]);
  });

  it('is over once signed out, whatever the clock says', () => {
    expect(sessionVerdict({ ...signedIn, endedAt: at('2026-01-05T09:05:00Z') }, at('2026-01-05T09:06:00Z'), limits)).toEqual({
      live: false,
      reason: 'ended',
    });
  });

  it('is over when the API key it was opened with is revoked', () => {
    expect(sessionVerdict(signedIn, at('2026-01-05T09:01:00Z'), limits, true)).toEqual({ live: false, reason: 'key_revoked' });
  });
});

describe(sessionExpiresAt.name, () => {
  it('is the idle limit from the last use, capped by the maximum age', () => {
    expect([sessionExpiresAt(signedIn, limits), sessionExpiresAt({ ...signedIn, lastSeenAt: at('2026-01-05T19:45:00Z') }, limits)]).toEqual(
      [at('2026-01-05T09:30:00Z'), at('2026-01-05T20:00:00Z')],
    );
  });
});

describe(needsTouch.name, () => {
  it('moves the last use at most once a minute', () => {
    expect([
      needsTouch(at('2026-01-05T09:00:00Z'), at('2026-01-05T09:00:59Z'), limits),
      needsTouch(at('2026-01-05T09:00:00Z'), at('2026-01-05T09:01:00Z'), limits),
    ]).toEqual([false, true]);
  });

  it('moves it every tenth of a short idle limit', () => {
    const short = { idleSeconds: 20, maxHours: 12 };
    expect([
      needsTouch(at('2026-01-05T09:00:00.000Z'), at('2026-01-05T09:00:01.999Z'), short),
      needsTouch(at('2026-01-05T09:00:00.000Z'), at('2026-01-05T09:00:02.000Z'), short),
    ]).toEqual([false, true]);
  });
});

describe(safeReturnPath.name, () => {
  it.each([
    ['/app#incident/4f1c2d3e-0000-4000-8000-000000000001', '/app#incident/4f1c2d3e-0000-4000-8000-000000000001'],
    ['/app?tab=queue#incident/1', '/app?tab=queue#incident/1'],
    ['/dashboard', '/dashboard'],
    ['/', '/'],
  ])('keeps the path on this site %s', (raw, kept) => {
    expect(safeReturnPath(raw)).toBe(kept);
  });

  it.each([
    ['another site', 'https://evil.example/app'],
    ['a scheme-relative URL', '//evil.example/app'],
    ['a backslash browsers read as a slash', '/\\evil.example'],
    ['a tab URL parsers drop', '/\t/evil.example'],
    ['a newline', '/app\n'],
    ['javascript:', 'javascript:alert(1)'],
    ['a relative path', 'app'],
    ['nothing', ''],
    ['no string', ['/app']],
    ['an over-long path', `/${'a'.repeat(2000)}`],
  ])('falls back to /app for %s', (_, raw) => {
    expect(safeReturnPath(raw)).toBe('/app');
  });
});

describe(signInMethods.name, () => {
  it('offers key sign-in without OIDC, and not with it unless KEY_SIGN_IN says so', () => {
    const issuer = 'https://id.example.org';
    expect([
      signInMethods({ OIDC_ISSUER_URL: undefined, KEY_SIGN_IN: undefined }),
      signInMethods({ OIDC_ISSUER_URL: issuer, KEY_SIGN_IN: undefined }),
      signInMethods({ OIDC_ISSUER_URL: issuer, KEY_SIGN_IN: true }),
      signInMethods({ OIDC_ISSUER_URL: undefined, KEY_SIGN_IN: false }),
    ]).toEqual([
      { oidc: false, key: true },
      { oidc: true, key: false },
      { oidc: true, key: true },
      { oidc: false, key: false },
    ]);
  });
});
