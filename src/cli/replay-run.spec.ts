import { ApiError, type Answer } from './http-client';
import { lineProgress, runReplay, type Progress } from './replay-run';

/** A fake clock that moves only when the replay sleeps, so pacing is checked without waiting. */
function clock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms), at: () => t };
}

const silent: Progress = { start() {}, update() {}, stop() {} };
const records = (n: number) => Array.from({ length: n }, (_, i) => ({ n: i }));
const ok = (body: unknown[]): Answer<unknown> => ({
  status: 202,
  body: { results: body.map((_, index) => ({ index, status: 'new', incidentId: 'i-1' })) },
  text: '',
});

describe('runReplay', () => {
  it('posts paced batches with one Idempotency-Key each, to the format’s path', async () => {
    const c = clock();
    const calls: { path: string; size: number; key: string; at: number }[] = [];
    const client = {
      send: async <T>(_m: string, path: string, body?: unknown, headers?: Record<string, string>) => {
        calls.push({ path, size: (body as unknown[]).length, key: headers!['idempotency-key'], at: c.at() });
        return ok(body as unknown[]) as Answer<T>;
      },
    };
    const { summary } = await runReplay(
      { records: records(250), unreadable: [] },
      { format: 'suricata', rate: 100, batch: 100, runId: 'r' },
      { client, progress: silent, now: c.now, sleep: c.sleep },
    );
    expect({ calls, accepted: summary.accepted, incidents: summary.incidents }).toEqual({
      calls: [
        { path: '/v1/alerts/suricata', size: 100, key: 'r-0', at: 0 },
        { path: '/v1/alerts/suricata', size: 100, key: 'r-1', at: 1000 },
        { path: '/v1/alerts/suricata', size: 50, key: 'r-2', at: 2000 },
      ],
      accepted: 250,
      incidents: 1,
    });
  });

  it('retries a batch through an outage with the same key, then counts what the retry stored', async () => {
    const c = clock();
    const keys: string[] = [];
    let n = 0;
    const client = {
      send: async <T>(_m: string, _p: string, body?: unknown, headers?: Record<string, string>) => {
        keys.push(headers!['idempotency-key']);
        if (n++ === 0) return { status: 503, body: { detail: 'The database is unavailable' }, text: '' } as Answer<T>;
        return {
          status: 202,
          body: { results: (body as unknown[]).map((_, index) => ({ index, status: 'new', incidentId: 'i', repeat: index === 0 })) },
          text: '',
        } as Answer<T>;
      },
    };
    const { summary, fatal } = await runReplay(
      { records: records(2), unreadable: [] },
      { format: 'native', rate: 1000, batch: 100, runId: 'r' },
      { client, progress: silent, now: c.now, sleep: c.sleep, retryDelaysMs: [10] },
    );
    expect({ keys, accepted: summary.accepted, repeats: summary.repeats, failed: summary.failedBatches, fatal }).toEqual({
      keys: ['r-0', 'r-0'],
      accepted: 2,
      repeats: 0,
      failed: 0,
      fatal: undefined,
    });
  });

  it('stops at a refused key with the problem’s detail', async () => {
    const c = clock();
    let calls = 0;
    const client = {
      send: async <T>() => {
        calls++;
        return { status: 401, body: { status: 401, detail: 'The API key is unknown or revoked.' }, text: '' } as Answer<T>;
      },
    };
    const { fatal, summary } = await runReplay(
      { records: records(300), unreadable: [] },
      { format: 'native', rate: 1e6, batch: 100, runId: 'r' },
      { client, progress: silent, now: c.now, sleep: c.sleep },
    );
    expect({ calls, message: fatal?.message, status: fatal?.status, sent: summary.sent }).toEqual({
      calls: 1,
      message: 'the API key was refused: 401 The API key is unknown or revoked.',
      status: 401,
      sent: 0,
    });
  });

  it('stops when Warden cannot be reached after the retries', async () => {
    const c = clock();
    const client = {
      send: async (): Promise<never> => {
        throw new ApiError('cannot reach Warden at http://127.0.0.1:1: ECONNREFUSED', null);
      },
    };
    const { fatal } = await runReplay(
      { records: records(1), unreadable: [] },
      { format: 'native', rate: 10, batch: 1, runId: 'r' },
      { client, progress: silent, now: c.now, sleep: c.sleep, retryDelaysMs: [1, 1] },
    );
    expect(fatal?.message).toMatch(/^cannot reach Warden .*ECONNREFUSED/);
  });

  it('records a batch refused as a whole and goes on with the next', async () => {
    const c = clock();
    let n = 0;
    const client = {
      send: async <T>(_m: string, _p: string, body?: unknown) =>
        (n++ === 0
          ? { status: 413, body: { detail: 'A request may carry at most 1000 alerts' }, text: '' }
          : ok(body as unknown[])) as Answer<T>,
    };
    const { summary } = await runReplay(
      { records: records(4), unreadable: [] },
      { format: 'native', rate: 1e6, batch: 2, runId: 'r' },
      { client, progress: silent, now: c.now, sleep: c.sleep },
    );
    expect({ accepted: summary.accepted, failed: summary.failedBatches, failures: summary.failures }).toEqual({
      accepted: 2,
      failed: 1,
      failures: ['records 1-2: 413 A request may carry at most 1000 alerts'],
    });
  });

  it('counts a batch whose every item was rejected (422 with results) as answered', async () => {
    const c = clock();
    const client = {
      send: async <T>() =>
        ({
          status: 422,
          body: {
            detail: 'Every alert in the batch is invalid.',
            results: [{ index: 0, status: 'rejected', errors: [{ path: '/0', message: 'x' }] }],
          },
          text: '',
        }) as Answer<T>,
    };
    const { summary } = await runReplay(
      { records: records(1), unreadable: [] },
      { format: 'native', rate: 1, batch: 1, runId: 'r' },
      { client, progress: silent, now: c.now, sleep: c.sleep },
    );
    expect({ rejected: summary.rejected, failed: summary.failedBatches }).toEqual({ rejected: 1, failed: 0 });
  });
});

describe('lineProgress', () => {
  it('writes a line at the start, at each tenth and at the end', () => {
    const lines: string[] = [];
    const p = lineProgress(
      (l) => lines.push(l),
      () => 0,
    );
    const s = { accepted: 0, duplicates: 0, suppressed: 0, rejected: 0 } as never;
    p.start(20);
    for (let done = 1; done <= 20; done++) p.update(done, s);
    expect(lines.length).toBe(11);
    expect(lines[lines.length - 1]).toMatch(/^replay: 20\/20 sent \(100%\)/);
  });
});
