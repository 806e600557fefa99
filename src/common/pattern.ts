import { RE2JS, RE2JSSyntaxException } from 're2js';

/**
 * Regular expressions that users supply (silences, configuration tables) run on RE2, a
 * linear-time engine: matching takes time proportional to the text whatever the pattern,
 * so `(a+)+$` cannot stall the event loop. RE2 has no backreferences and no lookaround;
 * a pattern that needs them is refused when it is given, never when it is matched.
 */
export interface Pattern {
  test(text: string): boolean;
}

export interface PatternOptions {
  /** The whole text must match (Alertmanager's matchers), not just a part of it. */
  whole?: boolean;
  ignoreCase?: boolean;
}

/** Compiled patterns (or why one cannot be) by source and options: they come from silences and config, so few distinct ones exist. */
const compiled = new Map<string, Pattern | string>();
const MAX_CACHED = 1000;

function compiledOrError(source: string, options: PatternOptions): Pattern | string {
  const key = `${options.whole ? 'w' : '-'}${options.ignoreCase ? 'i' : '-'}${source}`;
  let pattern = compiled.get(key);
  if (pattern === undefined) {
    try {
      const re = RE2JS.compile(source, options.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
      pattern = options.whole ? { test: (text: string) => re.testExact(text) } : { test: (text: string) => re.test(text) };
    } catch (err) {
      // RE2's own words about the pattern (e.g. "invalid or unsupported Perl syntax: `(?=`"): they quote only what the user wrote.
      const detail = err instanceof RE2JSSyntaxException ? `: ${err.getDescription()}${err.input ? `: \`${err.input}\`` : ''}` : '';
      pattern = `is not a supported regular expression (RE2 syntax: no backreferences or lookaround)${detail}`;
    }
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(key, pattern);
  }
  return pattern;
}

/** Why `source` cannot be used as a pattern (a field's error message), or undefined when it can. */
export function patternError(source: string): string | undefined {
  const pattern = compiledOrError(source, {});
  return typeof pattern === 'string' ? pattern : undefined;
}

/** A compiled pattern; throws for a source `patternError` refuses, so check patterns where they are given. */
export function compilePattern(source: string, options: PatternOptions = {}): Pattern {
  const pattern = compiledOrError(source, options);
  if (typeof pattern === 'string') throw new Error(`pattern ${JSON.stringify(source)} ${pattern}`);
  return pattern;
}
