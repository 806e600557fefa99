import { BoundedRead } from './bounded-read';

/** A promise resolved from outside. */
function gate(): { promise: Promise<void>; open(): void; fail(err: Error): void } {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

describe('BoundedRead', () => {
  it('answers fresh when the read finishes in time', async () => {
    let value = 0;
    const read = new BoundedRead(async () => {
      value = 1;
    }, fail);
    expect(await read.run(1000)).toBe('fresh');
    expect(value).toBe(1);
  });

  it('stops waiting for a slow read, which lands later; scrapes meanwhile share it', async () => {
    let calls = 0;
    let value = 0;
    const slow = gate();
    const read = new BoundedRead(async () => {
      calls++;
      await slow.promise;
      value = 2;
    }, fail);
    expect(await read.run(10)).toBe('pending');
    expect(await read.run(10)).toBe('pending');
    expect(calls).toBe(1);
    expect(value).toBe(0);
    slow.open();
    expect(await read.run(1000)).toBe('fresh');
    expect(value).toBe(2);
  });

  it('reports a failed read and runs again next time', async () => {
    const errors: string[] = [];
    let attempt = 0;
    const read = new BoundedRead(
      async () => {
        if (++attempt === 1) throw new Error('statement timeout');
      },
      (err) => errors.push(err.message),
    );
    expect(await read.run(1000)).toBe('failed');
    expect(errors).toEqual(['statement timeout']);
    expect(await read.run(1000)).toBe('fresh');
  });
});

function fail(err: Error): never {
  throw err;
}
