import { z } from 'zod';
import type { Severity } from '../../domain';
import {
  FieldReader,
  alertTypeSchema,
  defaultSeveritySchema,
  defaulted,
  finish,
  isObject,
  notAnObject,
  snakeCase,
  tagList,
} from './helpers';
import type { NormalizedItem } from './types';

const level = z.number().int().min(0).max(15);

/** `wazuh:` in config/formats.yaml. */
export const wazuhTablesSchema = z
  .strictObject({
    /** Lowest `rule.level` of each severity; anything below `medium` is low. */
    severity_min_level: z
      .strictObject({ critical: level.default(12), high: level.default(8), medium: level.default(4) })
      .refine((t) => t.critical > t.high && t.high > t.medium, 'levels must rise: medium < high < critical')
      .prefault({}),
    /** First entry whose groups all appear in `rule.groups` names the type; else `wazuh_rule_<id>`. */
    groups: z.array(z.strictObject({ groups: z.array(z.string().min(1)).min(1), type: alertTypeSchema })).default([]),
    /** A missing `rule.level`, or one outside 0-15, becomes this (with a warning). */
    default_severity: defaultSeveritySchema,
  })
  .prefault({});

export type WazuhTables = z.output<typeof wazuhTablesSchema>;

/** One Wazuh alert (alerts.json line or integration payload). */
export function normalizeWazuh(record: unknown, tables: WazuhTables): NormalizedItem[] {
  if (!isObject(record)) return notAnObject('a Wazuh alert');
  const r = new FieldReader(record);
  if (!r.object('rule', true)) return [{ errors: r.errors }];

  const ruleId = r.id('rule.id', true);
  const title = r.string('rule.description', true);
  const severity = severityOf(r, tables);
  const groups = r.listed('rule.groups');
  const mitreIds = r.listed('rule.mitre.id');
  // srcuser is the account being logged in to (sshd) or the sudo caller; dstuser its target.
  const userPath = r.first(['data.srcuser', 'data.dstuser']);

  return [
    finish(r, {
      source: 'wazuh',
      type: wazuhType(
        tables,
        groups.map((g) => g.value),
        ruleId ?? '',
      ),
      severity: severity as Severity,
      title: r.fit('title', 'rule.description', title) as string,
      externalId: r.fit('externalId', 'id', r.id('id')),
      description: r.text('description', 'full_log'),
      sourceIp: r.ip('data.srcip'),
      destinationIp: r.ip('data.dstip') ?? agentIp(r),
      user: r.text('user', userPath),
      host: r.text('host', 'agent.name'),
      occurredAt: r.timestamp('timestamp'),
      tags: tagList(r, [
        { at: r.pointer('rule.id'), prefix: 'wazuh:rule:', value: ruleId },
        ...groups.map(({ at, value }) => ({ at, prefix: 'wazuh:group:', value })),
        ...mitreIds.map(({ at, value }) => ({ at, prefix: 'mitre:', value })),
      ]),
      raw: record,
    }),
  ];
}

function severityOf(r: FieldReader, tables: WazuhTables): Severity | undefined {
  if (!r.has('rule.level')) return defaulted(r, 'rule.level', tables.default_severity);
  const value = r.integer('rule.level');
  if (value === undefined) return undefined;
  if (value < 0 || value > 15) return defaulted(r, 'rule.level', tables.default_severity, { what: 'level', value });
  const { critical, high, medium } = tables.severity_min_level;
  return value >= critical ? 'critical' : value >= high ? 'high' : value >= medium ? 'medium' : 'low';
}

export function wazuhType(tables: WazuhTables, groups: string[], ruleId: string): string {
  const present = new Set(groups.map((g) => g.toLowerCase()));
  const match = tables.groups.find((rule) => rule.groups.every((g) => present.has(g.toLowerCase())));
  return match?.type ?? `wazuh_rule_${snakeCase(ruleId, 64 - 'wazuh_rule_'.length) ?? 'unknown'}`;
}

// The agent address is context, not the alert's own data: a registration placeholder must not reject the alert.
function agentIp(r: FieldReader): string | undefined {
  const probe = new FieldReader(r.value('agent'));
  return probe.ip('ip');
}
