import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../common/problem';
import type { Scope } from './api-key.entity';
import { grants } from './api-keys';
import { Authenticator, SESSION_COOKIE_PATH } from './authenticator';
import type { Principal } from './principal';

const SCOPE = 'warden:scope';

/** The scope a route needs; see `grants` for which scopes include which. */
export const RequireScope = (scope: Scope) => SetMetadata(SCOPE, scope);

export type AuthenticatedRequest = FastifyRequest & { principal: Principal };

/**
 * `Authorization: Bearer <key>`, or the signed session cookie of someone signed in: 401 when
 * neither proves anyone (or the session is over), 403 when a session's state-changing request
 * lacks its CSRF token, 403 when the key or session lacks the scope.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const needed = this.reflector.getAllAndOverride<Scope | undefined>(SCOPE, [context.getHandler(), context.getClass()]);
    if (!needed) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const identity = await this.authenticator.identify(request);
    this.authenticator.checkCsrf(identity, request);
    if (!grants(identity.principal.scopes, needed)) {
      throw identity.kind === 'key'
        ? new ProblemException(403, `This API key lacks the "${needed}" scope.`, [
            { path: 'header:authorization', message: `needs scope ${needed}` },
          ])
        : new ProblemException(403, `This session lacks the "${needed}" scope.`, [
            { path: SESSION_COOKIE_PATH, message: `needs scope ${needed}` },
          ]);
    }
    request.principal = identity.principal;
    return true;
  }
}
