import { z } from 'zod';
import type { SecurityAlert } from '../domain';

export const SILENCE_FIELDS = ['source', 'type', 'severity', 'title', 'sourceIp', 'destinationIp', 'user', 'host', 'tag'] as const;

/** Alertmanager-style matcher: `isRegex` values are fully anchored; `isEqual: false` negates. */
export const matcherSchema = z
  .object({
    name: z.enum(SILENCE_FIELDS),
    value: z.string().max(1000),
    isRegex: z.boolean().default(false),
    isEqual: z.boolean().default(true),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (!m.isRegex) return;
    try {
      new RegExp(`^(?:${m.value})$`);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `is not a valid regular expression: ${(err as Error).message}` });
    }
  });

export type Matcher = z.output<typeof matcherSchema>;

function fieldValues(alert: SecurityAlert, name: Matcher['name']): string[] {
  // A missing field, like an alert without tags, is the empty string (as in Alertmanager).
  if (name === 'tag') return alert.tags?.length ? alert.tags : [''];
  const v = alert[name];
  return v === undefined ? [''] : [v];
}

// Silences are checked for every alert; each pattern is compiled once.
const compiled = new Map<string, RegExp>();
function anchored(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    if (compiled.size > 1000) compiled.clear();
    re = new RegExp(`^(?:${pattern})$`);
    compiled.set(pattern, re);
  }
  return re;
}

function matcherMatches(m: Matcher, alert: SecurityAlert): boolean {
  const test = m.isRegex ? (v: string) => anchored(m.value).test(v) : (v: string) => v === m.value;
  const any = fieldValues(alert, m.name).some(test);
  return m.isEqual ? any : !any;
}

/** A silence applies when every matcher matches. */
export const silenceMatches = (matchers: Matcher[], alert: SecurityAlert): boolean =>
  matchers.length > 0 && matchers.every((m) => matcherMatches(m, alert));
