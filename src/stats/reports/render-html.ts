/**
 * A report as one self-contained HTML document: inline CSS, no scripts, no external URLs, so it
 * opens the same from a mail attachment on a closed SOC network. Every string is escaped: titles,
 * hosts, users and errors come from alerts and receivers, which are hostile input.
 */
import { CRITICALITIES, PRIORITIES, SEVERITIES } from '../../domain';
import type { Percentiles } from '../stats-view';
import type {
  BreachSummary,
  ContainmentSummary,
  DailyReport,
  EnrichmentCounts,
  ExecutiveReport,
  FailedNoticeSummary,
  IncidentSummary,
  Listed,
  Report,
  StormSummary,
} from './report';
import { reportTitle } from './report';

/** The Content-Security-Policy the HTML is served with: nothing but its own inline styles. */
export const REPORT_HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'";

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for an element body or a quoted attribute. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A long hostile string is cut, so one 10 kB title cannot bury the report. */
const clip = (value: string | null | undefined, max = 200): string => {
  const s = value ?? '';
  return s.length > max ? `${s.slice(0, max)}…` : s;
};

const text = (value: unknown, max?: number): string => escapeHtml(clip(value === null || value === undefined ? '' : String(value), max));

/** `2025-01-06 07:00` in the report's time zone. */
function when(isoTime: string | null, timeZone: string): string {
  if (!isoTime) return '–';
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
      .formatToParts(new Date(isoTime))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** 95 → `1m 35s`; null → `–`. */
export function duration(secondsValue: number | null): string {
  if (secondsValue === null) return '–';
  const s = Math.round(secondsValue);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

const num = (n: number): string => n.toLocaleString('en-US');
const label = (s: string): string => text(s.replace(/_/g, ' '));

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f6f7f9;margin:0;padding:24px}
main{max-width:1100px;margin:0 auto}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dde3;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}
.period{color:#57606a;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:10px 14px;min-width:130px}
.card .v{font-size:22px;font-weight:600}.card .l{color:#57606a;font-size:12px}
.card.alert .v{color:#b42318}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d8dde3;margin:4px 0 8px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eef0f3;vertical-align:top;overflow-wrap:anywhere}
th{background:#eef0f3;font-weight:600;font-size:12px;white-space:nowrap;overflow-wrap:normal}
td.n,th.n{text-align:right;white-space:nowrap}
.p1{color:#b42318;font-weight:600}.p2{color:#b54708;font-weight:600}
.bad{color:#b42318}.ok{color:#067647}
.bar{background:#6b9bd1;height:10px;border-radius:2px;min-width:2px}td.barcell{width:22%}
.muted{color:#57606a}.empty{color:#57606a;font-style:italic;margin:4px 0 8px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
footer{margin-top:32px;color:#57606a;font-size:12px}
`;

const card = (value: string, what: string, alarming = false): string =>
  `<div class="card${alarming ? ' alert' : ''}"><div class="v">${value}</div><div class="l">${escapeHtml(what)}</div></div>`;

const priorityCell = (p: string): string => `<td class="${p === 'P1' ? 'p1' : p === 'P2' ? 'p2' : ''}">${text(p)}</td>`;

function table(headers: string[], rows: string[][], numeric: number[] = []): string {
  const th = headers.map((h, i) => `<th${numeric.includes(i) ? ' class="n"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

const td = (v: unknown, max?: number): string => `<td>${text(v, max)}</td>`;
const tdNum = (n: number): string => `<td class="n">${num(n)}</td>`;
const tdRaw = (html: string, cls = ''): string => `<td${cls ? ` class="${cls}"` : ''}>${html}</td>`;

function countsTable(title: string, counts: Record<string, number>, order?: readonly string[]): string {
  const keys = order ?? Object.keys(counts).sort();
  if (keys.length === 0) return `<h3>${escapeHtml(title)}</h3><p class="empty">None.</p>`;
  return `<h3>${escapeHtml(title)}</h3>${table(
    ['', 'count'],
    keys.map((k) => [tdRaw(label(k)), tdNum(counts[k] ?? 0)]),
    [1],
  )}`;
}

function listed<T>(title: string, list: Listed<T>, headers: string[], row: (item: T) => string[], numeric: number[] = []): string {
  const head = `<h3>${escapeHtml(title)} <span class="muted">(${num(list.total)})</span></h3>`;
  if (list.items.length === 0) return `${head}<p class="empty">None.</p>`;
  const more = list.truncated ? `<p class="muted">Showing ${num(list.items.length)} of ${num(list.total)}.</p>` : '';
  return head + table(headers, list.items.map(row), numeric) + more;
}

const incidentRow =
  (tz: string) =>
  (i: IncidentSummary): string[] => [
    priorityCell(i.priority),
    td(i.title),
    td(i.severity),
    td([i.sourceIp, i.host, i.user].filter(Boolean).join(' · ')),
    tdRaw(text(when(i.createdAt, tz))),
    tdRaw(label(i.outcome), i.outcome === 'true_positive' ? 'bad' : ''),
    td(i.task?.assignee ?? '–'),
    tdRaw(escapeHtml(duration(i.task?.ttaSeconds ?? null)), 'n'),
    tdRaw(escapeHtml(duration(i.task?.ttrSeconds ?? null)), 'n'),
    tdRaw(`<code>${text(i.id)}</code>`),
  ];
const INCIDENT_HEADERS = [
  'priority',
  'title',
  'severity',
  'source · host · user',
  'opened',
  'outcome',
  'assignee',
  'TTA',
  'TTR',
  'incident',
];

const containmentRow =
  (tz: string) =>
  (c: ContainmentSummary): string[] => [
    td(c.action),
    td(c.target ?? '–'),
    tdRaw(label(c.outcome), c.outcome === 'succeeded' ? 'ok' : /fail|refused/.test(c.outcome) ? 'bad' : ''),
    priorityCell(c.priority),
    td(c.playbook),
    td(c.reason ?? ''),
    tdRaw(text(when(c.at, tz))),
    tdRaw(`<code>${text(c.incidentId)}</code>`),
  ];
const CONTAINMENT_HEADERS = ['action', 'target', 'outcome', 'priority', 'playbook', 'reason', 'when', 'incident'];

function percentileCells(p: Percentiles): string[] {
  return [tdRaw(escapeHtml(duration(p.p50Seconds)), 'n'), tdRaw(escapeHtml(duration(p.p90Seconds)), 'n')];
}

/** A bar scaled to the largest value of its series (a width in percent: a number, never text). */
function bar(value: number | null, max: number): string {
  if (value === null || max <= 0) return '';
  const width = Math.max(0, Math.min(100, Math.round((value / max) * 100)));
  return `<div class="bar" style="width:${width}%"></div>`;
}

/** A titled table of a top list, its last column the count; `None.` when empty. */
function topTable<T>(title: string, headers: string[], items: readonly T[], row: (item: T) => string[]): string {
  const head = `<h3>${escapeHtml(title)}</h3>`;
  if (items.length === 0) return `${head}<p class="empty">None.</p>`;
  return head + table(headers, items.map(row), [headers.length - 1]);
}

/** The period's incidents by country, network, ATT&CK tactic and technique, intel list and affected asset. */
function enrichmentSection(e: EnrichmentCounts): string {
  return [
    `<h2>Enrichment</h2>`,
    `<p class="muted">Incidents opened in the period, by what enrichment found on their alerts.</p>`,
    topTable('Top countries', ['country', 'incidents'], e.countries, (c) => [
      td(c.name ? `${c.country} ${c.name}` : c.country),
      tdNum(c.incidents),
    ]),
    topTable('Top networks', ['ASN', 'organisation', 'incidents'], e.asns, (a) => [
      td(`AS${a.asn}`),
      td(a.organization ?? '–'),
      tdNum(a.incidents),
    ]),
    topTable('ATT&CK tactics', ['tactic', 'name', 'incidents'], e.tactics, (t) => [td(t.id), td(t.name), tdNum(t.incidents)]),
    topTable('ATT&CK techniques', ['technique', 'name', 'incidents'], e.techniques, (t) => [td(t.id), td(t.name), tdNum(t.incidents)]),
    topTable('Threat-intel lists hit', ['list', 'incidents'], e.intelLists, (l) => [td(l.list), tdNum(l.incidents)]),
    countsTable('Incidents by the highest criticality of their assets', e.assetCriticality, [...CRITICALITIES].reverse()),
    topTable('Top affected assets', ['asset', 'kind', 'criticality', 'team', 'incidents'], e.assets, (a) => [
      td(a.name),
      td(a.kind),
      tdRaw(label(a.criticality), a.criticality === 'critical' ? 'bad' : ''),
      td(a.team ?? '–'),
      tdNum(a.incidents),
    ]),
  ].join('\n');
}

function daily(r: DailyReport): string {
  const tz = r.period.timeZone;
  const f = r.findings;
  return [
    `<section class="cards">`,
    card(num(r.summary.alertsReceived), 'alerts received'),
    card(num(r.summary.incidentsOpened), 'incidents opened'),
    card(num(r.summary.p1Incidents), 'P1 incidents', r.summary.p1Incidents > 0),
    card(num(r.summary.slaBreaches), 'SLA breaches', r.summary.slaBreaches > 0),
    card(num(r.summary.truePositives), 'true positives'),
    card(num(r.summary.storms), 'storms'),
    card(num(r.summary.containmentProblems), 'containment failed or rolled back', r.summary.containmentProblems > 0),
    card(num(r.summary.failedNotices), 'failed notices', r.summary.failedNotices > 0),
    `</section>`,
    `<h2>Alerts</h2>`,
    table(
      ['received', 'correlated', 'duplicates', 'suppressed', 'folded into storms', ...SEVERITIES],
      [
        [
          tdNum(r.alerts.received),
          tdNum(r.alerts.correlated),
          tdNum(r.alerts.duplicates),
          tdNum(r.alerts.suppressed),
          tdNum(r.alerts.foldedIntoStorms),
          ...SEVERITIES.map((s) => tdNum(r.alerts.bySeverity[s])),
        ],
      ],
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    ),
    `<h2>Incidents</h2>`,
    table(
      ['opened', 'storms', ...SEVERITIES, ...PRIORITIES],
      [
        [
          tdNum(r.incidents.opened),
          tdNum(r.incidents.storms),
          ...SEVERITIES.map((s) => tdNum(r.incidents.bySeverity[s])),
          ...PRIORITIES.map((p) => tdNum(r.incidents.byPriority[p])),
        ],
      ],
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    ),
    `<h2>SLA breaches</h2>`,
    countsTable('By kind', r.slaBreaches.byKind),
    listed('Breaches', r.slaBreaches, ['priority', 'kind', 'task', 'assignee', 'deadline', 'recorded'], (b: BreachSummary) => [
      priorityCell(b.priority),
      tdRaw(label(b.kind)),
      td(b.title),
      td(b.assignee ?? '–'),
      td(when(b.deadline, tz)),
      td(when(b.recordedAt, tz)),
    ]),
    `<h2>Top source IPs</h2>`,
    r.topSourceIps.length === 0
      ? `<p class="empty">None.</p>`
      : table(
          ['source IP', 'alerts'],
          r.topSourceIps.map((s) => [tdRaw(`<code>${text(s.ip)}</code>`), tdNum(s.alerts)]),
          [1],
        ),
    `<h2>Notable findings</h2>`,
    listed('P1 incidents', f.p1Incidents, INCIDENT_HEADERS, incidentRow(tz), [7, 8]),
    listed('True positives', f.truePositives, INCIDENT_HEADERS, incidentRow(tz), [7, 8]),
    listed(
      'Storms',
      f.storms,
      ['priority', 'title', 'status', 'alerts', 'sources', 'top sources', 'first seen', 'last seen'],
      (s: StormSummary) => [
        priorityCell(s.priority),
        td(s.title),
        td(s.status),
        tdNum(s.alerts),
        tdNum(s.sources),
        td(s.topSources.map((t) => `${t.source} (${t.alerts})`).join(', '), 400),
        td(when(s.firstSeenAt, tz)),
        td(when(s.lastSeenAt, tz)),
      ],
      [3, 4],
    ),
    listed('Containment failed or rolled back', f.containment, CONTAINMENT_HEADERS, containmentRow(tz)),
    countsTable('Failed notices by channel', f.failedNotices.byChannel),
    listed('Failed notices', f.failedNotices, ['channel', 'kind', 'notice', 'error', 'failed'], (n: FailedNoticeSummary) => [
      td(n.channel),
      td(n.kind),
      td(n.title ?? n.key),
      td(n.error ?? ''),
      td(when(n.failedAt, tz)),
    ]),
    enrichmentSection(r.enrichment),
  ].join('\n');
}

function executive(r: ExecutiveReport): string {
  const tz = r.period.timeZone;
  const days = r.response.byDay;
  const maxTta = Math.max(0, ...days.map((d) => d.mttaP50Seconds ?? 0));
  const maxTtr = Math.max(0, ...days.map((d) => d.mttrP50Seconds ?? 0));
  const actions = Object.keys(r.containment.byAction);
  const outcomes = [
    ...new Set(actions.flatMap((a) => Object.keys(r.containment.byAction[a as keyof typeof r.containment.byAction]))),
  ].sort();
  return [
    `<section class="cards">`,
    card(num(r.summary.p1Incidents), 'P1 incidents', r.summary.p1Incidents > 0),
    card(num(r.summary.p2Incidents), 'P2 incidents'),
    card(num(r.summary.slaBreaches), 'SLA breaches', r.summary.slaBreaches > 0),
    card(num(r.summary.containmentActions), 'containment actions'),
    card(escapeHtml(duration(r.summary.mttaP50Seconds)), 'MTTA (p50)'),
    card(escapeHtml(duration(r.summary.mttrP50Seconds)), 'MTTR (p50)'),
    `</section>`,
    `<h2>P1 and P2 incidents</h2>`,
    countsTable('By outcome', r.incidents.byOutcome),
    listed('Incidents', r.incidents, INCIDENT_HEADERS, incidentRow(tz), [7, 8]),
    `<h2>Response times</h2>`,
    table(
      ['tasks', 'acknowledged', 'resolved', 'MTTA p50', 'MTTA p90', 'MTTR p50', 'MTTR p90'],
      [
        [
          tdNum(r.response.overall.tasks),
          tdNum(r.response.overall.acknowledged),
          tdNum(r.response.overall.resolved),
          ...percentileCells(r.response.overall.mtta),
          ...percentileCells(r.response.overall.mttr),
        ],
      ],
      [0, 1, 2, 3, 4, 5, 6],
    ),
    `<h3>By priority</h3>`,
    table(
      ['priority', 'tasks', 'MTTA p50', 'MTTR p50'],
      PRIORITIES.map((p) => {
        const x = r.response.byPriority[p];
        return [
          priorityCell(p),
          tdNum(x.tasks),
          tdRaw(escapeHtml(duration(x.mttaP50Seconds)), 'n'),
          tdRaw(escapeHtml(duration(x.mttrP50Seconds)), 'n'),
        ];
      }),
      [1, 2, 3],
    ),
    `<h3>Trend by day (p50, by the day tasks opened)</h3>`,
    table(
      ['day', 'tasks', 'MTTA', '', 'MTTR', ''],
      days.map((d) => [
        td(d.day),
        tdNum(d.tasks),
        tdRaw(escapeHtml(duration(d.mttaP50Seconds)), 'n'),
        tdRaw(bar(d.mttaP50Seconds, maxTta), 'barcell'),
        tdRaw(escapeHtml(duration(d.mttrP50Seconds)), 'n'),
        tdRaw(bar(d.mttrP50Seconds, maxTtr), 'barcell'),
      ]),
      [1, 2, 4],
    ),
    `<h2>SLA breaches <span class="muted">(${num(r.slaBreaches.total)})</span></h2>`,
    countsTable('By kind', r.slaBreaches.byKind),
    countsTable('By priority', r.slaBreaches.byPriority, PRIORITIES),
    `<h2>Containment actions</h2>`,
    outcomes.length === 0
      ? `<p class="empty">None.</p>`
      : table(
          ['action', ...outcomes.map((o) => o.replace(/_/g, ' '))],
          actions.map((a) => [
            td(a),
            ...outcomes.map((o) => tdNum(r.containment.byAction[a as keyof typeof r.containment.byAction][o] ?? 0)),
          ]),
          outcomes.map((_, i) => i + 1),
        ),
    listed('Actions', r.containment, CONTAINMENT_HEADERS, containmentRow(tz)),
    `<h2>Top targeted assets</h2>`,
    `<h3>Destination IPs</h3>`,
    r.topTargets.destinationIps.length === 0
      ? `<p class="empty">None.</p>`
      : table(
          ['destination IP', 'incidents', 'alerts', 'top priority'],
          r.topTargets.destinationIps.map((t) => [
            tdRaw(`<code>${text(t.ip)}</code>`),
            tdNum(t.incidents),
            tdNum(t.alerts),
            priorityCell(t.topPriority),
          ]),
          [1, 2],
        ),
    `<h3>Hosts</h3>`,
    r.topTargets.hosts.length === 0
      ? `<p class="empty">None.</p>`
      : table(
          ['host', 'incidents', 'alerts', 'top priority'],
          r.topTargets.hosts.map((t) => [td(t.host), tdNum(t.incidents), tdNum(t.alerts), priorityCell(t.topPriority)]),
          [1, 2],
        ),
    enrichmentSection(r.enrichment),
  ].join('\n');
}

export function renderReportHtml(report: Report): string {
  const tz = report.period.timeZone;
  const title = `${reportTitle(report.kind)}: ${when(report.period.from, tz)} to ${when(report.period.to, tz)} (${tz})`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Warden · ${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${escapeHtml(reportTitle(report.kind))}</h1>
<p class="period">${escapeHtml(when(report.period.from, tz))} to ${escapeHtml(when(report.period.to, tz))} (${escapeHtml(tz)})</p>
${report.kind === 'daily' ? daily(report) : executive(report)}
<footer>Warden ${escapeHtml(report.kind)} report, generated ${escapeHtml(when(report.generatedAt, tz))} ${escapeHtml(tz)}.</footer>
</main>
</body>
</html>
`;
}
