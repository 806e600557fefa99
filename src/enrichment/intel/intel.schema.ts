import { z } from 'zod';
import { durationSchema } from '../../common/duration';
import { INDICATOR_KINDS } from './indicator';

const column = z.union([z.string().min(1), z.number().int().min(0)]);

const listSchema = z
  .object({
    /** Shown on every match; unique. */
    name: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be letters, digits, "_", "." or "-"'),
    format: z.enum(['text', 'csv', 'misp', 'stix']),
    /** A file, relative to the config directory (for `misp`: a feed directory holding manifest.json, or one event file). */
    file: z.string().min(1).optional(),
    /** An http(s) URL (for `misp`: the feed's base URL, where `manifest.json` and `<uuid>.json` are). */
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    /** What a text or CSV list holds; unset: each value is told apart by its shape. */
    kind: z.enum(INDICATOR_KINDS).optional(),
    /** 0–100. An indicator's own (STIX `confidence`) wins. */
    confidence: z.number().int().min(0).max(100).default(50),
    /** How often the list is read again (seconds; `1h`, `30m`). */
    refresh: durationSchema.default(3600),
    /** Indicators without a `valid_until` of their own expire this long after they were published (MISP, STIX); unset: never. */
    max_age: durationSchema.optional(),
    /** Seconds a URL fetch may take. */
    timeout: durationSchema.default(30),
    misp: z
      .object({ to_ids_only: z.boolean().default(true) })
      .strict()
      .prefault({}),
    csv: z
      .object({
        column: column.default(0),
        header: z.boolean().default(false),
        delimiter: z.string().min(1).max(1).default(','),
        valid_until_column: column.optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((list, ctx) => {
    if ((list.file === undefined) === (list.url === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['file'], message: 'give exactly one of file and url' });
    }
    if (list.format === 'csv' && list.csv.header === false && typeof list.csv.column === 'string') {
      ctx.addIssue({ code: 'custom', path: ['csv', 'column'], message: 'a column by name needs header: true' });
    }
  });

/** config/intel.yaml: the threat-intelligence lists Warden matches alerts against. */
export const intelFileSchema = z
  .object({ lists: z.array(listSchema).default([]) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.lists.forEach((l, i) => {
      if (seen.has(l.name)) ctx.addIssue({ code: 'custom', path: ['lists', i, 'name'], message: `a second list named "${l.name}"` });
      seen.add(l.name);
    });
  });

export type IntelConfig = z.output<typeof intelFileSchema>;
export type IntelListConfig = IntelConfig['lists'][number];
