import type { Env } from '../common/env';

/** How long a session lives: ended after `idleSeconds` unused, and `maxHours` after sign-in whatever happens. */
export interface SessionLimits {
  idleSeconds: number;
  maxHours: number;
}

export const sessionLimits = (env: Pick<Env, 'SESSION_IDLE_SECONDS' | 'SESSION_MAX_HOURS'>): SessionLimits => ({
  idleSeconds: env.SESSION_IDLE_SECONDS,
  maxHours: env.SESSION_MAX_HOURS,
});

/** A session's clock, as stored. */
export interface SessionTimes {
  createdAt: Date;
  lastSeenAt: Date;
  endedAt: Date | null;
}

/** Why a session no longer signs anyone in. */
export type SessionEnd = 'ended' | 'idle' | 'expired' | 'key_revoked';

export type SessionVerdict = { live: true; expiresAt: Date } | { live: false; reason: SessionEnd };

/** When the session ends unless it is used again: the idle limit from its last use, capped by the absolute one. */
export function sessionExpiresAt(s: Pick<SessionTimes, 'createdAt' | 'lastSeenAt'>, limits: SessionLimits): Date {
  const idle = s.lastSeenAt.getTime() + limits.idleSeconds * 1000;
  const absolute = s.createdAt.getTime() + limits.maxHours * 3_600_000;
  return new Date(Math.min(idle, absolute));
}

/**
 * Whether a session still signs its analyst in at `now` (the database's clock, so every replica
 * agrees). `keyRevoked`: a session opened with an API key ends with the key.
 */
export function sessionVerdict(s: SessionTimes, now: Date, limits: SessionLimits, keyRevoked = false): SessionVerdict {
  if (s.endedAt !== null) return { live: false, reason: 'ended' };
  if (keyRevoked) return { live: false, reason: 'key_revoked' };
  if (now.getTime() >= s.createdAt.getTime() + limits.maxHours * 3_600_000) return { live: false, reason: 'expired' };
  if (now.getTime() >= s.lastSeenAt.getTime() + limits.idleSeconds * 1000) return { live: false, reason: 'idle' };
  return { live: true, expiresAt: sessionExpiresAt(s, limits) };
}

/** What a person reads when their session no longer works. */
export const SESSION_END_REASONS: Record<SessionEnd, string> = {
  ended: 'the session was signed out',
  idle: 'the session was idle too long',
  expired: 'the session reached its maximum age',
  key_revoked: 'the API key the session was opened with is revoked',
};

/**
 * Whether this request should move the session's last use forward. Not on every request: at most
 * once a minute, or every tenth of the idle limit when that is shorter, so a busy page writes
 * little and a session still ends within 10% of its idle limit after its real last use.
 */
export function needsTouch(lastSeenAt: Date, now: Date, limits: SessionLimits): boolean {
  const every = Math.min(60_000, (limits.idleSeconds * 1000) / 10);
  return now.getTime() - lastSeenAt.getTime() >= every;
}

/** Where sign-in lands when it was given nowhere (or somewhere it may not go). */
export const DEFAULT_RETURN = '/app';
const MAX_RETURN_LENGTH = 2000;

/**
 * The page to go back to after sign-in: a path on this site only (it may carry a query and a
 * `#fragment`). A scheme, `//host`, a backslash (browsers read `/\host` as `//host`) or a control
 * character (URL parsers drop tabs and newlines, so `/\t/host` becomes `//host`) would let a
 * link send a person signing in to another site: anything like that falls back to /app.
 */
export function safeReturnPath(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_RETURN_LENGTH) return DEFAULT_RETURN;
  if (!raw.startsWith('/') || raw.startsWith('//')) return DEFAULT_RETURN;
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(raw)) return DEFAULT_RETURN;
  const base = 'http://warden.invalid';
  try {
    if (new URL(raw, base).origin !== base) return DEFAULT_RETURN;
  } catch {
    return DEFAULT_RETURN;
  }
  return raw;
}

/** Which ways to sign in are on: OIDC when an issuer is configured; API keys unless OIDC is on and KEY_SIGN_IN does not ask for them. */
export function signInMethods(env: Pick<Env, 'OIDC_ISSUER_URL' | 'KEY_SIGN_IN'>): { oidc: boolean; key: boolean } {
  const oidc = env.OIDC_ISSUER_URL !== undefined;
  return { oidc, key: env.KEY_SIGN_IN ?? !oidc };
}
