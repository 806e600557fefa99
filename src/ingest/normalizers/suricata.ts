import { z } from 'zod';
import { SEVERITIES, type Severity } from '../../domain';
import {
  FieldReader,
  alertTypeSchema,
  compiledPattern,
  defaultSeveritySchema,
  defaulted,
  entry,
  finish,
  isObject,
  joinedText,
  notAnObject,
  patternSchema,
  table,
  tagList,
  keyPart,
} from './helpers';
import type { NormalizedItem } from './types';

const signatureRule = z.strictObject({ pattern: patternSchema, type: alertTypeSchema });

/** `suricata:` in config/formats.yaml. The category and keyword tables live there, not here. */
export const suricataTablesSchema = z
  .strictObject({
    /** `alert.severity` (1 is the most severe) to Warden severity. */
    severity: table(z.string().regex(/^\d+$/, 'must be an alert.severity number such as 1'), z.enum(SEVERITIES)).default({
      '1': 'high',
      '2': 'medium',
      '3': 'low',
    }),
    /** `alert.category` (classification.config description, any case) to alert type. */
    categories: z.record(z.string(), alertTypeSchema).default({}),
    /** Signature patterns more specific than any category (SQL injection inside "Web Application Attack"). */
    signature_overrides: z.array(signatureRule).default([]),
    /** Signature patterns for categories missing from `categories`. */
    signature_keywords: z.array(signatureRule).default([]),
    default_type: alertTypeSchema.default('suspicious_traffic'),
    /** A missing `alert.severity`, or one not in `severity` (rules may set 1-255), becomes this (with a warning). */
    default_severity: defaultSeveritySchema,
  })
  .prefault({});

export type SuricataTables = z.output<typeof suricataTablesSchema>;

/** One Suricata EVE JSON record; only `event_type: alert` is an alert. */
export function normalizeSuricata(record: unknown, tables: SuricataTables): NormalizedItem[] {
  if (!isObject(record)) return notAnObject('a Suricata EVE record');
  const r = new FieldReader(record);
  const eventType = r.string('event_type', true);
  if (eventType !== undefined && eventType !== 'alert') {
    r.fail('event_type', `event_type '${eventType}' is not an alert; only alert events are ingested`);
  }
  if (r.errors.length > 0 || !r.object('alert', true)) return [{ errors: r.errors }];

  const title = r.string('alert.signature', true);
  const category = r.string('alert.category');
  const sid = r.id('alert.signature_id');
  const severity = severityOf(r, tables);
  const occurredAt = r.timestamp('timestamp', true);
  const flowId = r.id('flow_id');
  const proto = r.string('proto');
  const appProto = r.string('app_proto');
  const action = r.string('alert.action');
  const src = { ip: r.ip('src_ip'), port: r.integer('src_port') };
  const dest = { ip: r.ip('dest_ip'), port: r.integer('dest_port') };

  return [
    finish(r, {
      source: 'suricata',
      type: suricataType(tables, category, title ?? ''),
      severity: severity as Severity,
      title: r.fit('title', 'alert.signature', title) as string,
      // flow_id alone repeats for every alert of a flow; the signature and time make it one alert.
      externalId: r.fit(
        'externalId',
        'flow_id',
        flowId !== undefined && sid !== undefined ? `${flowId}:${sid}:${keyPart(record.timestamp)}` : undefined,
      ),
      description: joinedText(r, 'description', [
        { at: r.pointer('alert.category'), prefix: 'Category: ', value: category },
        { at: r.pointer('proto'), prefix: 'Flow: ', value: `${proto ?? 'unknown protocol'} ${endpoint(src)} -> ${endpoint(dest)}` },
        { at: r.pointer('app_proto'), prefix: 'Application protocol: ', value: appProto },
        { at: r.pointer('alert.action'), prefix: 'Action: ', value: action },
      ]),
      sourceIp: src.ip,
      destinationIp: dest.ip,
      host: r.text('host', 'host'),
      occurredAt,
      tags: tagList(r, [
        { at: r.pointer('alert.signature_id'), prefix: 'suricata:sid:', value: sid },
        { at: r.pointer('proto'), prefix: 'proto:', value: proto?.toLowerCase() },
        { at: r.pointer('app_proto'), prefix: 'app_proto:', value: appProto?.toLowerCase() },
        { at: r.pointer('alert.action'), prefix: 'action:', value: action?.toLowerCase() },
      ]),
      raw: record,
    }),
  ];
}

function severityOf(r: FieldReader, tables: SuricataTables): Severity | undefined {
  if (!r.has('alert.severity')) return defaulted(r, 'alert.severity', tables.default_severity);
  const level = r.integer('alert.severity');
  if (level === undefined) return undefined;
  return (
    entry(tables.severity, String(level)) ?? defaulted(r, 'alert.severity', tables.default_severity, { what: 'severity', value: level })
  );
}

/** Type by signature override, then category, then signature keywords, then the default. */
export function suricataType(tables: SuricataTables, category: string | undefined, signature: string): string {
  return (
    matchSignature(tables.signature_overrides, signature) ??
    (category !== undefined ? categoryType(tables.categories, category) : undefined) ??
    matchSignature(tables.signature_keywords, signature) ??
    tables.default_type
  );
}

function categoryType(categories: Record<string, string>, category: string): string | undefined {
  const wanted = category.trim().toLowerCase();
  return entry(categories, category) ?? Object.entries(categories).find(([name]) => name.toLowerCase() === wanted)?.[1];
}

/** A signature longer than a title can be is clipped to a title anyway; matching only the head bounds regex time. */
const MAX_SIGNATURE_MATCH = 1000;

function matchSignature(rules: Array<{ pattern: string; type: string }>, signature: string): string | undefined {
  const head = signature.slice(0, MAX_SIGNATURE_MATCH);
  return rules.find((rule) => compiledPattern(rule.pattern).test(head))?.type;
}

function endpoint({ ip, port }: { ip?: string; port?: number }): string {
  const host = ip === undefined ? '?' : ip.includes(':') ? `[${ip}]` : ip;
  return port === undefined ? host : `${host}:${port}`;
}
