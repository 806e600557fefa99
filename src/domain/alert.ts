import type { Severity } from './severity';

/** Alert types the shipped rules and checklists know by name; monitors may send any other. */
export const ALERT_TYPES = [
  'sql_injection',
  'failed_login',
  'port_scan',
  'privilege_escalation',
  'malware',
  'data_exfiltration',
  'dns_tunneling',
  'c2_beacon',
] as const;
export type KnownAlertType = (typeof ALERT_TYPES)[number];

/** A validated alert in the native shape every format normalizes to (DESIGN.md, "The native SecurityAlert"). */
export interface SecurityAlert {
  source: string;
  type: string;
  severity: Severity;
  title: string;
  externalId?: string;
  description?: string;
  sourceIp?: string;
  destinationIp?: string;
  user?: string;
  host?: string;
  occurredAt?: Date;
  tags?: string[];
  raw?: unknown;
}

/** What became of a stored alert: the first of its kind, a repeat inside the dedup window, or silenced. */
export type AlertStatus = 'new' | 'duplicate' | 'suppressed';

/** The `source` of alerts from Alertmanager, the one monitor whose alerts end with a resolved notice. */
export const ALERTMANAGER_SOURCE = 'alertmanager';
/** Sources whose alerts are `firing` until their monitor resolves them. */
export const RESOLVING_SOURCES: readonly string[] = [ALERTMANAGER_SOURCE];

/**
 * Where an alert stands, as alert views show it: `resolved` once its monitor resolved it;
 * `suppressed` when silenced; `firing` while a monitor that reports resolution has not;
 * else as stored (`new`, `duplicate`): such monitors never say an alert is over.
 */
export type AlertViewStatus = AlertStatus | 'firing' | 'resolved';

export function alertViewStatus(status: AlertStatus, source: string, resolvedAt: Date | string | null): AlertViewStatus {
  if (resolvedAt !== null) return 'resolved';
  if (status === 'suppressed') return 'suppressed';
  return RESOLVING_SOURCES.includes(source) ? 'firing' : status;
}
