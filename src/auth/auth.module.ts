import { Global, Module } from '@nestjs/common';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';
import { Authenticator } from './authenticator';
import { OidcClient } from './oidc-client';
import { SessionsService } from './sessions.service';

@Global()
@Module({
  providers: [ApiKeysService, SessionsService, Authenticator, AuthGuard, OidcClient],
  exports: [ApiKeysService, SessionsService, Authenticator, AuthGuard, OidcClient],
})
export class AuthModule {}
