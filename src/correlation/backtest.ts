import { describeStormKind, parseStormKind, type SecurityAlert } from '../domain';
import { describeEnrichment, type Enrichment } from '../enrichment';
import { IngestPath, type Enrich } from './ingest-path';
import type { AcceptedAlert, ItemResult } from './items';
import { MemoryIngestStore } from './memory-store';
import type { RulesFile } from './rules.schema';

export interface BacktestIncident {
  number: number;
  correlationKey: string;
  rule: string;
  action: string;
  priority: string;
  severity: string;
  types: string[];
  alerts: number;
  /** Signals the workflow would receive, opening included; batched incidents get none. */
  notifications: number;
  /** A storm incident: how many distinct sources it folded; absent for an ordinary incident. */
  stormSources?: number;
}

export interface BacktestReport {
  alerts: number;
  /** Stored alerts by status, as the alerts table would count them. */
  new: number;
  duplicates: number;
  suppressed: number;
  /** Items that repeat an earlier one (same source and externalId): answered with the first result, not stored again. */
  repeats: number;
  /** Alertmanager `resolved` items; `resolvedAlerts` of them found the firing alert they resolve. */
  resolved: number;
  resolvedAlerts: number;
  rejected: { index: number; errors: { path: string; message: string }[] }[];
  incidents: BacktestIncident[];
  /** Each enriched alert (input order): its answer and what enrichment added. Absent without `enrich`. */
  enriched?: { index: number; status: string; priority?: string; enrichment: Enrichment }[];
}

export interface BacktestOptions {
  /**
   * `as-occurred` (the default): each alert arrives on its own at its `occurredAt` (replays
   * are about when things happened; the clock never runs backwards). `at-once`: the file is
   * one request sent now, as `POST /v1/alerts` would take it.
   */
  arrival?: 'as-occurred' | 'at-once';
  /** Enrichment as the api applies it (the tables of the config directory); unset: none, as before. */
  enrich?: Enrich;
}

/**
 * Replays validated alerts through ingest's own path (rules, thresholds, dedup,
 * correlation, repeats, resolves, storms) over a store in memory: no side effects.
 */
export async function backtest(
  items: { accepted: AcceptedAlert[]; rejected: ItemResult[] },
  rules: RulesFile,
  options: BacktestOptions = {},
): Promise<BacktestReport> {
  const store = new MemoryIngestStore();
  const byAlert = new Map<SecurityAlert, Enrichment>();
  const enrich = options.enrich;
  const recorded: Enrich | undefined = enrich
    ? (alert) => {
        const e = enrich(alert);
        if (e) byAlert.set(alert, e);
        return e;
      }
    : undefined;
  const path = new IngestPath(store, rules, undefined, 1, recorded);
  const results: ItemResult[] = [];
  if (options.arrival === 'at-once') {
    store.now = Date.now();
    results.push(...(await path.ingest(items.accepted)));
  } else {
    for (const accepted of items.accepted) {
      store.now = Math.max(store.now, accepted.alert.occurredAt?.getTime() ?? store.now);
      results.push(...(await path.ingest([accepted])));
    }
  }

  const byIndex = new Map(items.accepted.map((a) => [a.index, a.alert]));
  const enriched = results.flatMap((r) => {
    const e = byAlert.get(byIndex.get(r.index)!);
    return e ? [{ index: r.index, status: r.status, ...(r.priority ? { priority: r.priority } : {}), enrichment: e }] : [];
  });
  const stored = (status: ItemResult['status']) => results.filter((r) => r.status === status && !r.repeat).length;
  const notifications = new Map<string, number>();
  for (const o of store.outbox) notifications.set(o.incidentId, (notifications.get(o.incidentId) ?? 0) + 1);
  return {
    alerts: items.accepted.length + items.rejected.length,
    new: stored('new'),
    duplicates: stored('duplicate'),
    suppressed: stored('suppressed'),
    repeats: results.filter((r) => r.repeat).length,
    resolved: stored('resolved'),
    resolvedAlerts: results.filter((r) => r.status === 'resolved' && r.alertId).length,
    rejected: [...items.rejected, ...results.filter((r) => r.status === 'rejected')]
      .sort((a, b) => a.index - b.index)
      .map((r) => ({ index: r.index, errors: r.errors ?? [] })),
    incidents: [...store.incidents.values()].map((i, n) => ({
      number: n + 1,
      correlationKey: i.correlationKey,
      rule: i.rule,
      action: i.action,
      priority: i.priority,
      severity: i.severity,
      types: i.types,
      alerts: i.alertCount,
      notifications: notifications.get(i.id) ?? 0,
      ...(i.storm ? { stormSources: store.stormSources.get(i.id)?.size ?? 0 } : {}),
    })),
    ...(enrich ? { enriched } : {}),
  };
}

/** A plain-text table of the report, for the CLI. */
export function formatBacktest(report: BacktestReport): string {
  const lines = [
    `alerts: ${report.alerts}  new: ${report.new}  duplicates: ${report.duplicates}  suppressed: ${report.suppressed}  ` +
      `repeats: ${report.repeats}  resolved: ${report.resolved}  rejected: ${report.rejected.length}  incidents: ${report.incidents.length}`,
    '',
    ['#', 'priority', 'severity', 'action', 'rule', 'alerts', 'signals', 'storm', 'correlation key', 'types'].join('\t'),
    ...report.incidents.map((i) =>
      [
        i.number,
        i.priority,
        i.severity,
        i.action,
        i.rule,
        i.alerts,
        i.notifications,
        i.stormSources === undefined ? '-' : `${i.stormSources} sources`,
        i.correlationKey,
        i.types.join(','),
      ].join('\t'),
    ),
  ];
  if (report.enriched) {
    lines.push('', 'enrichment:');
    for (const a of report.enriched) lines.push(`  #${a.index} ${a.priority ?? '-'} ${a.status}: ${describeEnrichment(a.enrichment)}`);
  }
  for (const r of report.rejected) lines.push(`rejected #${r.index}: ${r.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
  const byPriority = new Map<string, number>();
  for (const i of report.incidents) byPriority.set(i.priority, (byPriority.get(i.priority) ?? 0) + 1);
  const storms = report.incidents.filter((i) => i.stormSources !== undefined);
  if (storms.length > 0) {
    lines.push('', `storms: ${storms.length} storm incident(s) folded ${storms.reduce((n, i) => n + i.alerts, 0)} alerts:`);
    for (const i of storms)
      lines.push(
        `  #${i.number} ${describeStormKind(parseStormKind(i.correlationKey)!)}: ${i.alerts} alerts from ${i.stormSources} sources (key ${i.correlationKey})`,
      );
  }
  lines.push(
    '',
    `incidents by priority: ${
      [...byPriority]
        .sort()
        .map(([p, n]) => `${p}=${n}`)
        .join(' ') || 'none'
    }`,
  );
  return lines.join('\n');
}
