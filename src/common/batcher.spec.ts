import { Batcher } from './batcher';

/** A run that records each batch and holds it until released. */
function gated() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const run = async (items: number[]) => {
    batches.push(items);
    await new Promise<void>((release) => gates.push(release));
    return items.map((i) => (i < 0 ? new Error(`bad ${i}`) : i * 10));
  };
  return { batches, run, release: () => gates.shift()!() };
}

const settled = () => new Promise((r) => setImmediate(r));

describe('Batcher', () => {
  it('runs the first call alone and coalesces the calls that arrive while it runs into the next batch', async () => {
    const g = gated();
    const batcher = new Batcher(g.run, 10);
    const first = batcher.submit(1);
    const later = [batcher.submit(2), batcher.submit(3), batcher.submit(4)];
    await settled();
    expect(g.batches).toEqual([[1]]);
    g.release();
    await expect(first).resolves.toBe(10);
    await settled();
    expect(g.batches).toEqual([[1], [2, 3, 4]]);
    g.release();
    await expect(Promise.all(later)).resolves.toEqual([20, 30, 40]);
  });

  it('takes at most `max` items per batch and keeps the rest, in order, for the next', async () => {
    const g = gated();
    const batcher = new Batcher(g.run, 2);
    const all = [0, 1, 2, 3, 4].map((i) => batcher.submit(i));
    for (let n = 0; n < 3; n++) {
      await settled();
      g.release();
    }
    await Promise.all(all);
    expect(g.batches).toEqual([[0], [1, 2], [3, 4]]);
  });

  it('puts an item that clashes with one already in the batch into the next batch', async () => {
    const g = gated();
    const batcher = new Batcher(g.run, 10, (a, b) => a % 10 === b % 10);
    const all = [1, 2, 12, 3].map((i) => batcher.submit(i));
    for (let n = 0; n < 3; n++) {
      await settled();
      g.release();
    }
    await Promise.all(all);
    expect(g.batches).toEqual([[1], [2, 3], [12]]);
  });

  it('rejects only the item whose outcome is an Error', async () => {
    const batcher = new Batcher(async (items: number[]) => items.map((i) => (i < 0 ? new Error(`bad ${i}`) : i)), 10);
    const results = await Promise.allSettled([batcher.submit(1), batcher.submit(-1), batcher.submit(2)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('rejects every item of a batch whose run throws, and goes on with the next batch', async () => {
    let calls = 0;
    const batcher = new Batcher(async (items: number[]) => {
      calls++;
      if (calls === 2) throw new Error('database down');
      return items;
    }, 10);
    const first = batcher.submit(1);
    const failed = [batcher.submit(2), batcher.submit(3)];
    await expect(first).resolves.toBe(1);
    await expect(Promise.allSettled(failed)).resolves.toEqual([
      { status: 'rejected', reason: new Error('database down') },
      { status: 'rejected', reason: new Error('database down') },
    ]);
    await expect(batcher.submit(4)).resolves.toBe(4);
  });
});
