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
