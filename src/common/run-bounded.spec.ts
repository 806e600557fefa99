import { runBounded } from './run-bounded';

describe('runBounded', () => {
  const deferred = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  };

  it('never has more than the limit in flight and starts items in order', async () => {
    const started: number[] = [];
    let inFlight = 0;
    let peak = 0;
    await runBounded(
      Array.from({ length: 20 }, (_, i) => i),
      4,
      async (i) => {
        started.push(i);
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
      },
      () => false,
    );
    expect(peak).toBe(4);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('starts nothing more once told to stop, lets those in flight finish, and returns the rest', async () => {
    const gates = [deferred(), deferred()];
    const finished: number[] = [];
    let stop = false;
    const run = runBounded(
      [0, 1, 2, 3, 4],
      2,
      async (i) => {
        if (i < 2) await gates[i].promise;
        finished.push(i);
      },
      () => stop,
    );
    stop = true;
    gates[1].resolve();
    gates[0].resolve();
    expect(await run).toEqual([2, 3, 4]);
    expect(finished.sort()).toEqual([0, 1]);
  });

  it('rethrows the first error after the others in flight finished', async () => {
    const finished: number[] = [];
    const gate = deferred();
    const run = runBounded(
      [0, 1, 2],
      2,
      async (i) => {
        if (i === 0) throw new Error('boom');
        await gate.promise;
        finished.push(i);
      },
      () => false,
    );
    gate.resolve();
    await expect(run).rejects.toThrow('boom');
    expect(finished).toEqual([1]);
  });
});
