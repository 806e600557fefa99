import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { MAX_BODY_BYTES, registerBodyParsers } from './ingest/body-parsers';
import { ProblemFilter } from './common/problem';
import { registerJsonEtags } from './common/etag';
import { Env, logLevels } from './common/env';
import { registerSessionCookies } from './auth/session-cookie';

/** Builds the api application; main.ts and the e2e tests share it. */
export async function createApp(env: Env): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: MAX_BODY_BYTES, forceCloseConnections: 'idle' });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(env), adapter, {
    logger: logLevels(env.LOG_LEVEL),
    abortOnError: false,
    bodyParser: false,
  });
  registerBodyParsers(app.getHttpAdapter().getInstance());
  registerJsonEtags(app.getHttpAdapter().getInstance());
  await registerSessionCookies(app, env);
  app.useGlobalFilters(new ProblemFilter());
  return app;
}
