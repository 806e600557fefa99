import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { ENV, Env } from '../common/env';

export const TEMPORAL_CONNECTION = Symbol('TEMPORAL_CONNECTION');

/**
 * The Temporal client for the api. The connection is lazy so the api starts and
 * accepts alerts while Temporal is down; /health reports it until it is back.
 */
@Global()
@Module({
  providers: [
    {
      provide: TEMPORAL_CONNECTION,
      inject: [ENV],
      // No gRPC retry interceptor: the outbox dispatcher retries with its own backoff, and a
      // health probe must fail fast. (A retry timer left running would also outlive close().)
      useFactory: (env: Env) => Connection.lazy({ address: env.TEMPORAL_ADDRESS, interceptors: [] }),
    },
    {
      provide: Client,
      inject: [TEMPORAL_CONNECTION, ENV],
      useFactory: (connection: Connection, env: Env) => new Client({ connection, namespace: env.TEMPORAL_NAMESPACE }),
    },
  ],
  exports: [TEMPORAL_CONNECTION, Client],
})
export class TemporalClientModule implements OnApplicationShutdown {
  constructor(@Inject(TEMPORAL_CONNECTION) private readonly connection: Connection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}
