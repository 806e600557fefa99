import { once } from 'node:events';
import { freePort } from '../support/temporal-server';
import { pollUntil, uniqueTaskQueue } from '../support/harness';
import { kill, launch } from '../support/processes';

describe('api and worker processes', () => {
  it('start, serve /health, and exit 0 on SIGTERM and SIGINT after draining', async () => {
    const port = await freePort();
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'log',
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('proc'),
      OUTBOX_DISPATCHER_ENABLED: 'false',
    };
    const api = launch('main.ts', env);
    const worker = launch('worker.ts', env);
    try {
      const health = await pollUntil(
        () => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status),
        (s) => s === 200,
        { timeoutMs: 45_000, what: 'api /health 200' },
      );
      expect(health).toBe(200);
      await pollUntil(
        async () => worker.output(),
        (o) => o.includes('polling task queue'),
        {
          timeoutMs: 45_000,
          what: 'worker polling',
        },
      );

      api.child.kill('SIGTERM');
      worker.child.kill('SIGINT');
      const [[apiCode], [workerCode]] = await Promise.all([once(api.child, 'exit'), once(worker.child, 'exit')]);
      expect({ apiCode, api: api.output().includes('api stopped') }).toEqual({ apiCode: 0, api: true });
      expect({ workerCode, worker: worker.output().includes('worker stopped') }).toEqual({ workerCode: 0, worker: true });
    } finally {
      kill(api, worker);
    }
  });
});
