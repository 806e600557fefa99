// What the CLI prints for people. Every string that came from an alert goes through
// `printable`, so a hostile title cannot move the cursor or rewrite the terminal.
import type { InvestigationView } from '../stats/investigation';
import type { StatsView } from '../stats/stats-view';
import { printable } from './http-client';

const clip = (text: string | null | undefined, max = 80): string => {
  const t = printable(text ?? '');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};
const short = (id: string | null | undefined) => (id ? id.slice(0, 8) : '-');
const time = (iso: string | null | undefined) => (iso ? iso.replace(/\.\d{3}Z$/, 'Z') : '-');
const duration = (seconds: number | null | undefined): string => {
  if (seconds === null || seconds === undefined) return '-';
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
};
const counts = (record: Record<string, number>): string =>
  Object.entries(record)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${clip(k, 40)} ${n}`)
    .join(', ') || 'none';

/** Left-aligned columns, two spaces apart. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export interface KeyRow {
  id: string;
  name: string;
  scopes: string[];
  analystId: string | null;
  /** null: any source. */
  sources: string[] | null;
  createdAt: string | Date;
  revokedAt: string | Date | null;
}

export function formatKeys(keys: readonly KeyRow[]): string {
  if (keys.length === 0) return 'no API keys';
  const iso = (d: string | Date | null) => (d === null ? '-' : time(new Date(d).toISOString()));
  return table(
    ['ID', 'NAME', 'SCOPES', 'ANALYST', 'SOURCES', 'CREATED', 'REVOKED'],
    keys.map((k) => [
      k.id,
      clip(k.name, 40),
      k.scopes.join(','),
      k.analystId ?? '-',
      k.sources?.length ? clip(k.sources.join(','), 60) : 'any',
      iso(k.createdAt),
      iso(k.revokedAt),
    ]),
  );
}

/** `warden investigate-ip`: the investigation answer, section by section; `page`: where a person opens it in the workspace. */
export function formatInvestigation(v: InvestigationView, page?: string): string {
  const out: string[] = [];
  out.push(`IP ${v.ip}`);
  if (!v.firstSeen) out.push('never seen by Warden');
  else out.push(`first seen ${time(v.firstSeen)}, last seen ${time(v.lastSeen)}`);
  if (page) out.push(`page ${page}`);
  out.push('', ...enrichmentLines(v.enrichment));

  out.push('', `alerts: ${v.alerts.total} (${v.alerts.asSource} as source, ${v.alerts.asDestination} as destination)`);
  if (v.alerts.items.length) {
    out.push(
      indent(
        table(
          ['RECEIVED', 'ROLE', 'SEVERITY', 'TYPE', 'STATUS', 'FLOW', 'INCIDENT', 'TITLE'],
          v.alerts.items.map((a) => [
            time(a.receivedAt),
            a.role,
            a.severity,
            clip(a.type, 24),
            a.status,
            `${a.sourceIp ?? '?'} -> ${a.destinationIp ?? '?'}`,
            short(a.incidentId),
            clip(a.title, 60),
          ]),
        ),
      ),
    );
    if (v.alerts.items.length < v.alerts.total) {
      out.push(`  (newest ${v.alerts.items.length} shown${v.alerts.nextCursor ? `; more with --cursor ${v.alerts.nextCursor}` : ''})`);
    }
  }

  out.push('', `incidents: ${v.incidents.total}`);
  if (v.incidents.items.length) {
    out.push(
      indent(
        table(
          ['ID', 'STATUS', 'PRIORITY', 'SEVERITY', 'ALERTS', 'LINKED BY', 'LAST SEEN', 'TITLE'],
          v.incidents.items.map((i) => [
            i.id,
            i.status,
            i.priority,
            i.severity,
            `${i.alertsForIp}/${i.alertCount}`,
            i.linkedBy.join('+'),
            time(i.lastSeenAt),
            `${i.storm ? '[storm] ' : ''}${clip(i.title, 60)}`,
          ]),
        ),
      ),
    );
  }

  out.push('', `tasks: ${v.tasks.length}`);
  if (v.tasks.length) {
    out.push(
      indent(
        table(
          ['ID', 'INCIDENT', 'STATUS', 'PRIORITY', 'ASSIGNEE', 'DISPOSITION'],
          v.tasks.map((t) => [
            t.id,
            short(t.incidentId),
            t.status,
            t.priority,
            t.assignee ? `${clip(t.assignee.name, 30)} (${t.assignee.role ?? t.assignee.id})` : 'unassigned',
            t.disposition ?? '-',
          ]),
        ),
      ),
    );
  }

  out.push('', `playbook actions on this IP: ${v.actions.total}`);
  if (v.actions.items.length) {
    out.push(
      indent(
        table(
          ['ACTION', 'STATUS', 'PLAYBOOK', 'STEP', 'INCIDENT', 'FINISHED', 'ROLLBACK'],
          v.actions.items.map((a) => [
            a.action,
            a.status,
            clip(a.playbook, 30),
            clip(a.stepId, 30),
            short(a.incidentId),
            time(a.finishedAt),
            a.compensation ? a.compensation.status : '-',
          ]),
        ),
      ),
    );
  }

  out.push('', `evidence bundles: ${v.evidence.length}`);
  for (const b of v.evidence)
    out.push(`  incident ${short(b.incidentId)} #${b.seq}: ${b.items} items, sha256 ${b.manifestHash.slice(0, 16)}…`);

  out.push('', `storm sources: ${v.stormSources.total}`);
  for (const s of v.stormSources.items) {
    out.push(
      `  ${s.incidentId} ${s.incidentStatus}: ${s.alerts} alerts, ${time(s.firstSeenAt)} .. ${time(s.lastSeenAt)}  ${clip(s.incidentTitle, 60)}`,
    );
  }
  return out.join('\n');
}

/** Most entries a line of the IP's enrichment names; the rest are counted. */
const ENRICHMENT_CAP = 10;
const capped = (items: string[], separator: string): string =>
  items.slice(0, ENRICHMENT_CAP).join(separator) + (items.length > ENRICHMENT_CAP ? ` +${items.length - ENRICHMENT_CAP} more` : '');

/**
 * The top of `warden investigate-ip`: where the address is (or that it is internal), the intel
 * indicators and asset networks it matches now, and the ATT&CK techniques and tactics its alerts carried.
 */
function enrichmentLines(e: InvestigationView['enrichment']): string[] {
  const a = e.address;
  const where = a.internal
    ? `internal (${clip(a.range ?? 'reserved', 40)})`
    : [
        a.country ? clip(a.country.name ? `${a.country.iso} ${a.country.name}` : a.country.iso, 60) : null,
        a.city ? clip(a.city, 60) : null,
        a.asn ? clip(`AS${a.asn.number}${a.asn.organization ? ` ${a.asn.organization}` : ''}`, 80) : null,
      ]
        .filter(Boolean)
        .join(', ') || 'not in the GeoIP databases';
  const intel = a.intel.map((h) => {
    const ref = h.ref ? (h.ref.type === 'misp' ? `, MISP event ${h.ref.info ?? h.ref.event}` : `, STIX ${h.ref.name ?? h.ref.id}`) : '';
    return `${clip(h.list, 40)} ${clip(h.indicator, 80)} (confidence ${h.confidence}${clip(ref, 100)})`;
  });
  const assets = a.assets.map(
    (x) => `${clip(x.name, 60)} (${[x.criticality, x.team ? `team ${clip(x.team, 40)}` : null].filter(Boolean).join(', ')})`,
  );
  const lines = [
    `where: ${where}`,
    `intel: ${intel.length ? capped(intel, '; ') : 'on no loaded list'}`,
    `assets: ${assets.length ? capped(assets, '; ') : 'none known'}`,
  ];
  const techniques = e.alerts.techniques.map((t) => clip(`${t.id} ${t.name}`, 80));
  const tactics = e.alerts.tactics.map((t) => clip(`${t.id} ${t.name}`, 60));
  if (techniques.length || tactics.length) {
    const parts = [techniques.length ? capped(techniques, ', ') : null, tactics.length ? `tactics ${capped(tactics, ', ')}` : null];
    lines.push(`ATT&CK on its alerts: ${parts.filter(Boolean).join('; ')}`);
  }
  return lines;
}

/** `warden stats`: the figures a lead looks at first. */
export function formatStats(s: StatsView): string {
  const a = s.alerts;
  const t = s.tasks;
  const lines = [
    `stats ${time(s.from)} .. ${time(s.to)}`,
    '',
    `alerts:     ${a.received} received, ${a.correlated} correlated, ${a.duplicates} duplicates, ${a.suppressed} suppressed, ${a.foldedIntoStorms} folded into storms`,
    `            by severity: ${counts(a.bySeverity)}; ${a.compressionRatio === null ? 'no incidents opened' : `${a.compressionRatio.toFixed(1)} alerts per incident`}`,
    `incidents:  ${s.incidents.opened} opened (${s.incidents.storms} storms)`,
    `            by status: ${counts(s.incidents.byStatus)}`,
    `            by severity: ${counts(s.incidents.bySeverity)}`,
    `            by type: ${counts(s.incidents.byType)}`,
    `tasks:      ${t.created} created; MTTA p50 ${duration(t.mtta.p50Seconds)} p90 ${duration(t.mtta.p90Seconds)}; MTTR p50 ${duration(t.mttr.p50Seconds)} p90 ${duration(t.mttr.p90Seconds)}`,
    `SLA:        ${t.slaBreaches.total} breaches (${counts(t.slaBreaches.byKind)})`,
    `playbooks:  ${counts(s.playbooks.runsByOutcome)}; ${s.playbooks.pendingApprovals} approvals pending`,
    `delivery:   ${s.delivery.failedNotices} failed notices; outbox ${s.delivery.outbox.pending} pending, ${s.delivery.outbox.deadLettered} dead-lettered, lag ${duration(s.delivery.outbox.lagSeconds)}`,
    `queue:      ${s.load.capacityQueue.waiting} tasks waiting for capacity${s.load.capacityQueue.oldestSince ? ` (oldest since ${time(s.load.capacityQueue.oldestSince)})` : ''}`,
  ];
  if (s.load.analysts.length) {
    lines.push(
      '',
      'analyst load:',
      indent(
        table(
          ['ANALYST', 'ROLE', 'OPEN', 'CAPACITY'],
          s.load.analysts.map((x) => [clip(x.name, 30), x.role, String(x.open), String(x.capacity)]),
        ),
      ),
    );
  }
  if (s.topSourceIps.length) {
    lines.push('', 'top source IPs:', ...s.topSourceIps.slice(0, 10).map((x) => `  ${x.ip.padEnd(39)} ${x.alerts}`));
  }
  return lines.join('\n');
}

/** A stored report as `POST /v1/reports` answers it. */
export interface ReportRecord {
  id: string;
  kind: string;
  from: string;
  to: string;
  createdAt: string;
  trigger: string;
  body: unknown;
}

/**
 * `warden report`: the record's header (with `page`, where a person opens it in the workspace),
 * then the body's figures. The body's shape belongs to the report kind; this walks it
 * generically: figures, small records of figures on one line, list lengths.
 */
export function formatReport(r: ReportRecord, page?: string): string {
  const lines = [`${r.kind} report ${r.id}`, `range ${time(r.from)} .. ${time(r.to)}, created ${time(r.createdAt)} (${r.trigger})`];
  if (page) lines.push(`page ${page}`);
  lines.push('');
  const scalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  const walk = (value: unknown, prefix: string, depth: number) => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      lines.push(`${clip(prefix, 60)}: ${value.length} ${value.length === 1 ? 'entry' : 'entries'}`);
      return;
    }
    if (typeof value === 'object') {
      const entries = Object.entries(value);
      // A small record of figures (counts by severity, say) reads best on one line.
      if (prefix && entries.length <= 12 && entries.every(([, v]) => scalar(v))) {
        lines.push(`${clip(prefix, 60)}: ${entries.map(([k, v]) => `${clip(k, 30)} ${clip(String(v), 40)}`).join(', ') || 'none'}`);
        return;
      }
      if (depth >= 3) {
        lines.push(`${clip(prefix, 60)}: {…}`);
        return;
      }
      for (const [k, v] of entries) walk(v, prefix ? `${prefix}.${k}` : k, depth + 1);
      return;
    }
    lines.push(`${clip(prefix, 60)}: ${clip(String(value), 100)}`);
  };
  walk(r.body, '', 0);
  return lines.join('\n');
}

const indent = (text: string, by = '  ') =>
  text
    .split('\n')
    .map((l) => by + l)
    .join('\n');
