import { runLeased, type Delivered } from './run-leased';

const run = (
  groups: string[][],
  outcomes: Record<string, Delivered>,
  o: { mayStart?: (row: string) => boolean; concurrency?: number } = {},
) => {
  const delivered: string[] = [];
  return runLeased(groups, {
    concurrency: o.concurrency ?? 1,
    stopped: () => false,
    mayStart: o.mayStart ?? (() => true),
    deliver: async (row) => {
      delivered.push(row);
      return outcomes[row] ?? 'next';
    },
  }).then((r) => ({ ...r, delivered }));
};

describe('runLeased', () => {
  it('delivers every row of every group in order when all goes well', async () => {
    const r = await run([['a1', 'a2'], ['b1']], {});
    expect(r).toEqual({ delivered: ['a1', 'a2', 'b1'], handBack: [], halted: false });
  });

  it('hands back the rows behind one that backs off, and goes on with other groups', async () => {
    const r = await run([['a1', 'a2', 'a3'], ['b1']], { a1: 'wait' });
    expect(r).toEqual({ delivered: ['a1', 'b1'], handBack: ['a2', 'a3'], halted: false });
  });

  it('hands back a row cut short with the rows behind it', async () => {
    const r = await run([['a1', 'a2', 'a3']], { a2: 'again' });
    expect(r).toEqual({ delivered: ['a1', 'a2'], handBack: ['a2', 'a3'], halted: false });
  });

  it('starts nothing more once a receiver is out of reach, and hands every unstarted row back', async () => {
    const r = await run([['a1', 'a2'], ['b1'], ['c1']], { a1: 'halt' });
    expect(r).toEqual({ delivered: ['a1'], handBack: ['a2', 'b1', 'c1'], halted: true });
  });

  it('starts no row its lease has no room for', async () => {
    const r = await run([['a1', 'a2'], ['b1']], {}, { mayStart: (row) => row !== 'a2' });
    expect(r).toEqual({ delivered: ['a1', 'b1'], handBack: ['a2'], halted: false });
  });
});
