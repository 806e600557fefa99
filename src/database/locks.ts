import { advisoryLockKey } from './pg';

/**
 * Every advisory lock Warden takes goes through here. A transaction takes the locks it
 * needs at one point, in one statement, ordered by key, so two transactions that need
 * overlapping locks queue in the same order and never deadlock.
 *
 * Across kinds, every path keeps one order: the assignment lock, then analyst rows, then
 * task rows, then correlation locks (`correlation:`, `fingerprint:`, storm keys), then
 * incident rows, then outbox rows (by id). Ingest starts at correlation locks; resolve,
 * reassign, assignment and run-time roster changes start at the assignment lock; none
 * goes back up the list.
 *
 * `shared` names are taken in shared mode (unless also named exclusive): holders of one share
 * it, and an exclusive holder waits for them all and keeps new ones out until it commits.
 */
export function advisoryLocksSql(names: readonly string[], shared: readonly string[] = []): string {
  const exclusive = new Set(names.map(advisoryLockKey));
  // Each key parsed once, not up to four times per comparison (some 10,000 parses for a 300-lock chunk).
  const keys = [...new Set([...exclusive, ...shared.map(advisoryLockKey)])]
    .map((key) => ({ key, n: BigInt(key) }))
    .sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : 0))
    .map(({ key }) => key);
  return `SELECT ${keys.map((k) => (exclusive.has(k) ? `pg_advisory_xact_lock(${k})` : `pg_advisory_xact_lock_shared(${k})`)).join(', ')}`;
}
