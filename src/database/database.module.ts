import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ENV, Env } from '../common/env';
import { dataSourceOptions } from './data-source-options';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [ENV],
      // Retries cover Postgres starting alongside Warden; later outages are reported by /health and healed by the pool.
      useFactory: (env: Env) => ({ ...dataSourceOptions(env.DATABASE_URL, env.DATABASE_POOL_SIZE), retryAttempts: 3, retryDelay: 1000 }),
    }),
  ],
})
export class DatabaseModule {}
