import { createHash, timingSafeEqual } from 'node:crypto';
import type { CommittedRun } from '../../common/metrics';

/** An ingest item's outcome label: `new` reads `accepted`; an idempotent repeat stored nothing, so it is a `repeat`. */
export type IngestOutcome = 'accepted' | 'duplicate' | 'suppressed' | 'resolved' | 'rejected' | 'repeat';

export function ingestOutcome(result: { status: string; repeat?: boolean }): IngestOutcome {
  if (result.repeat) return 'repeat';
  switch (result.status) {
    case 'new':
      return 'accepted';
    case 'duplicate':
    case 'suppressed':
    case 'resolved':
      return result.status;
    default:
      return 'rejected';
  }
}

/** Per-outcome counts of one request's results, only the outcomes that occur. */
export function countOutcomes(results: readonly { status: string; repeat?: boolean }[]): Map<IngestOutcome, number> {
  const counts = new Map<IngestOutcome, number>();
  for (const r of results) {
    const outcome = ingestOutcome(r);
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  }
  return counts;
}

export interface CorrelationTally {
  duplicates: number;
  /** Suppressed by a silence, and by a rule's `suppress` action. */
  silenced: number;
  suppressedByRule: number;
  incidentsOpened: number;
  stormsOpened: number;
  /** Alerts that joined storm incidents (repeats inside a storm included). */
  stormFolded: number;
}

/** What one committed ingest transaction stored, as counters see it. */
export function tallyRun(run: CommittedRun): CorrelationTally {
  const tally: CorrelationTally = { duplicates: 0, silenced: 0, suppressedByRule: 0, incidentsOpened: 0, stormsOpened: 0, stormFolded: 0 };
  for (const a of run.alerts) {
    if (a.status === 'duplicate') tally.duplicates++;
    else if (a.status === 'suppressed') {
      if (a.silenceId) tally.silenced++;
      else tally.suppressedByRule++;
    }
  }
  for (const incident of run.created.values()) {
    tally.incidentsOpened++;
    if (incident.storm) tally.stormsOpened++;
  }
  for (const sources of run.stormSources.values()) for (const n of sources.values()) tally.stormFolded += n;
  return tally;
}

/**
 * The `format` label of a request to the ingest routes, or undefined for any other route.
 * Only known names become labels: a client's path never grows the series count.
 */
export function ingestRouteFormat(routeUrl: string | undefined, format: unknown, known: readonly string[]): string | undefined {
  if (routeUrl === '/v1/alerts') return 'native';
  if (routeUrl !== '/v1/alerts/:format') return undefined;
  return typeof format === 'string' && known.includes(format) ? format : 'unknown';
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * `Authorization: Bearer <token>` against the configured token, in constant time. No token
 * configured lets everyone in, except in production (`closedWithoutToken`), where an open
 * scrape target on the api's public port would show anyone the queue and its workload.
 */
export function metricsAuthorized(authorization: string | undefined, token: string | undefined, closedWithoutToken = false): boolean {
  if (!token) return !closedWithoutToken;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return !!match && timingSafeEqual(digest(match[1]), digest(token));
}

/**
 * Values for a labelled gauge read from the database: every label seen before (or known up
 * front) that has no row now reads 0, so a series drops to zero instead of going stale.
 */
export function withZeros(known: Iterable<string>, rows: Readonly<Record<string, number>>): Map<string, number> {
  const values = new Map<string, number>();
  for (const label of known) values.set(label, 0);
  for (const [label, n] of Object.entries(rows)) values.set(label, n);
  return values;
}
