import { describeStormKind } from '../../domain';
import { enrichmentLines } from '../enrichment-summary';
import type { IncidentSnapshot } from '../snapshot';

/**
 * Atlassian Document Format (ADF), the JSON Jira Cloud's v3 API takes for descriptions and
 * comments. Only the nodes Warden writes are modelled. ADF is JSON, so untrusted strings need
 * no HTML escaping, but they are cleaned (control and bidi characters dropped, lone surrogates
 * replaced) and capped: Jira refuses a text field over 32,767 characters and an empty text node.
 */

export interface AdfMark {
  type: 'strong' | 'em' | 'code' | 'link';
  attrs?: { href: string };
}
export interface AdfText {
  type: 'text';
  text: string;
  marks?: AdfMark[];
}
export interface AdfHardBreak {
  type: 'hardBreak';
}
export type AdfInline = AdfText | AdfHardBreak;
export interface AdfParagraph {
  type: 'paragraph';
  content: AdfInline[];
}
export interface AdfHeading {
  type: 'heading';
  attrs: { level: 1 | 2 | 3 | 4 | 5 | 6 };
  content: AdfInline[];
}
export interface AdfListItem {
  type: 'listItem';
  content: AdfParagraph[];
}
export interface AdfBulletList {
  type: 'bulletList';
  content: AdfListItem[];
}
export interface AdfTableCell {
  type: 'tableHeader' | 'tableCell';
  content: AdfParagraph[];
}
export interface AdfTableRow {
  type: 'tableRow';
  content: AdfTableCell[];
}
export interface AdfTable {
  type: 'table';
  attrs: { isNumberColumnEnabled: boolean; layout: 'default' };
  content: AdfTableRow[];
}
export interface AdfRule {
  type: 'rule';
}
export type AdfBlock = AdfParagraph | AdfHeading | AdfBulletList | AdfTable | AdfRule;
export interface AdfDoc {
  type: 'doc';
  version: 1;
  content: AdfBlock[];
}

/** Jira's limit for a text field (description, comment) is 32,767 characters; the ADF JSON is what counts. */
export const MAX_ADF_JSON = 32_000;
/** Jira's summary limit. */
export const MAX_SUMMARY = 255;
/** What a comment from Jira may carry into Warden (the comments API takes at most 10,000). */
export const MAX_INBOUND_COMMENT = 10_000;

// C0 (but tab, LF, CR), DEL, C1, the bidi embeddings/overrides/isolates and marks, BOM: invisible
// characters that can hide or reorder what a reader sees.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Drops invisible control characters and repairs lone surrogates (which JSON would carry as invalid UTF-16). */
export function clean(value: string): string {
  return value.replace(LONE_SURROGATE, '\uFFFD').replace(INVISIBLE, '');
}

/** At most `max` characters (code points, so no pair is cut), ending in `…` when cut. */
export function cap(value: string, max: number): string {
  if (value.length <= max) return value;
  // A code point is one or two code units, so the first 2·max units hold the first max points.
  const points = Array.from(value.slice(0, 2 * max + 2));
  if (points.length <= max) return value;
  return max <= 1 ? points.slice(0, max).join('') : `${points.slice(0, max - 1).join('')}…`;
}

/**
 * At most `max` UTF-16 code units, never half a surrogate pair, ending in "…" when cut. Jira counts
 * a summary's length as Java does, in code units: an emoji is two.
 */
export function capUnits(value: string, max: number): string {
  if (value.length <= max) return value;
  let cut = value.slice(0, Math.max(0, max - 1));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** One line: cleaned, whitespace runs (newlines too) as one space, capped. */
export function oneLine(value: string | null | undefined, max: number): string {
  if (value === null || value === undefined) return '';
  // Cleaning a megabyte to keep 200 characters is waste; what is dropped or collapsed rarely exceeds this margin.
  const raw = String(value);
  return cap(
    clean(raw.length > max * 8 + 64 ? raw.slice(0, max * 8 + 64) : raw)
      .replace(/\s+/g, ' ')
      .trim(),
    max,
  );
}

/**
 * Several lines: cleaned, CRLF as LF, tabs as spaces, trailing blanks gone, capped. Outside text is
 * cut to a bound before anything scans it, and trailing blanks go by a loop, not a backtracking regex.
 */
export function multiLine(value: string, max: number): string {
  const bound = max * 8 + 64;
  const cut = value.length > bound;
  const lines = clean(cut ? value.slice(0, bound) : value)
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '  ')
    .split('\n');
  // The line the cut ended is not complete: its blanks are not trailing.
  const text = lines
    .map((line, i) => (cut && i === lines.length - 1 ? line : trimBlanksEnd(line)))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
  if (!cut) return cap(text.trim(), max);
  const out = cap(text.trimStart(), max);
  return out.endsWith('…') || out.length >= max ? out : `${out}…`;
}

const trimBlanksEnd = (line: string): string => {
  let end = line.length;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\u00A0')) end--;
  return line.slice(0, end);
};

// ---- node builders: an empty string makes no text node (ADF refuses empty text) ----

const text = (value: string, marks?: AdfMark[]): AdfInline[] =>
  value === '' ? [] : [marks ? { type: 'text', text: value, marks } : { type: 'text', text: value }];
const strong = (value: string) => text(value, [{ type: 'strong' }]);
const paragraph = (...inline: AdfInline[][]): AdfParagraph => ({ type: 'paragraph', content: inline.flat() });
const heading = (value: string): AdfHeading => ({ type: 'heading', attrs: { level: 3 }, content: text(value) });
const bulletList = (items: string[]): AdfBulletList => ({
  type: 'bulletList',
  content: items.map((item) => ({ type: 'listItem', content: [paragraph(text(item))] })),
});
/** Items that open with a bold label: `Countries: SE Sweden`. */
const labelledList = (items: { label: string; value: string }[]): AdfBulletList => ({
  type: 'bulletList',
  content: items.map((item) => ({ type: 'listItem', content: [paragraph(strong(`${item.label}: `), text(item.value))] })),
});
const cell = (type: AdfTableCell['type'], value: string): AdfTableCell => ({ type, content: [paragraph(text(value))] });

/** A link when `href` is an http(s) URL, plain text otherwise (the URL comes from configuration, never from an alert). */
function link(label: string, href: string): AdfInline[] {
  if (!/^https?:\/\/[^\s]+$/i.test(href) || href.length > 2000) return text(label);
  return text(label, [{ type: 'link', attrs: { href } }]);
}

/** Lines as text separated by hard breaks. */
function lines(value: string): AdfInline[] {
  return value.split('\n').flatMap((line, i) => (i === 0 ? text(line) : [{ type: 'hardBreak' } as AdfInline, ...text(line)]));
}

const size = (doc: AdfDoc) => JSON.stringify(doc).length;

// ---- the issue description ----

/** How much of a snapshot a description shows; the later levels are for incidents whose strings are huge. */
const DESCRIPTION_LEVELS = [
  { alerts: 20, field: 200, checklist: 50, item: 500 },
  { alerts: 10, field: 100, checklist: 30, item: 200 },
  { alerts: 5, field: 60, checklist: 15, item: 100 },
  { alerts: 0, field: 40, checklist: 5, item: 60 },
] as const;

type Level = (typeof DESCRIPTION_LEVELS)[number];

const ALERT_COLUMNS = ['Type', 'Severity', 'Source IP', 'User', 'Host', 'Time', 'Title'];

function describeIncident(s: IncidentSnapshot, level: Level): AdfDoc {
  const i = s.incident;
  const f = (v: string | null | undefined) => oneLine(v, level.field) || '—';
  const content: AdfBlock[] = [];

  content.push(paragraph(strong(`${i.priority} · ${i.severity}`), text(` · ${oneLine(i.types.join(', '), level.field * 2) || 'no type'}`)));
  content.push(paragraph(text(oneLine(i.title, 500) || 'Untitled incident')));
  content.push(
    paragraph(
      text(`${i.alertCount} alert${i.alertCount === 1 ? '' : 's'}, first seen ${f(i.firstSeenAt)}, last seen ${f(i.lastSeenAt)}.`),
      [{ type: 'hardBreak' }],
      text(`Source IP: ${f(i.sourceIp)} · User: ${f(i.user)} · Host: ${f(i.host)}`),
    ),
  );
  if (i.storm && i.stormSources) {
    const top = i.stormSources.top
      .slice(0, 10)
      .map((t) => `${oneLine(t.source, level.field)} (${t.alerts})`)
      .join(', ');
    const kind = i.stormKind ? `${oneLine(describeStormKind(i.stormKind), 500)}: ` : '';
    content.push(paragraph(strong('Storm: '), text(`${kind}${i.stormSources.distinct} distinct sources${top ? `; top: ${top}` : ''}.`)));
  }
  if (s.task) {
    const t = s.task;
    content.push(
      paragraph(
        text(
          `Assignee: ${t.assigneeName ? oneLine(t.assigneeName, level.field) : t.assigneeId ? oneLine(t.assigneeId, level.field) : 'unassigned'}`,
        ),
        text(` · status ${t.status} · acknowledge by ${f(t.ackDeadline)} · resolve by ${f(t.resolveDeadline)}`),
      ),
    );
  }

  // Enrichment rolled up over the newest alerts; ADF is JSON, so text is cleaned and capped, not escaped.
  const enrichment = enrichmentLines(s.enrichment, {
    text: (raw, max) => oneLine(raw, Math.min(max, level.field)),
    code: (raw, max) => oneLine(raw, Math.min(max, level.field)),
  });
  if (enrichment.length > 0) {
    content.push(heading('Enrichment'));
    content.push(labelledList(enrichment));
  }

  const alerts = s.alerts.slice(0, level.alerts);
  content.push(heading(alerts.length < i.alertCount ? `Alerts (newest ${alerts.length} of ${i.alertCount})` : `Alerts (${alerts.length})`));
  if (alerts.length > 0) {
    content.push({
      type: 'table',
      attrs: { isNumberColumnEnabled: false, layout: 'default' },
      content: [
        { type: 'tableRow', content: ALERT_COLUMNS.map((c) => cell('tableHeader', c)) },
        ...alerts.map((a): AdfTableRow => ({
          type: 'tableRow',
          content: [a.type, a.severity, a.sourceIp, a.user, a.host, a.receivedAt, a.title].map((v) => cell('tableCell', f(v))),
        })),
      ],
    });
  }

  // A plain bullet list, not an ADF task list: ticking a box in Jira would not reach Warden's checklist.
  const checklist = (s.task?.checklist ?? []).map((c) => oneLine(c, level.item)).filter((c) => c !== '');
  if (checklist.length > 0) {
    content.push(heading('Checklist'));
    content.push(bulletList(checklist.slice(0, level.checklist)));
    if (checklist.length > level.checklist)
      content.push(paragraph(text(`… and ${checklist.length - level.checklist} more steps in Warden.`)));
  }

  content.push({ type: 'rule' });
  content.push(paragraph(link('Open the incident in Warden', s.links.incident), text(` (incident ${oneLine(i.id, 64)})`)));
  return { type: 'doc', version: 1, content };
}

/** The issue description: summary, the newest alerts as a table, the checklist, a link back; always under Jira's size limit. */
export function issueDescription(s: IncidentSnapshot): AdfDoc {
  for (const level of DESCRIPTION_LEVELS) {
    const doc = describeIncident(s, level);
    if (size(doc) <= MAX_ADF_JSON) return doc;
  }
  return {
    type: 'doc',
    version: 1,
    content: [
      paragraph(text(oneLine(s.incident.title, 200) || 'Untitled incident')),
      paragraph(link('Open the incident in Warden', s.links.incident)),
    ],
  };
}

// ---- comments ----

function buildComment(value: string, footer: string, max: number): AdfDoc {
  const body = multiLine(value, max);
  const content: AdfBlock[] = body === '' ? [] : body.split(/\n\n/).map((p) => paragraph(lines(p)));
  if (footer !== '') content.push(paragraph(text(footer, [{ type: 'em' }])));
  if (content.length === 0) content.push(paragraph(text('(empty)')));
  return { type: 'doc', version: 1, content };
}

/** A comment: paragraphs from blank-line-separated text, hard breaks for single newlines, an italic footer; under Jira's size limit. */
export function commentDoc(value: string, footer?: string): AdfDoc {
  const foot = oneLine(footer, 500);
  let budget = 30_000;
  // Many short lines cost more JSON than characters; shrink the text until the document fits.
  for (let attempt = 0; attempt < 8; attempt++) {
    const doc = buildComment(value, foot, budget);
    const length = size(doc);
    if (length <= MAX_ADF_JSON) return doc;
    budget = Math.max(0, Math.floor((budget * MAX_ADF_JSON) / length) - 100);
  }
  return buildComment(oneLine(value, 1000), foot, 1000);
}

// ---- ADF back to text (comments arriving from Jira) ----

/** Nodes whose children are inline: joined without separators. The rest hold blocks, one per line. */
const INLINE_PARENTS = new Set(['paragraph', 'heading', 'codeBlock', 'taskItem', 'decisionItem', 'tableHeader', 'tableCell', 'caption']);
const MAX_DEPTH = 40;
const MAX_NODES = 20_000;

type Walk = { nodes: number };

function attr(node: Record<string, unknown>, name: string): string {
  const attrs = node.attrs;
  if (!attrs || typeof attrs !== 'object') return '';
  const value = (attrs as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

function render(node: unknown, depth: number, walk: Walk): string {
  if (depth > MAX_DEPTH || ++walk.nodes > MAX_NODES || !node || typeof node !== 'object' || Array.isArray(node)) return '';
  const n = node as Record<string, unknown>;
  const type = typeof n.type === 'string' ? n.type : '';
  switch (type) {
    case 'text':
      return typeof n.text === 'string' ? n.text : '';
    case 'hardBreak':
      return '\n';
    case 'mention':
      return attr(n, 'text') || (attr(n, 'id') ? `@${attr(n, 'id')}` : '');
    case 'emoji':
      return attr(n, 'text') || attr(n, 'shortName');
    case 'status':
      return attr(n, 'text');
    case 'inlineCard':
    case 'blockCard':
    case 'embedCard':
      return attr(n, 'url');
  }
  const children = Array.isArray(n.content) ? n.content : [];
  const parts = children.map((c) => render(c, depth + 1, walk));
  switch (type) {
    case 'bulletList':
      return parts.map((p) => `- ${p}`).join('\n');
    case 'orderedList':
      return parts.map((p, i) => `${i + 1}. ${p}`).join('\n');
    case 'taskList':
      return children
        .map(
          (c, i) => `${c && typeof c === 'object' && attr(c as Record<string, unknown>, 'state') === 'DONE' ? '[x]' : '[ ]'} ${parts[i]}`,
        )
        .join('\n');
    case 'tableRow':
      return parts.join(' | ');
    case 'blockquote':
      return parts
        .join('\n')
        .split('\n')
        .map((l) => `> ${l}`)
        .join('\n');
  }
  return INLINE_PARENTS.has(type) ? parts.join('') : parts.filter((p) => p !== '').join('\n');
}

/** Plain text of an ADF document (or a plain string, as some webhooks send), cleaned and capped; hostile nesting is cut off, never thrown on. */
export function adfToText(doc: unknown, max = MAX_INBOUND_COMMENT): string {
  if (typeof doc === 'string') return multiLine(doc, max);
  return multiLine(render(doc, 0, { nodes: 0 }), max);
}
