import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../common/problem';
import { ApiKeysService } from './api-keys.service';
import type { Principal } from './principal';
import { CSRF_HEADER, SESSION_COOKIE } from './session-cookie';
import { SESSION_END_REASONS } from './sessions';
import { SessionsService, type SessionRecord } from './sessions.service';

/** Who a request comes from: an API key, or a live session with its expiry. */
export type Identity =
  { kind: 'key'; principal: Principal } | { kind: 'session'; principal: Principal; session: SessionRecord; expiresAt: Date };

/** The error path of a problem about the session cookie. */
export const SESSION_COOKIE_PATH = `cookie:${SESSION_COOKIE}`;

/** Methods that change something: a session needs its CSRF token for these. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const unauthorized = (detail: string, path: string, message: string) => new ProblemException(401, detail, [{ path, message }]);

/** A session acts as its analyst with the scopes it was given at sign-in, recorded as `analyst:<id>` like any other way in. */
export function principalOfSession(session: SessionRecord): Principal {
  return {
    keyId: `session:${session.id}`,
    name: `session:${session.analystId}`,
    scopes: session.scopes,
    analystId: session.analystId,
    sources: null,
    via: 'session',
  };
}

/**
 * Turns a request into a principal: `Authorization: Bearer <key>` when sent (a script or the CLI),
 * else the signed `warden_session` cookie (a person in the browser). Either gives the same
 * Principal, so every use case applies the same rules to both.
 */
@Injectable()
export class Authenticator {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly sessions: SessionsService,
  ) {}

  /** 401 problem+json when neither proves anyone. */
  async identify(request: FastifyRequest): Promise<Identity> {
    const authorization = request.headers.authorization;
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (authorization === undefined && cookie !== undefined) return this.identifySession(request, cookie);
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) {
      throw new ProblemException(401, 'Send an API key as "Authorization: Bearer <key>", or sign in at /auth/login.', [
        { path: 'header:authorization', message: 'missing or not a Bearer token' },
      ]);
    }
    const principal = await this.keys.authenticate(match[1]);
    if (!principal) throw unauthorized('The API key is unknown or revoked.', 'header:authorization', 'unknown or revoked key');
    return { kind: 'key', principal };
  }

  /** The session a request's cookie names, if it is live; the signature is checked before anything is looked up. */
  async identifySession(request: FastifyRequest, cookie: string): Promise<Identity & { kind: 'session' }> {
    const signed = request.unsignCookie(cookie);
    if (!signed.valid || !signed.value) {
      throw unauthorized(
        'The session cookie is not one Warden signed. Sign in again.',
        SESSION_COOKIE_PATH,
        'forged or damaged session cookie',
      );
    }
    const found = await this.sessions.find(signed.value);
    if (!found) throw unauthorized('The session is unknown or has been removed. Sign in again.', SESSION_COOKIE_PATH, 'unknown session');
    if (!found.verdict.live) {
      const reason = SESSION_END_REASONS[found.verdict.reason];
      throw unauthorized(`The session is over: ${reason}. Sign in again.`, SESSION_COOKIE_PATH, reason);
    }
    return { kind: 'session', principal: principalOfSession(found), session: found, expiresAt: found.verdict.expiresAt };
  }

  /**
   * A session's state-changing request must carry its CSRF token (`x-csrf-token`, or `_csrf` in a
   * form): a page of another site can make the browser send the cookie, never the token. An API
   * key needs none (no browser sends it on its own).
   */
  checkCsrf(identity: Identity, request: FastifyRequest, formToken?: unknown): void {
    if (identity.kind !== 'session' || !STATE_CHANGING.has(request.method)) return;
    const token = request.headers[CSRF_HEADER] ?? formToken;
    if (this.sessions.csrfValid(identity.session, token)) return;
    throw new ProblemException(
      403,
      `A signed-in request that changes something needs the session's CSRF token in the ${CSRF_HEADER} header (GET /v1/session gives it).`,
      [{ path: `header:${CSRF_HEADER}`, message: token === undefined ? 'missing CSRF token' : 'invalid CSRF token for this session' }],
    );
  }
}
