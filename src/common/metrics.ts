/**
 * What Warden's services tell Prometheus, as one small typed object: the prom-client
 * implementation lives in src/stats/metrics (provided globally under WARDEN_METRICS), so the
 * folders that count (ingest, correlation, outbox, notifications) never import what reads
 * them. Where no implementation is provided (the CLI, a unit test), NO_METRICS counts nothing.
 */

/** Nest injection token of the process's `WardenMetrics`. */
export const WARDEN_METRICS = Symbol('WARDEN_METRICS');

/** One committed ingest transaction, as metrics count it (correlation's ChangeSet fits it as it is). */
export interface CommittedRun {
  alerts: readonly { status: string; silenceId: string | null }[];
  created: ReadonlyMap<string, { storm: boolean }>;
  /** Alerts that joined storm incidents, per incident and source. */
  stormSources: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** A signal the outbox dispatcher tried: sent (or nothing left to tell), Temporal out of reach, or refused by it. */
export type OutboxSignalOutcome = 'sent' | 'unreachable' | 'refused';

/** A notice the dispatcher tried: sent, failed and retried later, or failed for good. */
export type NoticeOutcome = 'sent' | 'retry' | 'failed';

export interface WardenMetrics {
  /** One ingest request's per-item results; `format` is `native` or a monitor's format name. */
  alertsIngested(format: string, results: readonly { status: string; repeat?: boolean }[]): void;
  /** Counts what a committed ingest transaction stored: duplicates, suppressions, storm folds, incidents opened. */
  correlated(run: CommittedRun): void;
  outboxSignal(outcome: OutboxSignalOutcome): void;
  noticeDelivery(channel: string, outcome: NoticeOutcome): void;
  /** Rows one retention pass deleted, by what they were (`notifications`, `outbox`, `integration_links`). */
  pruned(kind: string, rows: number): void;
  /** An intel list was (re)loaded into the api's tables, or a refresh of it failed (the old table kept). */
  intelLoaded(list: string, outcome: 'loaded' | 'failed', indicators: number): void;
  /** Bus messages a consumer finished with: stored (acknowledged after the commit) or dead-lettered. */
  intakeMessages(bus: string, outcome: 'stored' | 'dead_lettered', count: number): void;
}

export const NO_METRICS: WardenMetrics = {
  alertsIngested: () => {},
  correlated: () => {},
  outboxSignal: () => {},
  noticeDelivery: () => {},
  pruned: () => {},
  intelLoaded: () => {},
  intakeMessages: () => {},
};
