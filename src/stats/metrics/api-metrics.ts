import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CommittedRun, OutboxSignalOutcome, WardenMetrics } from '../../common/metrics';
import { countOutcomes, tallyRun } from './counting';

/** Seconds: from a single alert's few milliseconds to a slow 1,000-alert batch. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The api's metrics, on a registry of its own (never prom-client's global one): every api in a
 * process (the e2e tests run several) counts only its own requests. Counters count what this
 * replica did (Prometheus sums replicas); the gauges are read from PostgreSQL and Temporal at
 * scrape time (MetricsCollectors), so every replica reports the same system-wide values.
 */
export class ApiMetrics implements WardenMetrics {
  readonly registry = new Registry();
  private readonly registers = [this.registry];

  private readonly alerts = new Counter({
    name: 'warden_ingest_alerts_total',
    help: 'Alerts received, by format (native or a monitor format) and outcome (accepted, duplicate, suppressed, resolved, rejected, repeat).',
    labelNames: ['format', 'outcome'] as const,
    registers: this.registers,
  });
  private readonly requests = new Counter({
    name: 'warden_ingest_requests_total',
    help: 'Ingest requests answered, by format and HTTP status code.',
    labelNames: ['format', 'code'] as const,
    registers: this.registers,
  });
  private readonly latency = new Histogram({
    name: 'warden_ingest_request_duration_seconds',
    help: 'Ingest request latency (received to answered; an answer means the alerts are committed), by format.',
    labelNames: ['format'] as const,
    buckets: LATENCY_BUCKETS,
    registers: this.registers,
  });
  private readonly deduplicated = new Counter({
    name: 'warden_alerts_deduplicated_total',
    help: 'Alerts stored as duplicates of an alert with the same fingerprint inside the dedup window.',
    registers: this.registers,
  });
  private readonly suppressed = new Counter({
    name: 'warden_alerts_suppressed_total',
    help: 'Alerts stored as suppressed, by what suppressed them (silence or rule).',
    labelNames: ['by'] as const,
    registers: this.registers,
  });
  private readonly incidentsOpened = new Counter({
    name: 'warden_incidents_opened_total',
    help: 'Incidents opened by ingest (storm incidents included).',
    registers: this.registers,
  });
  private readonly stormsOpened = new Counter({
    name: 'warden_storms_opened_total',
    help: 'Storm incidents opened: a rule passed its storm threshold and its further alerts fold into one incident.',
    registers: this.registers,
  });
  private readonly stormFolded = new Counter({
    name: 'warden_storm_alerts_folded_total',
    help: 'Alerts folded into storm incidents.',
    registers: this.registers,
  });
  private readonly outboxSignals = new Counter({
    name: 'warden_outbox_signals_total',
    help: 'Outbox signals to Temporal by outcome: sent, unreachable (Temporal out of reach, retried) or refused (counts toward dead-lettering).',
    labelNames: ['outcome'] as const,
    registers: this.registers,
  });

  readonly outboxPending = new Gauge({
    name: 'warden_outbox_pending',
    help: 'Outbox rows not yet delivered to Temporal (dead letters excluded), by priority lane.',
    labelNames: ['priority'] as const,
    registers: this.registers,
  });
  readonly outboxLag = new Gauge({
    name: 'warden_outbox_lag_seconds',
    help: 'Age of the oldest outbox row not yet delivered (dead letters excluded); 0 when none waits.',
    registers: this.registers,
  });
  readonly outboxDeadLetters = new Gauge({
    name: 'warden_outbox_dead_letters',
    help: 'Outbox rows dead-lettered after repeated refusals, waiting for `warden outbox redrive`.',
    registers: this.registers,
  });
  readonly noticesPending = new Gauge({
    name: 'warden_notices_pending',
    help: 'Notices recorded but not yet delivered (neither sent nor failed for good), by channel.',
    labelNames: ['channel'] as const,
    registers: this.registers,
  });
  readonly noticesFailed = new Gauge({
    name: 'warden_notices_failed',
    help: 'Notices that failed for good and wait for `warden notices redrive`, by channel.',
    labelNames: ['channel'] as const,
    registers: this.registers,
  });
  readonly queueDepth = new Gauge({
    name: 'warden_assignment_queue_depth',
    help: 'Tasks waiting in the capacity queue for an analyst with room, by priority.',
    labelNames: ['priority'] as const,
    registers: this.registers,
  });
  readonly workflowsRunning = new Gauge({
    name: 'warden_workflows_running',
    help: "Running workflows on Warden's task queue, by workflow type (Temporal visibility).",
    labelNames: ['workflow_type'] as const,
    registers: this.registers,
  });
  readonly collectorUp = new Gauge({
    name: 'warden_metrics_collector_up',
    help: "1 when the collector's last read at scrape time answered in time; 0 while its gauges keep their last values.",
    labelNames: ['collector'] as const,
    registers: this.registers,
  });
  readonly collectorFailures = new Counter({
    name: 'warden_metrics_collector_failures_total',
    help: 'Scrape-time reads that failed, and scrapes that stopped waiting for a late one, by collector (database or temporal).',
    labelNames: ['collector'] as const,
    registers: this.registers,
  });

  private readonly intelLoads = new Counter({
    name: 'warden_intel_loads_total',
    help: 'Intel list loads and refreshes into the tables, by list and outcome (failed: the old table was kept).',
    labelNames: ['list', 'outcome'],
    registers: this.registers,
  });

  private readonly intelIndicators = new Gauge({
    name: 'warden_intel_indicators',
    help: 'Indicators in each intel list as loaded.',
    labelNames: ['list'],
    registers: this.registers,
  });

  private readonly intakeMessagesTotal = new Counter({
    name: 'warden_intake_messages_total',
    help: 'Bus messages a consumer finished with, by bus (nats, kafka) and outcome (stored, dead_lettered): a dead letter waits for `warden intake redrive`.',
    labelNames: ['bus', 'outcome'] as const,
    registers: this.registers,
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Series that exist from the start, so rate() sees their first increase.
    for (const by of ['silence', 'rule']) this.suppressed.inc({ by }, 0);
    for (const outcome of ['sent', 'unreachable', 'refused']) this.outboxSignals.inc({ outcome }, 0);
    for (const collector of ['database', 'temporal']) this.collectorFailures.inc({ collector }, 0);
  }

  alertsIngested(format: string, results: readonly { status: string; repeat?: boolean }[]): void {
    for (const [outcome, n] of countOutcomes(results)) this.alerts.inc({ format, outcome }, n);
  }

  correlated(run: CommittedRun): void {
    const t = tallyRun(run);
    this.deduplicated.inc(t.duplicates);
    this.suppressed.inc({ by: 'silence' }, t.silenced);
    this.suppressed.inc({ by: 'rule' }, t.suppressedByRule);
    this.incidentsOpened.inc(t.incidentsOpened);
    this.stormsOpened.inc(t.stormsOpened);
    this.stormFolded.inc(t.stormFolded);
  }

  outboxSignal(outcome: OutboxSignalOutcome): void {
    this.outboxSignals.inc({ outcome });
  }

  /** The worker's: no notice is delivered by the api. */
  noticeDelivery(): void {}

  /** The worker's: retention runs there. */
  pruned(): void {}

  intelLoaded(list: string, outcome: 'loaded' | 'failed', indicators: number): void {
    this.intelLoads.inc({ list, outcome });
    this.intelIndicators.set({ list }, indicators);
  }

  intakeMessages(bus: string, outcome: 'stored' | 'dead_lettered', count: number): void {
    if (count > 0) this.intakeMessagesTotal.inc({ bus, outcome }, count);
  }

  ingestRequest(format: string, statusCode: number, seconds: number): void {
    this.requests.inc({ format, code: String(statusCode) });
    this.latency.observe({ format }, seconds);
  }
}
