import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../common/problem';
import type { Scope } from './api-key.entity';
import { grants } from './api-keys';
import { ApiKeysService } from './api-keys.service';
import type { Principal } from './principal';

const SCOPE = 'warden:scope';
/** The scope a route needs; see `grants` for which scopes include which. */
export const RequireScope = (scope: Scope) => SetMetadata(SCOPE, scope);

export type AuthenticatedRequest = FastifyRequest & { principal: Principal };

/** `Authorization: Bearer <key>`: 401 when missing or unknown, 403 when the key lacks the scope. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const needed = this.reflector.getAllAndOverride<Scope | undefined>(SCOPE, [context.getHandler(), context.getClass()]);
    if (!needed) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match) {
      throw new ProblemException(401, 'Send an API key as "Authorization: Bearer <key>".', [
        { path: 'header:authorization', message: 'missing or not a Bearer token' },
      ]);
    }
    const principal = await this.keys.authenticate(match[1]);
    if (!principal)
      throw new ProblemException(401, 'The API key is unknown or revoked.', [
        { path: 'header:authorization', message: 'unknown or revoked key' },
      ]);
    if (!grants(principal.scopes, needed)) {
      throw new ProblemException(403, `This API key lacks the "${needed}" scope.`, [
        { path: 'header:authorization', message: `needs scope ${needed}` },
      ]);
    }
    request.principal = principal;
    return true;
  }
}
