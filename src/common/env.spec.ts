import { EnvError, loadEnv } from './env';

describe('loadEnv', () => {
  it('fills defaults for an empty environment', () => {
    const env = loadEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/warden',
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      TEMPORAL_TASK_QUEUE: 'warden',
    });
  });

  it('names every bad variable at once', () => {
    let error: EnvError | undefined;
    try {
      loadEnv({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err as EnvError;
    }
    expect(error).toBeInstanceOf(EnvError);
    expect(error!.problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
    expect(error!.message).toMatch(/DATABASE_URL: must be a postgres/);
  });

  it('treats empty strings as unset', () => {
    expect(loadEnv({ PORT: '' }).PORT).toBe(3000);
  });

  it('tunes the worker for many open workflows by default', () => {
    expect(loadEnv({})).toMatchObject({
      WORKER_MAX_CACHED_WORKFLOWS: 100,
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: 40,
      WORKER_MAX_CONCURRENT_ACTIVITIES: 100,
      WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: 100,
      OUTBOX_CONCURRENCY: 16,
    });
  });

  it('refuses a sticky cache smaller than the workflow task slots, unless it is off', () => {
    expect(() => loadEnv({ WORKER_MAX_CACHED_WORKFLOWS: '10', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '40' })).toThrow(
      /WORKER_MAX_CACHED_WORKFLOWS: must be 0 \(no cache\) or at least WORKER_MAX_CONCURRENT_WORKFLOW_TASKS/,
    );
    expect(loadEnv({ WORKER_MAX_CACHED_WORKFLOWS: '0' }).WORKER_MAX_CACHED_WORKFLOWS).toBe(0);
  });

  describe('sign-in', () => {
    it('wants the client id with an issuer, and OIDC settings only with an issuer', () => {
      let error: EnvError | undefined;
      try {
        loadEnv({ OIDC_CLIENT_SECRET: 'secret' });
      } catch (err) {
        error = err as EnvError;
      }
      expect([
        error?.problems,
        (() => {
          try {
            loadEnv({ OIDC_ISSUER_URL: 'https://id.example.org' });
          } catch (err) {
            return (err as EnvError).problems;
          }
        })(),
      ]).toEqual([
        [{ variable: 'OIDC_CLIENT_SECRET', message: 'is used only with OIDC_ISSUER_URL, which is unset' }],
        [{ variable: 'OIDC_CLIENT_ID', message: 'is required when OIDC_ISSUER_URL is set' }],
      ]);
    });

    it('takes an http issuer only on a loopback address', () => {
      expect([
        loadEnv({ OIDC_ISSUER_URL: 'http://127.0.0.1:4000', OIDC_CLIENT_ID: 'warden' }).OIDC_ISSUER_URL,
        () => loadEnv({ OIDC_ISSUER_URL: 'http://id.example.org', OIDC_CLIENT_ID: 'warden' }),
      ]).toEqual(['http://127.0.0.1:4000', expect.any(Function)]);
      expect(() => loadEnv({ OIDC_ISSUER_URL: 'http://id.example.org', OIDC_CLIENT_ID: 'warden' })).toThrow(
        /OIDC_ISSUER_URL: must be https \(http only on a loopback address/,
      );
    });

    it('defaults sessions to 30 minutes idle and 12 hours at most, and wants a long secret', () => {
      expect({ ...loadEnv({}), SESSION_SECRET: undefined }).toMatchObject({ SESSION_IDLE_SECONDS: 1800, SESSION_MAX_HOURS: 12 });
      expect(() => loadEnv({ SESSION_SECRET: 'short' })).toThrow(/SESSION_SECRET: must be at least 32 characters/);
    });
  });
});
