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
 */
export function advisoryLocksSql(names: readonly string[]): string {
  const keys = [...new Set(names.map(advisoryLockKey))].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
  return `SELECT ${keys.map((k) => `pg_advisory_xact_lock(${k})`).join(', ')}`;
}
