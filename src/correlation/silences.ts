import { z } from 'zod';
import { compilePattern, patternError } from '../common/pattern';
import type { SecurityAlert } from '../domain';

export const SILENCE_FIELDS = ['source', 'type', 'severity', 'title', 'sourceIp', 'destinationIp', 'user', 'host', 'tag'] as const;

/**
 * Alertmanager-style matcher: `isRegex` values match the whole field, on RE2 (linear time,
 * so a hostile pattern cannot stall ingest; no backreferences or lookaround); `isEqual: false` negates.
 */
export const matcherSchema = z
  .object({
    name: z.enum(SILENCE_FIELDS),
    value: z.string().max(1000),
    isRegex: z.boolean().default(false),
    isEqual: z.boolean().default(true),
  })
  .strict()
  .superRefine((m, ctx) => {
    const problem = m.isRegex ? patternError(m.value) : undefined;
    if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
  });

export type Matcher = z.output<typeof matcherSchema>;

function fieldValues(alert: SecurityAlert, name: Matcher['name']): string[] {
  // A missing field, like an alert without tags, is the empty string (as in Alertmanager).
  if (name === 'tag') return alert.tags?.length ? alert.tags : [''];
  const v = alert[name];
  return v === undefined ? [''] : [v];
}

/** A stored pattern RE2 refuses (saved before patterns were checked) matches nothing rather than failing ingest. */
function wholeMatch(pattern: string): (v: string) => boolean {
  if (patternError(pattern)) return () => false;
  const re = compilePattern(pattern, { whole: true });
  return (v) => re.test(v);
}

function matcherMatches(m: Matcher, alert: SecurityAlert): boolean {
  const test = m.isRegex ? wholeMatch(m.value) : (v: string) => v === m.value;
  const any = fieldValues(alert, m.name).some(test);
  return m.isEqual ? any : !any;
}

/** A silence applies when every matcher matches. */
export const silenceMatches = (matchers: Matcher[], alert: SecurityAlert): boolean =>
  matchers.length > 0 && matchers.every((m) => matcherMatches(m, alert));
