import { DynamicModule, Global, Module } from '@nestjs/common';
import { Env } from './env';
import { loadWardenConfig, WardenConfig } from './warden-config';

export const ENV = Symbol('ENV');
export const WARDEN_CONFIG = Symbol('WARDEN_CONFIG');

/**
 * The environment (parsed once by the entry point) and config/*.yaml, validated
 * at start-up: a bad file stops the process with the file, the path and the reason.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(env: Env): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: ENV, useValue: env },
        { provide: WARDEN_CONFIG, useFactory: (): WardenConfig => loadWardenConfig(env.WARDEN_CONFIG_DIR) },
      ],
      exports: [ENV, WARDEN_CONFIG],
    };
  }
}
