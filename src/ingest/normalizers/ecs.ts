import { z } from 'zod';
import { SEVERITIES, type Severity } from '../../domain';
import {
  FieldReader,
  alertTypeSchema,
  defaultSeveritySchema,
  finish,
  isObject,
  notAnObject,
  severityFromLabel,
  snakeCase,
  table,
  tagList,
  type JsonObject,
} from './helpers';
import type { NormalizedItem } from './types';

const score = z.number().min(0).max(100);

/** `ecs:` in config/formats.yaml. */
export const ecsTablesSchema = z
  .strictObject({
    /**
     * Lowest numeric `event.severity` (or `kibana.alert.risk_score`) of each severity. The
     * defaults are Elastic's risk bands: 0-21 low, 22-47 medium, 48-73 high, 74-100 critical.
     */
    severity_min_score: z
      .strictObject({ critical: score.default(74), high: score.default(48), medium: score.default(22) })
      .refine((t) => t.critical > t.high && t.high > t.medium, 'scores must rise: medium < high < critical')
      .prefault({}),
    /** Severity words (`kibana.alert.severity`, `event.severity_label`), matched lower-cased. */
    severity_labels: table(z.string().regex(/^[a-z_-]+$/, 'must be a lower-case severity word'), z.enum(SEVERITIES)).default({
      critical: 'critical',
      high: 'high',
      medium: 'medium',
      moderate: 'medium',
      low: 'low',
      informational: 'low',
      info: 'low',
    }),
    /** No severity at all (ECS does not require one), or a word not in `severity_labels`, becomes this (with a warning). */
    default_severity: defaultSeveritySchema,
    /** The type of a document with no `rule.name`, `event.category` or `event.action` (sudo lines of system.auth). */
    default_type: alertTypeSchema.default('security_event'),
  })
  .prefault({});

export type EcsTables = z.output<typeof ecsTablesSchema>;

/** One Elastic Common Schema event or alert; an Elasticsearch hit (`_source`) is unwrapped. */
export function normalizeEcs(record: unknown, tables: EcsTables): NormalizedItem[] {
  if (!isObject(record)) return notAnObject('an ECS document');
  const hit = isObject(record._source) ? record : undefined;
  const doc = hit ? (record._source as JsonObject) : record;
  const r = new FieldReader(doc, hit ? ['_source'] : []);

  const categories = r.strings('event.category');
  const ruleNamePath = r.first(['rule.name', 'kibana.alert.rule.name']);
  const ruleName = r.string(ruleNamePath);
  const message = r.string('message');
  const detailsPath = message !== undefined ? 'message' : 'kibana.alert.reason';
  const details = message ?? r.string('kibana.alert.reason');
  const action = r.string('event.action');
  const type = ecsType(r, tables, categories, ruleName, action);
  const title = [
    { path: ruleNamePath, text: ruleName },
    { path: 'message', text: firstLine(message) },
    { path: 'event.action', text: action },
    { path: 'event.category', text: type },
  ].find((t) => t.text !== undefined);
  const productPath = r.first(['observer.product', 'observer.name', 'event.module']);
  const product = r.string(productPath);
  const kind = r.string('event.kind');
  const dataset = r.string('event.dataset');
  const hostPath = r.first(['host.name', 'host.hostname']);
  const idPath = ['event.id', 'kibana.alert.uuid'].find((p) => r.has(p));

  return [
    finish(r, {
      source: r.fit('source', productPath, `ecs:${product ?? 'unknown'}`.toLowerCase()) as string,
      type: type as string,
      severity: ecsSeverity(r, tables) as Severity,
      title: r.fit('title', title?.path ?? 'rule.name', title?.text ?? '') as string,
      externalId: idPath
        ? r.fit('externalId', idPath, idPath === 'event.id' ? r.id(idPath) : r.string(idPath))
        : r.fitAt('externalId', '/_id', typeof hit?._id === 'string' ? hit._id : undefined),
      description: r.fit('description', detailsPath, details),
      sourceIp: r.ip('source.ip'),
      destinationIp: r.ip('destination.ip'),
      user: r.text('user', 'user.name'),
      host: r.text('host', hostPath),
      occurredAt: r.timestamp('@timestamp'),
      tags: tagList(r, [
        ...r.listed('tags'),
        { at: r.pointer('event.kind'), prefix: 'event.kind:', value: kind },
        { at: r.pointer('event.dataset'), prefix: 'event.dataset:', value: dataset },
      ]),
      raw: record,
    }),
  ];
}

function ecsType(r: FieldReader, tables: EcsTables, categories: string[], ruleName?: string, action?: string): string | undefined {
  const outcome = r.string('event.outcome')?.toLowerCase();
  if (categories.some((c) => c.toLowerCase() === 'authentication') && outcome === 'failure') return 'failed_login';
  const type = [ruleName, categories[0], action].map((text) => text && snakeCase(text)).find(Boolean);
  if (type) return type;
  // @timestamp is the one field ECS requires of an event: without it, and without any of these, there is no alert.
  if (!r.has('@timestamp')) return r.fail('event.category', 'is required to name the alert type (or rule.name, or event.action)');
  r.warn('event.category', `missing, as are rule.name and event.action; used the default type "${tables.default_type}"`);
  return tables.default_type;
}

/** A severity word wins over a number: the number's scale depends on the source, Kibana's word does not. */
function ecsSeverity(r: FieldReader, tables: EcsTables): Severity | undefined {
  const labelPath = ['kibana.alert.severity', 'event.severity_label'].find((p) => r.has(p));
  if (labelPath) return severityFromLabel(r, labelPath, tables.severity_labels, tables.default_severity);
  const scorePath = ['event.severity', 'kibana.alert.risk_score'].find((p) => r.has(p));
  if (!scorePath) {
    // Authentication events of Elastic's own integrations carry none.
    r.warn(
      'event.severity',
      `missing, as are event.severity_label, kibana.alert.severity and kibana.alert.risk_score; used the default "${tables.default_severity}"`,
    );
    return tables.default_severity;
  }
  const value = r.number(scorePath);
  if (value === undefined) return undefined;
  const { critical, high, medium } = tables.severity_min_score;
  return value >= critical ? 'critical' : value >= high ? 'high' : value >= medium ? 'medium' : 'low';
}

const firstLine = (text: string | undefined): string | undefined => text?.split('\n')[0].trim() || undefined;
