import type { NormalizedItem } from '../ingest/normalizers/types';
import { SecurityAlert, validateAlert } from '../ingest/security-alert';
import { correlationKey, isWithinDedupWindow, OpenIncident, planCorrelation } from './correlation';
import { fingerprint } from './fingerprint';
import { evaluateRules, ThresholdQuery } from './rules';
import type { Priority, RulesFile } from './rules.schema';

export interface BacktestIncident {
  number: number;
  correlationKey: string;
  rule: string;
  action: string;
  priority: Priority;
  severity: string;
  types: string[];
  alerts: number;
  firstSeen: Date;
  lastSeen: Date;
  /** Signals the workflow would receive (opening included); batched incidents get none. */
  notifications: number;
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
 * Replays alerts through the rules, dedup and correlation with no side effects, using
 * the same decision functions as ingest. The clock is each alert's `occurredAt`
 * (replays are about when things happened), falling back to the previous alert's time.
 */
export async function backtest(items: NormalizedItem[], rules: RulesFile): Promise<BacktestReport> {
  const report: BacktestReport = { alerts: items.length, new: 0, duplicates: 0, suppressed: 0, rejected: [], incidents: [] };
  const seen: { alert: SecurityAlert; at: Date }[] = [];
  const firstByFingerprint = new Map<string, { lastSeen: Date; incident: BacktestIncident }>();
  const openByKey = new Map<string, BacktestIncident>();
  let clock = new Date(0);

  for (const [index, item] of items.entries()) {
    const validation = item.errors?.length ? { ok: false as const, errors: item.errors } : validateAlert(item.alert);
    if (!validation.ok) {
      report.rejected.push({ index, errors: validation.errors });
      continue;
    }
    const alert = validation.alert;
    const now = alert.occurredAt && alert.occurredAt > clock ? alert.occurredAt : clock;
    clock = now;
    const counter = async (q: ThresholdQuery) =>
      seen.filter(
        (s) =>
          s.alert.type === q.type &&
          s.at.getTime() > now.getTime() - q.withinSeconds * 1000 &&
          Object.entries(q.by).every(([f, v]) => s.alert[f as keyof SecurityAlert] === v),
      ).length;
    const decision = await evaluateRules(rules, alert, counter);
    seen.push({ alert, at: now });

    if (decision.action === 'suppress') {
      report.suppressed++;
      continue;
    }
    const fp = fingerprint(alert, decision.dedupFields);
    const first = firstByFingerprint.get(fp);
    if (first && isWithinDedupWindow(first.lastSeen, decision, now) && openByKey.get(first.incident.correlationKey) === first.incident) {
      first.lastSeen = now;
      first.incident.alerts++;
      first.incident.lastSeen = now;
      report.duplicates++;
      continue;
    }

    const key = correlationKey(decision, alert, fp);
    const current = openByKey.get(key);
    const open: OpenIncident | null = current
      ? { id: String(current.number), severity: current.severity as OpenIncident['severity'], priority: current.priority, types: current.types, alertCount: current.alerts, lastSeenAt: current.lastSeen }
      : null;
    const plan = planCorrelation(open, alert, decision, now);
    let incident: BacktestIncident;
    if (plan.kind === 'join') {
      incident = current!;
      Object.assign(incident, { severity: plan.severity, priority: plan.priority, types: plan.types, lastSeen: now });
      incident.alerts++;
      if (plan.notify && incident.action !== 'batch') incident.notifications++;
    } else {
      incident = {
        number: report.incidents.length + 1,
        correlationKey: key,
        rule: decision.rule,
        action: decision.action,
        priority: decision.priority,
        severity: alert.severity,
        types: [alert.type],
        alerts: 1,
        firstSeen: now,
        lastSeen: now,
        notifications: decision.action === 'batch' ? 0 : 1,
      };
      report.incidents.push(incident);
      openByKey.set(key, incident);
    }
    firstByFingerprint.set(fp, { lastSeen: now, incident });
    report.new++;
  }
  return report;
}

/** A plain-text table of the report, for the CLI. */
export function formatBacktest(report: BacktestReport): string {
  const lines = [
    `alerts: ${report.alerts}  new: ${report.new}  duplicates: ${report.duplicates}  suppressed: ${report.suppressed}  rejected: ${report.rejected.length}  incidents: ${report.incidents.length}`,
    '',
    ['#', 'priority', 'severity', 'action', 'rule', 'alerts', 'signals', 'correlation key', 'types'].join('\t'),
    ...report.incidents.map((i) =>
      [i.number, i.priority, i.severity, i.action, i.rule, i.alerts, i.notifications, i.correlationKey, i.types.join(',')].join('\t'),
    ),
  ];
  for (const r of report.rejected) lines.push(`rejected #${r.index}: ${r.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
  const byPriority = report.incidents.reduce<Record<string, number>>((acc, i) => ({ ...acc, [i.priority]: (acc[i.priority] ?? 0) + 1 }), {});
  lines.push('', `incidents by priority: ${Object.entries(byPriority).sort().map(([p, n]) => `${p}=${n}`).join(' ') || 'none'}`);
  return lines.join('\n');
}
