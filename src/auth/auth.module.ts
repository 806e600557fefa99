import { Global, Module } from '@nestjs/common';
import { AccessService } from './access.service';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';

@Global()
@Module({ providers: [ApiKeysService, AuthGuard, AccessService], exports: [ApiKeysService, AuthGuard, AccessService] })
export class AuthModule {}
