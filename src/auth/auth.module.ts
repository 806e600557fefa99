import { Global, Module } from '@nestjs/common';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';

@Global()
@Module({ providers: [ApiKeysService, AuthGuard], exports: [ApiKeysService, AuthGuard] })
export class AuthModule {}
