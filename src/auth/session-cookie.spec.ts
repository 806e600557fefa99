import { EnvError, loadEnv } from '../common/env';
import { sessionCookieOptions, sessionSecret } from './session-cookie';

describe(sessionSecret.name, () => {
  it('uses SESSION_SECRET when set', () => {
    expect(sessionSecret(loadEnv({ NODE_ENV: 'production', SESSION_SECRET: 's'.repeat(32) }))).toBe('s'.repeat(32));
  });

  it('refuses to start in production with sign-in on and no secret, naming the variable', () => {
    let error: unknown;
    try {
      sessionSecret(loadEnv({ NODE_ENV: 'production' }));
    } catch (err) {
      error = err;
    }
    expect(error instanceof EnvError && error.problems.map((p) => p.variable)).toEqual(['SESSION_SECRET']);
  });

  it('makes one secret per process elsewhere, and says so once', () => {
    const lines: string[] = [];
    const env = loadEnv({ NODE_ENV: 'development' });
    const [first, second] = [sessionSecret(env, (l) => lines.push(l)), sessionSecret(env, (l) => lines.push(l))];
    expect({ same: first === second, long: first.length >= 32, lines }).toEqual({
      same: true,
      long: true,
      lines: ['SESSION_SECRET is unset: sessions are signed with a secret made for this process, and end when it stops'],
    });
  });

  it('needs none in production with every sign-in off', () => {
    expect(sessionSecret(loadEnv({ NODE_ENV: 'production', KEY_SIGN_IN: 'false' })).length).toBeGreaterThanOrEqual(32);
  });
});

describe(sessionCookieOptions.name, () => {
  it('is HttpOnly, SameSite=Lax and signed, Secure only behind https', () => {
    expect([
      sessionCookieOptions({ PUBLIC_URL: 'https://warden.example.org' }),
      sessionCookieOptions({ PUBLIC_URL: 'http://localhost:3000' }),
    ]).toEqual([
      { httpOnly: true, sameSite: 'lax', path: '/', secure: true, signed: true },
      { httpOnly: true, sameSite: 'lax', path: '/', secure: false, signed: true },
    ]);
  });
});
