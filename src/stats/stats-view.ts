import type { Priority, Severity } from '../domain';

/** Percentiles of a duration, in seconds; null when nothing in the range has the duration yet. */
export interface Percentiles {
  p50Seconds: number | null;
  p90Seconds: number | null;
}

/** One analyst's open load. */
export interface AnalystLoad {
  id: string;
  name: string;
  role: string;
  team: string | null;
  open: number;
  capacity: number;
}

/** The answer of `GET /v1/stats?from&to` (lead scope). Counts are over [from, to) unless named otherwise. */
export interface StatsView {
  from: string;
  to: string;
  /** Alert counts come from hourly rollups: they cover whole hours, from `from` rounded down to the hour. */
  alerts: {
    received: number;
    /** Alerts that opened or joined an incident (neither a duplicate nor suppressed). */
    correlated: number;
    duplicates: number;
    suppressed: number;
    foldedIntoStorms: number;
    bySeverity: Record<Severity, number>;
    /** Alerts received per incident opened; null when no incident was opened. */
    compressionRatio: number | null;
  };
  incidents: {
    opened: number;
    storms: number;
    byStatus: Record<string, number>;
    bySeverity: Record<Severity, number>;
    byType: Record<string, number>;
  };
  tasks: {
    created: number;
    /** From a task's opening to its acknowledgement. */
    mtta: Percentiles;
    /** From a task's opening to its resolution. */
    mttr: Percentiles;
    slaBreaches: { total: number; byKind: Record<string, number> };
  };
  /** Now, not over the range. */
  load: { analysts: AnalystLoad[]; capacityQueue: { waiting: number; byPriority: Record<Priority, number>; oldestSince: string | null } };
  playbooks: { runsByOutcome: Record<string, number>; pendingApprovals: number };
  /** Now: failed notices (by channel) waiting for a redrive, and the outbox's backlog. */
  delivery: {
    failedNotices: number;
    failedNoticesByChannel: Record<string, number>;
    outbox: { pending: number; deadLettered: number; lagSeconds: number };
  };
  series: {
    /** Alerts per hour by severity, every hour of the range (zeros included). */
    alertsByHour: ({ at: string } & Record<Severity, number>)[];
    /** MTTA and MTTR p50 per day of the range, by the day tasks opened. */
    responseByDay: { day: string; mttaP50Seconds: number | null; mttrP50Seconds: number | null }[];
  };
  topSourceIps: { ip: string; alerts: number }[];
  topCountries: GeoTops['topCountries'];
  topAsns: GeoTops['topAsns'];
  /** Incidents opened in the range, by the ATT&CK tactics and techniques of their alerts (enrichment). */
  attack: AttackMatrix;
}

/**
 * The countries and ASNs of alerts' source addresses, as enrichment found them at ingest (internal
 * addresses have neither), ten each, most alerts first; over the whole UTC days the range touches.
 */
export interface GeoTops {
  topCountries: { iso: string; name: string | null; alerts: number }[];
  topAsns: { number: number; organization: string | null; alerts: number }[];
}

/**
 * Incidents by ATT&CK tactic and technique: every tactic of the table in kill-chain order, each with
 * the incidents any of whose alerts reached it, and its techniques (a sub-technique on its own) with
 * theirs, most first. An incident counts once per tactic and once per technique under it.
 */
export interface AttackMatrix {
  /** The ATT&CK version the names come from. */
  version: string;
  tactics: {
    id: string;
    shortname: string;
    name: string;
    incidents: number;
    techniques: { id: string; name: string; incidents: number }[];
  }[];
}

/** An incident of a matrix tactic or cell (`GET /v1/stats/attack/incidents`). */
export interface AttackIncidentView {
  id: string;
  title: string;
  severity: Severity;
  priority: Priority;
  status: string;
  types: string[];
  createdAt: string;
}
