import { advisoryLocksSql } from './locks';
import { advisoryLockKey } from './pg';

const keysIn = (sql: string) => [...sql.matchAll(/pg_advisory_xact_lock\((-?\d+)\)/g)].map((m) => m[1]);

describe(advisoryLocksSql.name, () => {
  const names = ['correlation:b', 'fingerprint:x', 'correlation:a', 'storm=scan|field=10.0.0.1', 'warden:assignment'];

  it('takes each lock once, in ascending key order, whatever order the names come in', () => {
    const sorted = [...new Set(names.map(advisoryLockKey))].map(BigInt).sort((a, b) => (a < b ? -1 : 1));
    expect(keysIn(advisoryLocksSql([...names, names[0]]))).toEqual(sorted.map(String));
  });

  it('gives the same statement for any permutation of the same names', () => {
    expect(advisoryLocksSql([...names].reverse())).toBe(advisoryLocksSql(names));
  });

  it('takes shared names in shared mode, in the same one order, unless also named exclusive', () => {
    const key = (name: string) => advisoryLockKey(name);
    const sql = advisoryLocksSql(['correlation:a'], ['correlation:a', 'correlation:b']);
    const calls = [
      [BigInt(key('correlation:a')), `pg_advisory_xact_lock(${key('correlation:a')})`],
      [BigInt(key('correlation:b')), `pg_advisory_xact_lock_shared(${key('correlation:b')})`],
    ] as const;
    const expected = [...calls].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([, call]) => call);
    expect(sql).toBe(`SELECT ${expected.join(', ')}`);
  });
});
