/**
 * An incident's alerts by whether their monitor has resolved them. Counted from alerts, never
 * kept on incidents: `firing` is every alert of the incident its monitor has not resolved
 * (alerts from monitors that never report resolution stay firing), `resolved` the rest.
 */
export interface AlertCounts {
  firing: number;
  resolved: number;
}

/** Cleared: the incident has alerts and the monitors have resolved every one of them. */
export const isCleared = (c: AlertCounts): boolean => c.firing === 0 && c.resolved > 0;

/**
 * Columns `firing_alerts` and `resolved_alerts` for the incident whose id is the SQL expression
 * `incidentId`: its alerts (IDX_alerts_incident_id) not resolved, and those resolved
 * (IDX_alerts_resolved, which holds resolved alerts only). Use it on a page of incidents
 * already limited, so it is counted for those rows alone.
 */
export function alertCountsSql(incidentId: string): string {
  return `(SELECT count(*) FROM alerts WHERE incident_id = ${incidentId} AND resolved_at IS NULL)::int AS firing_alerts,
    (SELECT count(*) FROM alerts WHERE incident_id = ${incidentId} AND resolved_at IS NOT NULL)::int AS resolved_alerts`;
}

/** The two columns of `alertCountsSql` as PostgreSQL returns them. */
export interface AlertCountsRow {
  firing_alerts: number;
  resolved_alerts: number;
}
