import type { PlaybookAction, PlaybookContext } from './playbook';

/**
 * `{{ path }}` templates in a step's `with` values (recursively through objects and lists).
 * A string that is exactly one template yields the value itself (a list, a number, null…);
 * a string with text around its templates interpolates, and a null there is an error.
 * Rendered values are never scanned again, so alert text cannot inject a template.
 */

/** The `with` keys each action needs (besides the optional `adapter` of containment actions). */
export const REQUIRED_INPUTS: Readonly<Record<PlaybookAction, readonly string[]>> = {
  block_ip: ['ip'],
  unblock_ip: ['ip'],
  disable_user: ['user'],
  enable_user: ['user'],
  isolate_host: ['host'],
  release_host: ['host'],
  collect_evidence: [],
  notify: ['role', 'message'],
  escalate: [],
  wait: ['duration'],
};

const MAX_DEPTH = 16;
const PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*)*$/;

type Part = { text: string } | { path: string };

/** Splits a string into text and `{{ path }}` parts; throws with the reason when a template is malformed. */
export function parseTemplate(text: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      parts.push({ text: text.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: text.slice(i, open) });
    const close = text.indexOf('}}', open + 2);
    if (close < 0) throw new Error(`unclosed "{{" at character ${open + 1}`);
    const path = text.slice(open + 2, close).trim();
    if (!PATH.test(path)) throw new Error(`"{{${text.slice(open + 2, close)}}}" must hold a path such as incident.source_ip`);
    parts.push({ path });
    i = close + 2;
  }
  return parts;
}

const own = (value: object, key: string) => Object.prototype.hasOwnProperty.call(value, key);

/**
 * The value at a dotted path (`incident.severity`, `steps.block.output.rule_id`, `incident.types.0`),
 * or null when any part is missing. Only own properties are followed, so `constructor` or
 * `__proto__` resolve to null too.
 */
export function resolvePath(ctx: PlaybookContext | Record<string, unknown>, path: string): unknown {
  let value: unknown = ctx;
  for (const segment of path.split('.')) {
    if (Array.isArray(value)) {
      if (!/^\d+$/.test(segment)) return null;
      value = value[Number(segment)];
    } else if (value !== null && typeof value === 'object' && own(value, segment)) {
      value = (value as Record<string, unknown>)[segment];
    } else {
      return null;
    }
    if (value === undefined) return null;
  }
  return value;
}

const fieldName = (keys: readonly (string | number)[]) =>
  keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');

/** Each string in `value` with its key path from `with` (e.g. `['with', 'targets', 0]`). */
function* strings(value: unknown, keys: (string | number)[], depth = 0): Generator<{ keys: (string | number)[]; text: string }> {
  if (depth > MAX_DEPTH) return;
  if (typeof value === 'string') yield { keys, text: value };
  else if (Array.isArray(value)) for (let i = 0; i < value.length; i++) yield* strings(value[i], [...keys, i], depth + 1);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) yield* strings(v, [...keys, k], depth + 1);
}

export interface TemplateRef {
  /** `with.ip`, `with.targets[0]`. */
  field: string;
  /** The key path of the field, for config problems. */
  keys: (string | number)[];
  path: string;
}

/** Every template path in `with`, with the field that holds it; malformed templates are left to templateProblems. */
export function templatePaths(inputs: Record<string, unknown>, root = 'with'): TemplateRef[] {
  const refs: TemplateRef[] = [];
  for (const { keys, text } of strings(inputs, [root])) {
    let parts: Part[];
    try {
      parts = parseTemplate(text);
    } catch {
      continue;
    }
    for (const part of parts) if ('path' in part) refs.push({ field: fieldName(keys), keys, path: part.path });
  }
  return refs;
}

/** Malformed templates in `with` (an unclosed `{{`, something not a path inside). */
export function templateProblems(
  inputs: Record<string, unknown>,
  root = 'with',
): { field: string; keys: (string | number)[]; message: string }[] {
  const problems: { field: string; keys: (string | number)[]; message: string }[] = [];
  for (const { keys, text } of strings(inputs, [root])) {
    try {
      parseTemplate(text);
    } catch (err) {
      problems.push({ field: fieldName(keys), keys, message: (err as Error).message });
    }
  }
  return problems;
}

function interpolated(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) return value.map(String).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export interface RenderOptions {
  /** Top-level keys that must not render to null (e.g. REQUIRED_INPUTS[action]). */
  required?: readonly string[];
  /**
   * Paths known only at run time (a dry run's step outputs): they render as their own
   * `{{ path }}` text instead of a value, and count as present.
   */
  deferred?: (path: string) => boolean;
}

class RenderError extends Error {}

/** Renders every template in `with`; an error names the field and the path (`with.ip: alert.destination_ip is null`). */
export function renderInputs(
  inputs: Record<string, unknown>,
  ctx: PlaybookContext,
  options: RenderOptions = {},
): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  const templated = new Map<string, string>();
  const render = (value: unknown, keys: (string | number)[], depth: number): unknown => {
    if (depth > MAX_DEPTH) throw new RenderError(`${fieldName(keys)}: nested too deep`);
    if (Array.isArray(value)) return value.map((v, i) => render(v, [...keys, i], depth + 1));
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, [...keys, k], depth + 1)]));
    if (typeof value !== 'string') return value;
    let parts: Part[];
    try {
      parts = parseTemplate(value);
    } catch (err) {
      throw new RenderError(`${fieldName(keys)}: ${(err as Error).message}`);
    }
    if (parts.length === 1 && 'path' in parts[0]) {
      const { path } = parts[0];
      if (options.deferred?.(path)) return `{{ ${path} }}`;
      if (keys.length === 2) templated.set(String(keys[1]), path);
      return resolvePath(ctx, path) ?? null;
    }
    return parts
      .map((part) => {
        if ('text' in part) return part.text;
        if (options.deferred?.(part.path)) return `{{ ${part.path} }}`;
        const text = interpolated(resolvePath(ctx, part.path));
        if (text === null) throw new RenderError(`${fieldName(keys)}: ${part.path} is null`);
        return text;
      })
      .join('');
  };
  try {
    const value = render(inputs, ['with'], 0) as Record<string, unknown>;
    for (const key of options.required ?? []) {
      if (value[key] !== null && value[key] !== undefined && value[key] !== '') continue;
      const path = templated.get(key);
      const what = value[key] === '' ? 'empty' : path ? 'null' : 'missing';
      return { ok: false, error: path ? `with.${key}: ${path} is ${what}` : `with.${key} is ${what}` };
    }
    return { ok: true, value };
  } catch (err) {
    if (err instanceof RenderError) return { ok: false, error: err.message };
    throw err;
  }
}
