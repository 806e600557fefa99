import type { ChangeSet } from './engine';

/** One `alert_rollups` increment: alerts of the run with these fields. */
export interface AlertRollupDelta {
  severity: string;
  type: string;
  status: string;
  storm: boolean;
  alerts: number;
}

/**
 * What a run adds to the hourly rollups, sorted by key: every transaction upserts rollup rows in
 * the same order, so two concurrent ingests wait on each other and never deadlock.
 */
export function rollupDeltas(c: ChangeSet): { alerts: AlertRollupDelta[]; sources: { ip: string; alerts: number }[] } {
  const storms = new Set([...c.stormSources.keys(), ...[...c.created.values()].filter((i) => i.storm).map((i) => i.id)]);
  const alerts = new Map<string, AlertRollupDelta>();
  const sources = new Map<string, number>();
  for (const { alert, status, incidentId } of c.alerts) {
    const storm = status === 'new' && incidentId !== null && storms.has(incidentId);
    const key = JSON.stringify([alert.severity, alert.type, status, storm]);
    const row = alerts.get(key) ?? { severity: alert.severity, type: alert.type, status, storm, alerts: 0 };
    row.alerts += 1;
    alerts.set(key, row);
    if (alert.sourceIp) sources.set(alert.sourceIp, (sources.get(alert.sourceIp) ?? 0) + 1);
  }
  const byKey = <T>(entries: [string, T][]) => entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return {
    alerts: byKey([...alerts]),
    sources: byKey([...sources].map(([ip, n]): [string, { ip: string; alerts: number }] => [ip, { ip, alerts: n }])),
  };
}
