import { Body, Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { grants } from '../../auth/api-keys';
import { ApiKeysService } from '../../auth/api-keys.service';
import { Authenticator, type Identity } from '../../auth/authenticator';
import { decodeFlow, encodeFlow, OidcClient, OidcFailure } from '../../auth/oidc-client';
import { actorOf } from '../../auth/principal';
import { OIDC_FLOW_COOKIE, oidcFlowCookieOptions, SESSION_COOKIE, sessionCookieOptions } from '../../auth/session-cookie';
import type { SignInMethod } from '../../auth/session.entity';
import { safeReturnPath, signInMethods } from '../../auth/sessions';
import { SessionsService } from '../../auth/sessions.service';
import { renderSignInPage, SIGN_IN_CSS, SIGN_IN_SECURITY_HEADERS } from '../../auth/sign-in-page';
import { AuditService } from '../../audit/audit.service';
import { ASSIGNMENT_CONFIG, type AssignmentConfig } from '../../assignment/assignment.schema';
import { RosterIds } from '../../assignment/roster-ids';
import { ENV, type Env } from '../../common/env';
import { ProblemException } from '../../common/problem';
import { parseBody } from '../../common/validation';
import { personFromClaims } from './oidc-person';

const keySignInSchema = z.object({
  key: z.string({ error: 'an API key is required' }).min(1, 'an API key is required').max(512),
  return: z.string().max(2000).optional(),
});

/** What GET /v1/session says about the analyst signed in. */
export interface SessionAnalyst {
  id: string;
  name: string;
  /** Their role in assignment.yaml (none when they are not in it). */
  roles: string[];
}

/** A refused sign-in: its status, what the person reads, the part of the request it is about, and what the audit log records. */
interface SignInRefusal {
  status: number;
  detail: string;
  path: string;
  reason: string;
  method: SignInMethod;
  actor?: string;
  details?: Record<string, unknown>;
  returnTo: string;
}

const FORM = 'application/x-www-form-urlencoded';
const isForm = (request: FastifyRequest) => (request.headers['content-type'] ?? '').toLowerCase().startsWith(FORM);
/** A browser navigating or posting a form gets a page; a script gets problem+json. */
const wantsPage = (request: FastifyRequest) => isForm(request) || (request.headers.accept ?? '').includes('text/html');

/**
 * Signing people in to the workspace and out again: single sign-on (OpenID Connect, mapped to a
 * roster analyst like a Slack or Jira person) or an API key that acts for an analyst. Either opens
 * a server-side session whose signed cookie the AuthGuard accepts alongside API keys, so the
 * workspace calls the same REST routes, use cases and access rules. Every sign-in, sign-out and
 * failed sign-in is audited, never with a secret.
 */
@Controller()
export class SignInController {
  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(ASSIGNMENT_CONFIG) private readonly assignment: AssignmentConfig,
    private readonly oidc: OidcClient,
    private readonly sessions: SessionsService,
    private readonly authenticator: Authenticator,
    private readonly keys: ApiKeysService,
    private readonly roster: RosterIds,
    private readonly audit: AuditService,
  ) {}

  @Get('auth/login')
  async login(
    @Query('return') rawReturn: unknown,
    @Query('method') method: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const returnTo = safeReturnPath(rawReturn);
    const methods = signInMethods(this.env);
    if (methods.oidc && !(method === 'key' && methods.key)) {
      try {
        const { url, flow } = await this.oidc.begin(returnTo);
        return reply.setCookie(OIDC_FLOW_COOKIE, encodeFlow(flow), oidcFlowCookieOptions(this.env)).redirect(url, 302);
      } catch (err) {
        if (!(err instanceof OidcFailure)) throw err;
        return this.unavailable(request, reply, err, returnTo);
      }
    }
    if (!methods.key) {
      throw new ProblemException(404, 'Sign-in is off: set OIDC_ISSUER_URL (single sign-on) or KEY_SIGN_IN=true.', [
        { path: 'path:/auth/login', message: 'no sign-in method is on' },
      ]);
    }
    return this.page(reply, 200, { returnTo, keyForm: true, sso: methods.oidc });
  }

  @Get('auth/sign-in.css')
  css(@Res() reply: FastifyReply) {
    return reply.headers(SIGN_IN_SECURITY_HEADERS).header('cache-control', 'no-cache').type('text/css; charset=utf-8').send(SIGN_IN_CSS);
  }

  @Get('auth/callback')
  async callback(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    if (!this.oidc.enabled) {
      throw new ProblemException(404, 'Single sign-on is not configured (OIDC_ISSUER_URL).', [
        { path: 'path:/auth/callback', message: 'OIDC is off' },
      ]);
    }
    // One use only: whatever happens next, the flow is over.
    const raw = request.cookies[OIDC_FLOW_COOKIE];
    const signed = raw ? request.unsignCookie(raw) : undefined;
    const flow = signed?.valid && signed.value ? decodeFlow(signed.value, Date.now()) : null;
    reply.clearCookie(OIDC_FLOW_COOKIE, oidcFlowCookieOptions(this.env));
    if (!flow) {
      return this.refuse(request, reply, {
        status: 400,
        detail: 'No sign-in is in progress in this browser, or it took longer than 10 minutes. Sign in again.',
        path: `cookie:${OIDC_FLOW_COOKIE}`,
        reason: 'no sign-in in progress (flow cookie missing, forged or expired)',
        method: 'oidc',
        returnTo: '/app',
      });
    }
    let claims: Record<string, unknown>;
    try {
      claims = await this.oidc.complete(request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '', flow);
    } catch (err) {
      if (!(err instanceof OidcFailure)) throw err;
      if (err.kind === 'unavailable') return this.unavailable(request, reply, err, flow.returnTo);
      return this.refuse(request, reply, {
        status: 401,
        detail: `Single sign-on did not complete: ${err.reason}.`,
        path: 'query:code',
        reason: err.reason,
        method: 'oidc',
        returnTo: flow.returnTo,
      });
    }
    const person = personFromClaims(claims, this.roster, { rolesClaim: this.env.OIDC_ROLES_CLAIM, roles: this.assignment.roles });
    if ('refused' in person) {
      return this.refuse(request, reply, {
        status: 403,
        detail: `You signed in at the identity provider, but Warden does not know you: ${person.refused}.`,
        path: 'claim:sub',
        reason: person.refused,
        method: 'oidc',
        actor: person.sub ? `oidc:${person.sub}` : undefined,
        details: { sub: person.sub, email: person.email },
        returnTo: flow.returnTo,
      });
    }
    await this.open(reply, { analystId: person.analyst.id, scopes: person.scopes, via: 'oidc' }, { matchedBy: person.matchedBy });
    return reply.redirect(flow.returnTo, 302);
  }

  @Post('auth/key')
  async keySignIn(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const returnTo = safeReturnPath(form.return);
    const refuse = (status: number, detail: string, path: string, reason: string, actor?: string) =>
      this.refuse(request, reply, { status, detail, path, reason, method: 'key', actor, returnTo });
    if (!signInMethods(this.env).key) {
      return refuse(
        403,
        'Sign-in with an API key is off here: single sign-on is on, and KEY_SIGN_IN is not true.',
        '/key',
        'key sign-in is off',
      );
    }
    // A browser says where a form came from: another site's form must not sign this browser in to someone's key.
    const site = request.headers['sec-fetch-site'];
    if (site === 'cross-site' || site === 'same-site') {
      return refuse(403, 'Sign in from Warden’s own sign-in page.', 'header:sec-fetch-site', `sign-in posted from another site (${site})`);
    }
    const input = parseBody(keySignInSchema, form);
    const principal = await this.keys.authenticate(input.key);
    if (!principal) return refuse(401, 'The API key is unknown or revoked.', '/key', 'unknown or revoked key');
    const actor = actorOf(principal);
    if (!principal.analystId) {
      return refuse(
        403,
        'This API key acts for no analyst; sign in with a key made with --analyst.',
        '/key',
        'the key names no analyst',
        actor,
      );
    }
    if (!this.roster.analyst(principal.analystId)) {
      const reason = `the key's analyst ${principal.analystId} is not in assignment.yaml`;
      return refuse(403, `This API key acts for ${principal.analystId}, who is not in the roster.`, '/key', reason, actor);
    }
    // A person's session never sends alerts: a monitor's scope stays with its key.
    const scopes = principal.scopes.filter((s) => s !== 'ingest');
    if (!grants(scopes, 'analyst')) {
      return refuse(403, 'This API key lacks the "analyst" scope.', '/key', 'the key lacks the analyst scope', actor);
    }
    await this.open(reply, { analystId: principal.analystId, scopes, via: 'key', apiKeyId: principal.keyId }, { keyId: principal.keyId });
    return reply.redirect(returnTo, 303);
  }

  @Post('auth/logout')
  async logout(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const cookie = request.cookies[SESSION_COOKIE];
    let identity: Identity | undefined;
    if (cookie !== undefined) {
      try {
        identity = await this.authenticator.identifySession(request, cookie);
      } catch (err) {
        // A session already over has nothing left to end; the cookie is cleared all the same.
        if (!(err instanceof ProblemException) || err.getStatus() !== 401) throw err;
      }
    }
    if (identity?.kind === 'session') {
      this.authenticator.checkCsrf(identity, request, (body as { _csrf?: unknown } | undefined)?._csrf);
      if (await this.sessions.end(identity.session.id)) {
        await this.audit.record({
          actor: actorOf(identity.principal),
          action: 'auth.signed_out',
          subjectType: 'session',
          subjectId: identity.session.id,
          after: { method: identity.session.via },
        });
      }
    }
    reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(this.env));
    return isForm(request) ? reply.redirect('/auth/login', 303) : reply.status(204).send();
  }

  /** Who is signed in, their scopes, and the CSRF token their page sends with every change; for an API key, its analyst. */
  @Get('v1/session')
  async session(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const identity = await this.authenticator.identify(request);
    const { principal } = identity;
    const body = {
      analyst: principal.analystId ? this.analystView(principal.analystId) : null,
      scopes: principal.scopes,
      csrfToken: identity.kind === 'session' ? this.sessions.csrfToken(identity.session) : null,
      expiresAt: identity.kind === 'session' ? identity.expiresAt.toISOString() : null,
      via: identity.kind === 'session' ? identity.session.via : 'bearer',
    };
    return reply.header('cache-control', 'no-store').send(body);
  }

  private analystView(id: string): SessionAnalyst {
    const analyst = this.roster.analyst(id);
    return { id, name: analyst?.name ?? id, roles: analyst ? [analyst.role] : [] };
  }

  /** Opens the session, sets its cookie and audits the sign-in. */
  private async open(reply: FastifyReply, input: Parameters<SessionsService['start']>[0], details: Record<string, unknown>): Promise<void> {
    const { token, session } = await this.sessions.start(input);
    reply.setCookie(SESSION_COOKIE, token, sessionCookieOptions(this.env));
    await this.audit.record({
      actor: `analyst:${session.analystId}`,
      action: 'auth.signed_in',
      subjectType: 'session',
      subjectId: session.id,
      after: { method: session.via, scopes: session.scopes, ...details },
    });
  }

  /** Audits a refused sign-in, then answers it: the sign-in page saying why to a browser, problem+json to a script. */
  private async refuse(request: FastifyRequest, reply: FastifyReply, r: SignInRefusal) {
    await this.audit.record({
      actor: r.actor ?? 'anonymous',
      action: 'auth.sign_in_failed',
      subjectType: 'sign_in',
      subjectId: r.method,
      after: { method: r.method, reason: r.reason, ...r.details },
    });
    if (wantsPage(request)) {
      const methods = signInMethods(this.env);
      return this.page(reply, r.status, { returnTo: r.returnTo, keyForm: methods.key, sso: methods.oidc, error: r.detail });
    }
    throw new ProblemException(r.status, r.detail, [{ path: r.path, message: r.reason }]);
  }

  private unavailable(request: FastifyRequest, reply: FastifyReply, err: OidcFailure, returnTo: string) {
    const detail = `Single sign-on is unavailable: ${err.reason}. Try again shortly.`;
    if (wantsPage(request)) {
      const methods = signInMethods(this.env);
      return this.page(reply, 503, { returnTo, keyForm: methods.key, sso: false, error: detail });
    }
    throw new ProblemException(503, detail, [{ path: 'env:OIDC_ISSUER_URL', message: err.reason }]);
  }

  private page(reply: FastifyReply, status: number, options: Parameters<typeof renderSignInPage>[0]) {
    return reply.status(status).headers(SIGN_IN_SECURITY_HEADERS).type('text/html; charset=utf-8').send(renderSignInPage(options));
  }
}
