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
});
