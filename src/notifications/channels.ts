/**
 * Which channel takes which notice. Every notice is recorded once per channel that takes it
 * (one `notifications` row each), so a channel that is down delays only its own deliveries.
 */

/** Notices to people: the workflow's steps, assignment and playbooks. */
export const PEOPLE_NOTICE_KINDS = [
  'assigned',
  'unassigned',
  'digest',
  'critical',
  'escalation',
  'sla_breach',
  'approval.requested',
  'playbook.compensation_failed',
  'playbook.notify',
  'playbook.escalation',
] as const;

/** People notices that go ahead of the rest when a channel is busy: they say something must happen now. */
export const URGENT_NOTICE_KINDS: readonly NoticeKind[] = [
  'critical',
  'escalation',
  'sla_breach',
  'approval.requested',
  'playbook.compensation_failed',
  'playbook.escalation',
];

/** State changes the threads and tickets follow; they name nobody. */
export const STATE_EVENT_KINDS = [
  'task.acknowledged',
  'task.resolved',
  'task.commented',
  'approval.decided',
  'incident.alerts_added',
] as const;

/** Notices about no task or incident (a report is out): the log and the webhook; Slack and Jira follow incidents. */
export const REPORT_NOTICE_KINDS = ['report.published'] as const;

export type NoticeKind = (typeof PEOPLE_NOTICE_KINDS)[number] | (typeof STATE_EVENT_KINDS)[number] | (typeof REPORT_NOTICE_KINDS)[number];

/** Where a change came from, when a channel made it: it is never sent back there. */
export type ChangeOrigin = 'slack' | 'jira';

/** Nest token of the configured `ChannelSubscription[]` (provided by IntegrationsModule). */
export const CHANNEL_SUBSCRIPTIONS = Symbol('CHANNEL_SUBSCRIPTIONS');

/**
 * Nest token of the least time, in seconds, between two "alerts added" deliveries of one incident
 * to one channel (integrations.yaml `alerts_added_every`, provided by IntegrationsModule).
 */
export const ALERTS_ADDED_EVERY = Symbol('ALERTS_ADDED_EVERY');
/** Without configuration: once a minute per incident and channel. */
export const DEFAULT_ALERTS_ADDED_EVERY_SECONDS = 60;

export interface ChannelSubscription {
  /** `log`, `webhook`, `slack`, `jira`, `webhook:<name>`. */
  name: string;
  /** The kinds it takes. */
  kinds: readonly string[];
}

/** The channels a notice of this kind goes to, leaving out the one the change came from. */
export function channelsFor(kind: string, origin: string | undefined, channels: readonly ChannelSubscription[]): string[] {
  return channels.filter((c) => c.name !== origin && c.kinds.includes(kind)).map((c) => c.name);
}

/** The key of an incident's coalesced "alerts added" row: one pending row per incident and channel. */
export const alertsAddedKey = (incidentId: string) => `incident-${incidentId}:alerts-added`;

/** The subscriptions the configuration enables. Slack follows everything but digests; Jira what happens to tasks. */
export function subscriptions(enabled: {
  webhook: boolean;
  slack: boolean;
  jira: boolean;
  webhooks: readonly { name: string; events: readonly string[] }[];
}): ChannelSubscription[] {
  const people: readonly string[] = PEOPLE_NOTICE_KINDS;
  const all: readonly string[] = [...PEOPLE_NOTICE_KINDS, ...STATE_EVENT_KINDS];
  const own: readonly string[] = [...people, ...REPORT_NOTICE_KINDS];
  const list: ChannelSubscription[] = [{ name: 'log', kinds: own }];
  if (enabled.webhook) list.push({ name: 'webhook', kinds: own });
  if (enabled.slack) list.push({ name: 'slack', kinds: all.filter((k) => k !== 'digest') });
  if (enabled.jira) list.push({ name: 'jira', kinds: all.filter((k) => k !== 'digest') });
  for (const w of enabled.webhooks) list.push({ name: `webhook:${w.name}`, kinds: w.events });
  return list;
}
