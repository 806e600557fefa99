import fastifyCookie, { type CookieSerializeOptions } from '@fastify/cookie';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { EnvError, type Env } from '../common/env';
import { signInMethods } from './sessions';

/** The session cookie: a random token, signed with SESSION_SECRET. */
export const SESSION_COOKIE = 'warden_session';
/** The OIDC flow in progress (state, nonce, PKCE verifier, where to go back), signed, for ten minutes. */
export const OIDC_FLOW_COOKIE = 'warden_oidc';
export const OIDC_FLOW_SECONDS = 600;
/** Where the provider sends people back: PUBLIC_URL plus this. */
export const CALLBACK_PATH = '/auth/callback';
/** The header a signed-in page sends its CSRF token in (GET /v1/session gives it). */
export const CSRF_HEADER = 'x-csrf-token';

/** HttpOnly (no script reads it), SameSite=Lax (no cross-site POST carries it), Secure behind TLS. */
export function sessionCookieOptions(env: Pick<Env, 'PUBLIC_URL'>): CookieSerializeOptions {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure: new URL(env.PUBLIC_URL).protocol === 'https:', signed: true };
}

/** The flow cookie goes only to the callback, and lives as long as a sign-in may take. */
export function oidcFlowCookieOptions(env: Pick<Env, 'PUBLIC_URL'>): CookieSerializeOptions {
  return { ...sessionCookieOptions(env), path: CALLBACK_PATH, maxAge: OIDC_FLOW_SECONDS };
}

let perProcessSecret: string | undefined;

/**
 * SESSION_SECRET, which signs the cookies. Production needs it whenever a sign-in is on (every
 * replica must sign alike); elsewhere an unset one is made up once per process, which signs out
 * everyone when the process restarts. With no sign-in on, cookies are never issued and a made-up
 * secret serves.
 */
export function sessionSecret(env: Env, log: (line: string) => void = (line) => new Logger('Sessions').warn(line)): string {
  if (env.SESSION_SECRET) return env.SESSION_SECRET;
  const { oidc, key } = signInMethods(env);
  if (env.NODE_ENV === 'production' && (oidc || key)) {
    throw new EnvError([
      {
        variable: 'SESSION_SECRET',
        message: `is required in production while sign-in is on (${oidc ? 'OIDC_ISSUER_URL is set' : 'KEY_SIGN_IN is on'}); at least 32 characters`,
      },
    ]);
  }
  if (!perProcessSecret) {
    perProcessSecret = randomBytes(32).toString('base64url');
    if (oidc || key) log('SESSION_SECRET is unset: sessions are signed with a secret made for this process, and end when it stops');
  }
  return perProcessSecret;
}

/** Cookies for the api: parsed on every request, signed and checked with SESSION_SECRET. */
export async function registerSessionCookies(app: NestFastifyApplication, env: Env): Promise<void> {
  await app.register(fastifyCookie, { secret: sessionSecret(env) });
}
