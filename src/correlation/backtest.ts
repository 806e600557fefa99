import type { SecurityAlert } from '../domain';
import type { AcceptedAlert, ItemResult } from './items';
import { CorrelationEngine, emptySnapshot } from './engine';
import { evaluateRules, ThresholdQuery } from './rules';
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
  new: number;
  duplicates: number;
  suppressed: number;
  rejected: { index: number; errors: { path: string; message: string }[] }[];
  incidents: BacktestIncident[];
}

/**
 * Replays validated alerts through the rules, dedup and correlation with no side effects:
 * the same CorrelationEngine as ingest, over an empty snapshot. The clock is each alert's
 * `occurredAt` (replays are about when things happened), never running backwards.
 */
export async function backtest(items: { accepted: AcceptedAlert[]; rejected: ItemResult[] }, rules: RulesFile): Promise<BacktestReport> {
  const report: BacktestReport = {
    alerts: items.accepted.length + items.rejected.length,
    new: 0,
    duplicates: 0,
    suppressed: 0,
    rejected: items.rejected.map((r) => ({ index: r.index, errors: r.errors ?? [] })),
    incidents: [],
  };
  let nextId = 0;
  const engine = new CorrelationEngine(emptySnapshot(), () => String(++nextId));
  const seen: { alert: SecurityAlert; at: number }[] = [];
  let clock = 0;

  for (const { alert } of items.accepted) {
    clock = Math.max(clock, alert.occurredAt?.getTime() ?? clock);
    const counter = async (q: ThresholdQuery) =>
      seen.filter(
        (s) =>
          s.alert.type === q.type &&
          s.at > clock - q.withinSeconds * 1000 &&
          Object.entries(q.by).every(([f, v]) => s.alert[f as keyof SecurityAlert] === v),
      ).length;
    const decision = await evaluateRules(rules, alert, counter);
    seen.push({ alert, at: clock });
    const result = engine.apply(alert, decision, new Date(clock));
    if (result.status === 'new') report.new++;
    else if (result.status === 'duplicate') report.duplicates++;
    else report.suppressed++;
  }

  const notifications = new Map<string, number>();
  for (const o of engine.changes.outbox) notifications.set(o.incidentId, (notifications.get(o.incidentId) ?? 0) + 1);
  report.incidents = [...engine.changes.created.values()].map((i, n) => ({
    number: n + 1,
    correlationKey: i.correlationKey,
    rule: i.rule,
    action: i.action,
    priority: i.priority,
    severity: i.severity,
    types: i.types,
    alerts: i.alertCount,
    notifications: notifications.get(i.id) ?? 0,
    ...(i.storm ? { stormSources: engine.changes.stormSources.get(i.id)?.size ?? 0 } : {}),
  }));
  return report;
}

/** A plain-text table of the report, for the CLI. */
export function formatBacktest(report: BacktestReport): string {
  const lines = [
    `alerts: ${report.alerts}  new: ${report.new}  duplicates: ${report.duplicates}  suppressed: ${report.suppressed}  ` +
      `rejected: ${report.rejected.length}  incidents: ${report.incidents.length}`,
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
  for (const r of report.rejected) lines.push(`rejected #${r.index}: ${r.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
  const byPriority = new Map<string, number>();
  for (const i of report.incidents) byPriority.set(i.priority, (byPriority.get(i.priority) ?? 0) + 1);
  const storms = report.incidents.filter((i) => i.stormSources !== undefined);
  if (storms.length > 0) {
    lines.push('', `storms: ${storms.length} storm incident(s) folded ${storms.reduce((n, i) => n + i.alerts, 0)} alerts:`);
    for (const i of storms)
      lines.push(`  #${i.number} rule ${i.rule}: ${i.alerts} alerts from ${i.stormSources} sources (${i.correlationKey})`);
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
