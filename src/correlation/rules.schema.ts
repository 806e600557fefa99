import { isIP } from 'node:net';
import { z } from 'zod';
import { durationSchema } from '../common/duration';
import { CRITICALITIES, PRIORITIES, SEVERITIES } from '../domain';

/** Alert fields that identify, correlate or count alerts. */
export const ALERT_KEY_FIELDS = ['source', 'type', 'severity', 'title', 'sourceIp', 'destinationIp', 'user', 'host'] as const;
export type AlertKeyField = (typeof ALERT_KEY_FIELDS)[number];
export const CORRELATION_FIELDS = ['sourceIp', 'destinationIp', 'user', 'host'] as const;
export type CorrelationField = (typeof CORRELATION_FIELDS)[number];

export const ACTIONS = ['immediate', 'correlate', 'batch', 'suppress'] as const;
export type RuleAction = (typeof ACTIONS)[number];

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

const cidr = z.string().refine((v) => {
  const [addr, bits, extra] = v.split('/');
  const family = isIP(addr ?? '');
  const n = Number(bits);
  return extra === undefined && family !== 0 && Number.isInteger(n) && n >= 0 && n <= (family === 4 ? 32 : 128);
}, 'must be a CIDR range such as 10.0.0.0/8');

export const matchSchema = z
  .object({
    type: oneOrMany(z.string().min(1)).optional(),
    severity: oneOrMany(z.enum(SEVERITIES)).optional(),
    min_severity: z.enum(SEVERITIES).optional(),
    source: oneOrMany(z.string().min(1)).optional(),
    /** Any of these tags. */
    tags: oneOrMany(z.string().min(1)).optional(),
    source_ip_cidr: oneOrMany(cidr).optional(),
    destination_ip_cidr: oneOrMany(cidr).optional(),
    // On the alert's enrichment (src/enrichment/). country, asn and internal are the source address's.
    /** ISO 3166 country codes (`CN`, `RU`). */
    country: oneOrMany(
      z
        .string()
        .regex(/^[A-Za-z]{2}$/, 'must be a two-letter ISO country code')
        .transform((c) => c.toUpperCase()),
    ).optional(),
    /** Autonomous system numbers. */
    asn: oneOrMany(z.number().int().min(0)).optional(),
    /** true: the source address is private or reserved; false: it is not (an alert without one never matches). */
    internal: z.boolean().optional(),
    /** Any of these config/intel.yaml lists matched the alert. */
    intel: oneOrMany(z.string().min(1)).optional(),
    /** Any of these ATT&CK techniques (`T1059` matches its sub-techniques too). */
    technique: oneOrMany(z.string().regex(/^T\d{4}(\.\d{3})?$/, 'must be an ATT&CK technique id such as T1059 or T1059.001')).optional(),
    /** Any of these ATT&CK tactics, by id (`TA0001`) or short name (`initial-access`). */
    tactic: oneOrMany(z.string().min(1)).optional(),
    /** The highest criticality among the alert's assets and identities is one of these. */
    asset_criticality: oneOrMany(z.enum(CRITICALITIES)).optional(),
    /** Any of the alert's assets carries any of these tags. */
    asset_tags: oneOrMany(z.string().min(1)).optional(),
    /** At least `count` alerts of this type with the same `by` fields within `within`, this one included. */
    threshold: z
      .object({
        count: z.number().int().min(2),
        within: durationSchema,
        by: oneOrMany(z.enum(CORRELATION_FIELDS)).default(['sourceIp']),
      })
      .strict()
      .optional(),
  })
  .strict();

/** What makes alerts of one rule one kind of alert for storms: by default its type and its monitor. */
export const STORM_KIND_FIELDS = ['type', 'source'] as const;
export type StormKindField = (typeof STORM_KIND_FIELDS)[number];

/**
 * Storm folding: once a kind of alert (rule, plus its `kind_by` fields: type and monitor)
 * has opened `threshold` incidents within `within`, its further alerts that would open an
 * incident join one storm incident per kind (and `key_by` values) instead, until that kind
 * has been quiet for `quiet`. An alert of another kind never joins it.
 */
export const STORM_DEFAULTS = {
  threshold: 50,
  within: 60,
  quiet: 300,
  kind_by: [...STORM_KIND_FIELDS] as StormKindField[],
  key_by: [] as CorrelationField[],
};
const stormFields = {
  threshold: z.number().int().min(1),
  within: durationSchema,
  quiet: durationSchema,
  kind_by: z.array(z.enum(STORM_KIND_FIELDS)),
  key_by: z.array(z.enum(CORRELATION_FIELDS)),
};
/** A rule's storm settings: `false` turns folding off; an object overrides some of the defaults. */
const stormSchema = z.union([z.literal(false), z.object(stormFields).partial().strict()]);
/** The file's storm defaults, filled in from STORM_DEFAULTS. */
const stormDefaultsSchema = z
  .union([
    z.literal(false),
    z
      .object({
        threshold: stormFields.threshold.default(STORM_DEFAULTS.threshold),
        within: stormFields.within.default(STORM_DEFAULTS.within),
        quiet: stormFields.quiet.default(STORM_DEFAULTS.quiet),
        kind_by: stormFields.kind_by.default(STORM_DEFAULTS.kind_by),
        key_by: stormFields.key_by.default(STORM_DEFAULTS.key_by),
      })
      .strict(),
  ])
  .prefault({});

const decisionFields = {
  action: z.enum(ACTIONS),
  priority: z.enum(PRIORITIES).optional(),
  correlate_by: z.array(z.enum(CORRELATION_FIELDS)).optional(),
  correlation_window: durationSchema.optional(),
  dedup_fields: z.array(z.enum(ALERT_KEY_FIELDS)).min(1).optional(),
  dedup_window: durationSchema.optional(),
  playbooks: z.array(z.string().min(1)).optional(),
  assign_role: z.string().min(1).optional(),
  storm: stormSchema.optional(),
  /** Resolve the incident's task (`cleared_by_monitor`) once its monitors have resolved every alert, unless acknowledged. */
  resolve_when_cleared: z.boolean().optional(),
};

const priorityRow = z
  .object(
    Object.fromEntries(CRITICALITIES.map((c) => [c, z.enum(PRIORITIES)])) as Record<
      (typeof CRITICALITIES)[number],
      z.ZodEnum<{ [P in (typeof PRIORITIES)[number]]: P }>
    >,
  )
  .strict();

/**
 * Priority from context (Splunk ES style), for alerts whose rule fixes none: `matrix[severity][criticality]`,
 * criticality being the highest among the alert's assets and identities; an intel match then raises the
 * priority by `intel_raise` steps. Unset: priority from severity alone.
 */
export const urgencySchema = z
  .object({
    matrix: z
      .object(Object.fromEntries(SEVERITIES.map((s) => [s, priorityRow])) as Record<(typeof SEVERITIES)[number], typeof priorityRow>)
      .strict(),
    intel_raise: z.number().int().min(0).max(3).default(1),
  })
  .strict();
export type Urgency = z.output<typeof urgencySchema>;

export const ruleSchema = z
  .object({ name: z.string().min(1), description: z.string().optional(), match: matchSchema.default({}), ...decisionFields })
  .strict();

export const rulesFileSchema = z
  .object({
    defaults: z
      .object({
        dedup_window: durationSchema.default(300),
        correlation_window: durationSchema.default(3600),
        dedup_fields: z
          .array(z.enum(ALERT_KEY_FIELDS))
          .min(1)
          .default(['source', 'type', 'sourceIp', 'destinationIp', 'user', 'host', 'title']),
        correlate_by: z.array(z.enum(CORRELATION_FIELDS)).default(['sourceIp']),
        assign_role: z.string().min(1).default('analyst'),
        storm: stormDefaultsSchema,
      })
      .strict()
      // prefault runs the field defaults above, so they are written once.
      .prefault({}),
    rules: z.array(ruleSchema).default([]),
    urgency: urgencySchema.optional(),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.rules.forEach((rule, i) => {
      if (seen.has(rule.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule name "${rule.name}"` });
      seen.add(rule.name);
      // Only an incident with a workflow of its own has a task to resolve.
      if (rule.resolve_when_cleared && (rule.action === 'batch' || rule.action === 'suppress'))
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'resolve_when_cleared'],
          message: `needs action immediate or correlate: a ${rule.action} rule's incidents have no task of their own`,
        });
    });
  });

export type RulesFile = z.output<typeof rulesFileSchema>;
/** Nest injection token of config/rules.yaml. */
export const RULES = Symbol('RULES');
export type Rule = RulesFile['rules'][number];
export type RuleMatch = z.output<typeof matchSchema>;
