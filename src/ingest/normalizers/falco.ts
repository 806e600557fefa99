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
} from './helpers';
import type { NormalizedItem } from './types';

/** `falco:` in config/formats.yaml. */
export const falcoTablesSchema = z
  .strictObject({
    /** Falco priority (matched lower-cased) to Warden severity. */
    priority: table(z.string().regex(/^[a-z]+$/, 'must be a lower-case priority name'), z.enum(SEVERITIES)).default({
      emergency: 'critical',
      alert: 'critical',
      critical: 'critical',
      error: 'high',
      warning: 'medium',
      notice: 'low',
      informational: 'low',
      info: 'low',
      debug: 'low',
    }),
    /** Rule tag to alert type; the first entry of this table found in the rule's tags wins. */
    tags: z.record(z.string(), alertTypeSchema).default({}),
    /** A missing priority, or one not in `priority`, becomes this (with a warning). */
    default_severity: defaultSeveritySchema,
  })
  .prefault({});

export type FalcoTables = z.output<typeof falcoTablesSchema>;

/** One Falco JSON output line (json_output: true) or Falcosidekick payload. */
export function normalizeFalco(record: unknown, tables: FalcoTables): NormalizedItem[] {
  if (!isObject(record)) return notAnObject('a Falco event');
  const r = new FieldReader(record);
  const rule = r.string('rule', true);
  const severity = severityFromLabel(r, 'priority', tables.priority, tables.default_severity, 'priority');
  const tags = r.listed('tags');
  r.object('output_fields');
  const containerId = r.string('output_fields.container.id');
  const namespace = r.string('output_fields.k8s.ns.name');
  const pod = r.string('output_fields.k8s.pod.name');

  return [
    finish(r, {
      source: 'falco',
      type: falcoType(
        r,
        tables,
        tags.map((t) => t.value),
        rule,
      ) as string,
      severity: severity as Severity,
      title: r.fit('title', 'rule', rule) as string,
      externalId: r.text('externalId', 'uuid'),
      description: r.text('description', 'output'),
      // A connection's client is its source and its server the destination, whichever side Falco watched.
      sourceIp: r.ip('output_fields.fd.cip'),
      destinationIp: r.ip('output_fields.fd.sip'),
      user: r.text('user', 'output_fields.user.name'),
      host: r.text('host', 'hostname'),
      occurredAt: r.timestamp('time'),
      tags: tagList(r, [
        ...tags,
        { at: r.pointer('output_fields.container.id'), prefix: 'container:', value: containerId !== 'host' && containerId },
        { at: r.pointer('output_fields.k8s.ns.name'), prefix: 'k8s.ns:', value: namespace },
        { at: r.pointer('output_fields.k8s.pod.name'), prefix: 'k8s.pod:', value: pod },
      ]),
      raw: record,
    }),
  ];
}

function falcoType(r: FieldReader, tables: FalcoTables, tags: string[], rule: string | undefined): string | undefined {
  const present = new Set(tags.map((t) => t.toLowerCase()));
  const tagged = Object.entries(tables.tags).find(([tag]) => present.has(tag.toLowerCase()));
  if (tagged) return tagged[1];
  if (rule === undefined) return undefined;
  return snakeCase(rule) ?? r.fail('rule', 'must contain a letter or digit to name the alert type');
}
