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
});
