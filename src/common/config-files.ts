import { readFileSync, existsSync } from 'node:fs';
import { parseDocument, isMap, isSeq, LineCounter, type Node } from 'yaml';
import { z } from 'zod';

export interface ConfigProblem {
  file: string;
  /** Path inside the file, e.g. `rules[2].match.severity`; empty for the whole file. */
  path: string;
  message: string;
  line?: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `Invalid configuration:\n${problems
        .map((p) => `  ${p.file}${p.line ? `:${p.line}` : ''}${p.path ? ` at ${p.path}` : ''}: ${p.message}`)
        .join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

/**
 * Reads one YAML file and validates it against `schema`. An empty or missing file
 * validates `{}`, so a schema with defaults makes an empty file mean "use the defaults".
 * Every problem names the file, the path inside it and, when known, the line.
 */
export function loadYamlFile<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        file,
        path: '',
        message: e.message.split('\n')[0],
        line: e.linePos?.[0]?.line,
      })),
    );
  }
  const value = doc.toJS() ?? {};
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const node = doc.getIn(issue.path as (string | number)[], true) as Node | undefined;
        const offset = node?.range?.[0] ?? nearestParentOffset(doc.contents as Node | null, issue.path);
        return {
          file,
          path: formatPath(issue.path),
          message: issue.message,
          line: offset === undefined ? undefined : lineCounter.linePos(offset).line,
        };
      }),
    );
  }
  return result.data;
}

function nearestParentOffset(root: Node | null, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = root;
  let offset: number | undefined = root?.range?.[0];
  for (const key of path) {
    if (isMap(node) || isSeq(node)) {
      node = node.get(key as never, true);
      const range = (node as Node | undefined)?.range;
      if (range) offset = range[0];
      else break;
    } else break;
  }
  return offset;
}
