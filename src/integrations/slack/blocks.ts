import type { ActionsBlock, Button, ContextBlock, KnownBlock, MrkdwnElement, PlainTextElement, SectionBlock } from '@slack/web-api';
import { ANALYST_DISPOSITIONS, describeStormKind, isFinishedTask, isOpenTask, isUnacknowledgedTask, type Severity } from '../../domain';
import type { OutgoingNotification } from '../../notifications/notifier';
import type { EnrichmentRollup } from '../../enrichment';
import { enrichmentLines, type ChannelText } from '../enrichment-summary';
import type { IncidentSnapshot } from '../snapshot';

/**
 * Slack's own limits (Block Kit reference). Lengths are counted in UTF-16 units, never fewer
 * than Slack's characters, so a text cut to these fits.
 */
export const SLACK_LIMITS = {
  sectionText: 3000,
  field: 2000,
  fieldsPerSection: 10,
  header: 150,
  button: 75,
  blocks: 50,
  contextElements: 10,
  /** The top-level `text` is the notification and fallback; Slack takes 40,000, a phone shows far less. */
  fallbackText: 3000,
} as const;

/** Action ids the interactions endpoint understands (interactions.ts parses them back). */
export const ACTIONS = {
  ack: 'warden.ack',
  take: 'warden.take',
  resolve: 'warden.resolve',
  approve: 'warden.approve',
  deny: 'warden.deny',
} as const;

export const SEVERITY_COLOURS: Readonly<Record<Severity, string>> = {
  critical: '#d32f2f',
  high: '#f57c00',
  medium: '#fbc02d',
  low: '#9e9e9e',
};
export const RESOLVED_COLOUR = '#2e7d32';

const DISPOSITION_LABELS: Readonly<Record<string, string>> = {
  true_positive: 'True positive',
  false_positive: 'False positive',
  benign: 'Benign',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Slack's three control characters; everything that came from an alert, an incident or a person goes through this. */
export function escapeMrkdwn(raw: string): string {
  return raw.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Cuts text that is already escaped or marked up to at most `max` units, ending in `…`. It never
 * cuts inside an entity (`&amp;`), a surrogate pair or one of our own `<…>` tokens (links, dates,
 * mentions): a half token would render as garbage or, worse, as markup.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  const amp = cut.lastIndexOf('&');
  if (amp !== -1 && !cut.includes(';', amp)) cut = cut.slice(0, amp);
  const lt = cut.lastIndexOf('<');
  if (lt !== -1 && !cut.includes('>', lt)) cut = cut.slice(0, lt);
  return `${cut}…`;
}

/**
 * Outside text as a string, cut to a bound before any regex reads it: escaping only lengthens text and
 * collapsing blanks rarely shrinks it this much, so what is kept of `max` lies within the bound.
 */
function bounded(raw: unknown, max: number): string {
  const text = raw === null || raw === undefined ? '' : String(raw);
  if (text.length <= max * 8 + 64) return text;
  // Never half of a surrogate pair.
  const bound = /[\uD800-\uDBFF]/.test(text.charAt(max * 8 + 63)) ? max * 8 + 63 : max * 8 + 64;
  return `${text.slice(0, bound)}…`;
}

/** An untrusted value on one line, escaped, then cut to `max`. */
export function safe(raw: unknown, max: number): string {
  return clip(
    escapeMrkdwn(
      bounded(raw, max)
        .replace(/[\r\n\t\v\f\u2028\u2029]+/g, ' ')
        .trim(),
    ),
    max,
  );
}

/** An untrusted multi-line text (a comment, a resolution), escaped and cut. */
function safeText(raw: unknown, max: number): string {
  return clip(escapeMrkdwn(bounded(raw, max).replace(/\r\n?/g, '\n').trim()), max);
}

/** `<url|label>` for an http(s) URL; anything else shows the label alone. `label` is already safe. */
export function link(url: string | null | undefined, label: string): string {
  if (!url || !/^https?:\/\/[^\s]+$/i.test(url)) return label;
  const href = url.replace(/[<>|]/g, (c) => encodeURIComponent(c)).replace(/&/g, '&amp;');
  return `<${href}|${label}>`;
}

/** Slack renders the date in each reader's own time zone; the fallback is UTC. */
export function slackDate(value: unknown): string {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) return value === null || value === undefined || value === '' ? '—' : safe(value, 64);
  const fallback = `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fallback}>`;
}

/** `<@U…>` for a Slack user id that looks like one; ids come from the roster, still checked. */
export function mention(slackUserId: string | null | undefined): string | null {
  return slackUserId && /^[UW][A-Z0-9]{2,30}$/.test(slackUserId) ? `<@${slackUserId}>` : null;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const label = (s: string) => capitalize(s.replace(/_/g, ' '));

// --- Block builders: every text passes its limit again, the last line of defence. ---

const mrkdwn = (text: string, max: number): MrkdwnElement => ({ type: 'mrkdwn', text: clip(text, max), verbatim: true });
const plain = (text: string, max: number): PlainTextElement => ({ type: 'plain_text', text: clip(text, max), emoji: true });

const section = (text: string): SectionBlock => ({ type: 'section', text: mrkdwn(text, SLACK_LIMITS.sectionText) });

/** Up to ten `*label*\nvalue` fields; values are already safe. */
const fields = (pairs: [string, string][]): SectionBlock => ({
  type: 'section',
  fields: pairs.slice(0, SLACK_LIMITS.fieldsPerSection).map(([name, value]) => mrkdwn(`*${name}*\n${value || '—'}`, SLACK_LIMITS.field)),
});

const context = (parts: string[]): ContextBlock => ({
  type: 'context',
  elements: parts.slice(0, SLACK_LIMITS.contextElements).map((p) => mrkdwn(p, SLACK_LIMITS.sectionText)),
});

const button = (text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button => ({
  type: 'button',
  text: plain(text, SLACK_LIMITS.button),
  action_id: actionId,
  value,
  ...(style ? { style } : {}),
});

/** At most 50 blocks: the last one kept says how many were left out. */
export function capBlocks(blocks: KnownBlock[]): KnownBlock[] {
  if (blocks.length <= SLACK_LIMITS.blocks) return blocks;
  const kept = blocks.slice(0, SLACK_LIMITS.blocks - 1);
  return [...kept, context([`_${blocks.length - kept.length} more blocks left out_`])];
}

const isResolved = (s: IncidentSnapshot) =>
  (s.task !== null && isFinishedTask(s.task.status)) || s.incident.status === 'resolved' || s.incident.status === 'closed';

export const colourOf = (s: IncidentSnapshot): string => (isResolved(s) ? RESOLVED_COLOUR : SEVERITY_COLOURS[s.incident.severity]);

const headline = (s: IncidentSnapshot) => `${s.incident.priority} ${label(s.incident.severity)}`;

/** The incident, and the Jira issue when there is one. */
function linksLine(s: IncidentSnapshot): string {
  const parts = [link(s.links.incident, `Incident ${safe(s.incident.id, 64)}`)];
  if (s.links.jira) parts.push(link(s.links.jira.url, `Jira ${safe(s.links.jira.key, 64)}`));
  return parts.join('  ·  ');
}

function assigneeOf(s: IncidentSnapshot): string {
  if (!s.task) return '_no task yet_';
  return s.task.assigneeId ? safe(s.task.assigneeName ?? s.task.assigneeId, 200) : '_unassigned_';
}

/** Outside text for mrkdwn; an indicator as code, never with a backtick that would end it early. */
const SLACK_TEXT: ChannelText = {
  text: (raw, max) => safe(raw, max),
  code: (raw, max) => `\`${safe(raw, max).replace(/`/g, "'")}\``,
};

/** The incident's enrichment, one `*Label*: values` line per kind it has; null when it has none. */
export function enrichmentSection(r: EnrichmentRollup): SectionBlock | null {
  const lines = enrichmentLines(r, SLACK_TEXT);
  return lines.length === 0 ? null : section(lines.map((l) => `*${l.label}*: ${l.value}`).join('\n'));
}

/** The task's buttons while it is open: Acknowledge (until acknowledged), Take, Resolve with a disposition. */
export function taskActions(taskId: string, status: string): ActionsBlock | null {
  if (!isOpenTask(status)) return null;
  const elements: ActionsBlock['elements'] = [];
  if (isUnacknowledgedTask(status)) elements.push(button('Acknowledge', ACTIONS.ack, taskId, 'primary'));
  elements.push(button('Take', ACTIONS.take, taskId));
  elements.push({
    type: 'static_select',
    action_id: ACTIONS.resolve,
    placeholder: plain('Resolve as…', SLACK_LIMITS.button),
    options: ANALYST_DISPOSITIONS.map((d) => ({
      text: plain(DISPOSITION_LABELS[d] ?? label(d), SLACK_LIMITS.button),
      value: `${taskId}:${d}`,
    })),
  });
  return { type: 'actions', block_id: `warden.task.${taskId}`, elements };
}

/** The incident's top message: built from the snapshot alone, so any edit shows the state now. */
export function incidentMessage(s: IncidentSnapshot): { text: string; attachments: [{ color: string; blocks: KnownBlock[] }] } {
  const i = s.incident;
  const title = safe(i.title, 1000);
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(`${headline(s)}: ${title}`, SLACK_LIMITS.header) },
    section(`*${link(s.links.incident, title)}*`),
    fields([
      ['Severity', label(i.severity)],
      ['Priority', i.priority],
      [
        'Type',
        i.types.length
          ? i.types
              .slice(0, 10)
              .map((t) => safe(t, 100))
              .join(', ') + (i.types.length > 10 ? ', …' : '')
          : '—',
      ],
      ['Status', safe(label(i.status), 100)],
      ['Source IP', i.sourceIp ? `\`${safe(i.sourceIp, 200)}\`` : '—'],
      ['User', safe(i.user, 300)],
      ['Host', safe(i.host, 300)],
      ['Alerts', String(i.alertCount)],
      ['First seen', slackDate(i.firstSeenAt)],
      ['Last seen', slackDate(i.lastSeenAt)],
    ]),
  ];
  if (i.storm && i.stormSources) {
    const top = i.stormSources.top
      .slice(0, 5)
      .map((t) => `\`${safe(t.source, 200)}\` (${t.alerts})`)
      .join(', ');
    const kind = i.stormKind ? ` of ${safe(describeStormKind(i.stormKind), 500)}` : '';
    blocks.push(
      section(
        `:cyclone: *Storm*${kind}: ${i.stormSources.distinct} distinct sources, first seen ${slackDate(i.firstSeenAt)}, last seen ${slackDate(i.lastSeenAt)}${top ? `; top: ${top}` : ''}`,
      ),
    );
  }
  const enriched = enrichmentSection(s.enrichment);
  if (enriched) blocks.push(enriched);
  const t = s.task;
  if (t) {
    const status = t.disposition ? `${label(t.status)} (${safe(label(t.disposition), 100)})` : label(t.status);
    blocks.push(
      fields([
        ['Assignee', assigneeOf(s)],
        ['Task', status],
        ['Acknowledge by', isUnacknowledgedTask(t.status) ? slackDate(t.ackDeadline) : '—'],
        ['Resolve by', isOpenTask(t.status) ? slackDate(t.resolveDeadline) : '—'],
      ]),
    );
  }
  if (s.pendingApprovals.length) {
    const list = s.pendingApprovals
      .slice(0, 5)
      .map((a) => `${safe(a.action, 100)} (${safe(a.stepId, 100)}, needs ${safe(a.role, 100)})`)
      .join(', ');
    blocks.push(section(`:lock: *Waiting for approval*: ${list}${s.pendingApprovals.length > 5 ? ', …' : ''}`));
  }
  blocks.push(context([linksLine(s)]));
  const actions = t ? taskActions(t.id, t.status) : null;
  if (actions) blocks.push(actions);
  return {
    text: clip(`${headline(s)}: ${title}`, SLACK_LIMITS.fallbackText),
    attachments: [{ color: colourOf(s), blocks: capBlocks(blocks) }],
  };
}

/** How a reply names people: the Slack mention when the roster has one, else the analyst id. */
export type MentionOf = (analystId: string) => string | null;

function recipientsLine(n: OutgoingNotification, mentionOf?: MentionOf): string | null {
  if (!n.recipients.length) return null;
  const names = n.recipients.slice(0, 20).map((id) => mention(mentionOf?.(id)) ?? safe(id, 100));
  return `To: ${names.join(', ')}${n.recipients.length > 20 ? ', …' : ''}`;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The newest alerts of the snapshot, one line each. */
function alertLines(s: IncidentSnapshot, max: number): string {
  return s.alerts
    .slice(0, max)
    .map(
      (a) =>
        `• *${label(a.severity)}* ${safe(a.title, 300)} (${safe(a.type, 100)}${a.sourceIp ? ` from \`${safe(a.sourceIp, 100)}\`` : ''}${a.host ? ` on ${safe(a.host, 100)}` : ''})`,
    )
    .join('\n');
}

/** ` by <who>`: the actor the event names (`analyst:<id>`), else the task's assignee. */
function byWhom(n: OutgoingNotification, s: IncidentSnapshot | null): string {
  const who = str(n.data.by)?.replace(/^analyst:/, '') ?? s?.task?.assigneeName ?? null;
  return who ? ` by ${safe(who, 200)}` : '';
}

/** The first line of a reply per notice kind: an emoji and what happened. */
function summary(n: OutgoingNotification, s: IncidentSnapshot | null): string {
  const title = safe(n.title, 500);
  const d = n.data;
  switch (n.kind) {
    case 'assigned':
      return `:bust_in_silhouette: *Assigned*: ${title}${d.ackDeadline ? `\nAcknowledge by ${slackDate(d.ackDeadline)}` : ''}`;
    case 'unassigned':
      return `:warning: *Nobody free to take it*: ${title}`;
    case 'critical':
    case 'escalation':
    case 'sla_breach': {
      const what = n.kind === 'critical' ? 'Critical incident' : n.kind === 'sla_breach' ? 'Resolve deadline missed' : 'Escalated';
      const tier = str(d.tier) ? ` to *${safe(d.tier, 100)}*` : '';
      const deadlines = [
        d.ackDeadline ? `acknowledge by ${slackDate(d.ackDeadline)}` : null,
        d.resolveDeadline ? `resolve by ${slackDate(d.resolveDeadline)}` : null,
      ].filter(Boolean);
      return `:rotating_light: *${what}*${tier}: ${title}${deadlines.length ? `\n${capitalize(deadlines.join(', '))}` : ''}`;
    }
    case 'task.acknowledged':
      return `:eyes: *Acknowledged*${byWhom(n, s)}`;
    case 'task.resolved': {
      const disposition = str(d.disposition) ? ` as *${safe(label(String(d.disposition)), 100)}*` : '';
      const resolution = str(d.resolution) ? `\n${quote(safeText(d.resolution, 2000))}` : '';
      return `:white_check_mark: *Resolved*${disposition}${byWhom(n, s)}${resolution}`;
    }
    case 'task.commented': {
      const via = str(d.origin) ? ` (via ${safe(d.origin, 20)})` : '';
      return `:speech_balloon: *${safe(d.author ?? 'Someone', 200)}* commented${via}:\n${quote(safeText(d.text ?? n.text, 2500))}`;
    }
    case 'approval.requested':
      return `:lock: *Approval needed*: ${safe(d.action, 100)} (step ${safe(d.stepId, 100)}) waits for a ${safe(d.role, 100)} to approve or deny it.`;
    case 'approval.decided': {
      const approved = d.decision === 'approve' || d.decision === 'approved';
      const by = str(d.decidedBy) ? ` by ${safe(String(d.decidedBy).replace(/^analyst:/, ''), 200)}` : '';
      const reason = str(d.reason) ? `: ${safe(d.reason, 1000)}` : '';
      return `${approved ? ':unlock: *Approved*' : ':no_entry: *Denied*'}${by}${reason}`;
    }
    case 'incident.alerts_added': {
      if (!s) return `:heavy_plus_sign: *More alerts*`;
      const latest = alertLines(s, 5);
      return `:heavy_plus_sign: *${s.incident.alertCount} alerts now*${latest ? `; latest:\n${latest}` : ''}`;
    }
    case 'playbook.compensation_failed':
      return `:x: *Rollback failed*: ${title}`;
    case 'playbook.notify':
      return `:loudspeaker: *Playbook notice*: ${title}`;
    case 'playbook.escalation':
      return `:rotating_light: *Playbook escalation*: ${title}`;
    default:
      return `*${safe(n.kind, 100)}*: ${title}`;
  }
}

/** Kinds whose `text` adds something the summary does not already say. */
const WITH_TEXT = new Set(['assigned', 'unassigned', 'playbook.compensation_failed', 'playbook.notify', 'playbook.escalation']);

const quote = (escaped: string) =>
  escaped
    .split('\n')
    .map((l) => `>${l}`)
    .join('\n');

/** The thread reply for one notice. `mentionOf` turns recipients into Slack mentions so they are pinged. */
export function eventReply(
  n: OutgoingNotification,
  s: IncidentSnapshot | null,
  mentionOf?: MentionOf,
): { text: string; blocks: KnownBlock[] } {
  const head = summary(n, s);
  const blocks: KnownBlock[] = [section(head)];
  if (WITH_TEXT.has(n.kind) && n.text) blocks.push(section(safeText(n.text, 2500)));
  if (n.kind === 'approval.requested') {
    const approvalId = str(n.data.approvalId);
    if (approvalId && UUID.test(approvalId))
      blocks.push({
        type: 'actions',
        block_id: `warden.approval.${approvalId}`,
        elements: [button('Approve', ACTIONS.approve, approvalId, 'primary'), button('Deny', ACTIONS.deny, approvalId, 'danger')],
      });
  }
  const to = recipientsLine(n, mentionOf);
  if (to) blocks.push(context([to]));
  return { text: clip(fallback(n, s), SLACK_LIMITS.fallbackText), blocks: capBlocks(blocks) };
}

/** The notification line a phone shows: the notice's own title, or what happened. */
function fallback(n: OutgoingNotification, s: IncidentSnapshot | null): string {
  if (n.kind === 'incident.alerts_added' && s) return `${s.incident.alertCount} alerts now: ${safe(s.incident.title, 500)}`;
  return safe(n.title || label(n.kind), 1000);
}

/** What an executive gets in a direct message: the escalation, and enough of the incident to act on it. */
export function directMessage(n: OutgoingNotification, s: IncidentSnapshot | null): { text: string; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = [section(summary(n, s))];
  if (s) {
    blocks.push(section(`*${link(s.links.incident, safe(s.incident.title, 1000))}*`));
    blocks.push(
      fields([
        ['Severity', label(s.incident.severity)],
        ['Priority', s.incident.priority],
        ['Assignee', assigneeOf(s)],
        ['Task', s.task ? label(s.task.status) : '—'],
        ['Alerts', String(s.incident.alertCount)],
        ['Source IP', s.incident.sourceIp ? `\`${safe(s.incident.sourceIp, 200)}\`` : '—'],
      ]),
    );
    blocks.push(context([linksLine(s)]));
  } else if (n.text) blocks.push(section(safeText(n.text, 2500)));
  return { text: clip(fallback(n, s), SLACK_LIMITS.fallbackText), blocks: capBlocks(blocks) };
}
