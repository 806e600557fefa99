import { Environment, EvaluationError, ParseError, TypeError as CelTypeError, type ASTNode, type ParseResult } from '@marcbachmann/cel-js';
import type { PlaybookContext } from './playbook';

/**
 * A step's `if` and a playbook's `when` are CEL (the Common Expression Language, cel.dev),
 * as in Keep and Kubernetes:
 *
 *   'failed_login' in incident.types && !(incident.severity in ['low', 'medium'])
 *   steps.block.status == 'succeeded' || incident.alert_count >= 10
 *   steps['block-now'].output.target != null
 *
 * A condition reads incident, alert and steps (PlaybookContext), is type-checked at load and
 * must be a bool: a bare `incident.user` is refused, say `incident.user != null`.
 *
 * Limits, so a hostile file cannot make a condition slow or deep: at most
 * MAX_CONDITION_LENGTH characters; MAX_CONDITION_DEPTH levels of nesting; loops (all, exists,
 * exists_one, map, filter) never nest, so an evaluation takes at most (nodes in the condition)
 * × (longest list it loops over) steps; and no matches(), whose JavaScript regular
 * expressions backtrack on hostile alert text.
 */

export const MAX_CONDITION_LENGTH = 1000;
export const MAX_CONDITION_DEPTH = 32;

export class ConditionError extends Error {
  constructor(
    message: string,
    /** 1-based column in the condition text. */
    readonly column: number,
  ) {
    super(`column ${column}: ${message}`);
    this.name = 'ConditionError';
  }
}

// The CEL types of PlaybookContext's fields, typed against it so a field added there must be
// added here. A field that may be null is dyn: CEL has no nullable string.
export const INCIDENT_FIELD_TYPES: Record<keyof PlaybookContext['incident'], string> = {
  id: 'string',
  severity: 'string',
  priority: 'string',
  status: 'string',
  types: 'list<string>',
  source_ip: 'dyn',
  user: 'dyn',
  host: 'dyn',
  alert_count: 'int',
  opening_rule: 'string',
  correlation_key: 'string',
  storm: 'bool',
};
export const ALERT_FIELD_TYPES: Record<keyof NonNullable<PlaybookContext['alert']>, string> = {
  id: 'string',
  source: 'string',
  type: 'string',
  severity: 'string',
  title: 'string',
  source_ip: 'dyn',
  destination_ip: 'dyn',
  user: 'dyn',
  host: 'dyn',
};

const cel = new Environment()
  .registerVariable('incident', { schema: INCIDENT_FIELD_TYPES })
  .registerVariable('alert', { schema: ALERT_FIELD_TYPES })
  // Step ids and outputs vary by playbook: the schema checks them from Condition.paths.
  .registerVariable('steps', 'map<string, dyn>');

const LOOPS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
const FORBIDDEN: Record<string, string> = {
  matches: 'matches() is not available in conditions (its regular expressions backtrack); use contains, startsWith or endsWith',
};

export interface Condition {
  /** Every distinct path it reads (`incident.severity`, `steps.block-now.status`), in order of appearance. */
  readonly paths: readonly string[];
  readonly program: ParseResult;
}

const columnOf = (node: { start: number }) => node.start + 1;

function fromCel(err: ParseError | CelTypeError): ConditionError {
  return new ConditionError(err.summary, (err.range?.start ?? 0) + 1);
}

/** The dotted path of `a.b['c'][0]` when every part is a field name or a literal key, else null. */
function staticPath(node: ASTNode): { root: string; path: string } | null {
  switch (node.op) {
    case 'id':
      return { root: node.args, path: node.args };
    case '.': {
      const base = staticPath(node.args[0]);
      return base && { root: base.root, path: `${base.path}.${node.args[1]}` };
    }
    case '[]': {
      const [object, index] = node.args;
      if (index.op !== 'value' || (typeof index.args !== 'string' && typeof index.args !== 'bigint')) return null;
      const base = staticPath(object);
      return base && { root: base.root, path: `${base.path}.${String(index.args)}` };
    }
    default:
      return null;
  }
}

/** Paths, depth, loops and forbidden functions: what the parser alone does not refuse. */
function inspect(root: ASTNode): string[] {
  const paths = new Set<string>();
  const visit = (node: ASTNode, depth: number, bound: ReadonlySet<string>, inLoop: boolean): void => {
    if (depth > MAX_CONDITION_DEPTH) throw new ConditionError(`nested more than ${MAX_CONDITION_DEPTH} levels deep`, columnOf(node));
    const child = (n: ASTNode) => visit(n, depth + 1, bound, inLoop);
    switch (node.op) {
      case 'value':
        return;
      case 'id':
      case '.':
      case '[]': {
        const path = staticPath(node);
        if (path) {
          if (!bound.has(path.root)) paths.add(path.path);
          return;
        }
        if (node.op === '.') return visit(node.args[0], depth, bound, inLoop);
        if (node.op === '[]') {
          visit(node.args[0], depth, bound, inLoop);
          child(node.args[1]);
        }
        return;
      }
      case '&&':
      case '||':
        // A chain of one operator is one level, however long, as `a && b && c` reads.
        for (const operand of node.args) visit(operand, operand.op === node.op ? depth : depth + 1, bound, inLoop);
        return;
      case 'call':
      case 'rcall': {
        const [name] = node.args;
        if (FORBIDDEN[name]) throw new ConditionError(FORBIDDEN[name], columnOf(node));
        const args = node.op === 'call' ? node.args[1] : node.args[2];
        if (node.op === 'rcall') child(node.args[1]);
        if (node.op === 'rcall' && LOOPS.has(name) && args[0]?.op === 'id') {
          if (inLoop) throw new ConditionError(`${name}() inside another loop: loops may not nest`, columnOf(node));
          const inner = new Set([...bound, args[0].args]);
          for (const arg of args.slice(1)) visit(arg, depth + 1, inner, true);
          return;
        }
        args.forEach(child);
        return;
      }
      case 'list':
        node.args.forEach(child);
        return;
      case 'map':
        for (const [key, value] of node.args) {
          child(key);
          child(value);
        }
        return;
      case '!_':
      case '-_':
        return child(node.args);
      case '-': {
        // `steps.block-now.status` parses as a subtraction; say how to write the id.
        const [left, right] = node.args.map(staticPath);
        if (left && right && /^steps\.[^.]+$/.test(left.path)) {
          const id = `${left.path.slice('steps.'.length)}-${right.path.split('.')[0]}`;
          throw new ConditionError(`a step id with "-" goes in brackets: steps['${id}']`, columnOf(node));
        }
        node.args.forEach(child);
        return;
      }
      default:
        // Binary operators, the ternary, optional access: operands only.
        for (const operand of node.args as ASTNode[]) child(operand);
    }
  };
  visit(root, 1, new Set(), false);
  return [...paths];
}

/**
 * Parses a condition and checks its limits; throws ConditionError naming the column.
 * Types are checked by checkCondition, once the paths are known to exist.
 */
export function parseCondition(text: string): Condition {
  if (typeof text !== 'string') throw new ConditionError('expected a condition (a string)', 1);
  if (text.length > MAX_CONDITION_LENGTH)
    throw new ConditionError(`a condition is at most ${MAX_CONDITION_LENGTH} characters`, MAX_CONDITION_LENGTH + 1);
  if (text.trim() === '') throw new ConditionError('expected a condition, found nothing', 1);
  let program: ParseResult;
  try {
    program = cel.parse(text);
  } catch (err) {
    if (err instanceof ParseError) throw fromCel(err);
    throw err;
  }
  return { paths: inspect(program.ast), program };
}

/** Type-checks a parsed condition: a bool, with operators that fit its fields' types. */
export function checkCondition(condition: Condition): void {
  const checked = condition.program.check();
  if (!checked.valid) throw fromCel(checked.error!);
  if (checked.type !== 'bool')
    throw new ConditionError(
      `a condition must be true or false, and this one is ${checked.type}: compare it (== 'x', != null, > 0)`,
      columnOf(condition.program.ast),
    );
}

/** A condition's outcome: false when it does not hold or cannot be evaluated (then `error` says why). */
export type Verdict = { holds: boolean; error?: string };

/** What CEL sees: the context, with the count an int as the type check expects. */
const bindings = (ctx: PlaybookContext) => ({
  incident: { ...ctx.incident, alert_count: BigInt(Math.trunc(ctx.incident.alert_count)) },
  alert: ctx.alert,
  steps: ctx.steps,
});

/**
 * Evaluates a parsed condition. A CEL error (a missing output field, a null compared with a
 * number) makes it not hold, never a guess, and never an exception.
 */
export function evaluateCondition(condition: Condition, ctx: PlaybookContext): Verdict {
  try {
    const value: unknown = condition.program(bindings(ctx));
    if (typeof value === 'boolean') return { holds: value };
    return { holds: false, error: `gave ${value === null ? 'null' : typeof value}, not true or false` };
  } catch (err) {
    if (err instanceof EvaluationError || err instanceof CelTypeError) return { holds: false, error: err.summary };
    throw err;
  }
}

/** Parses and evaluates; a condition that does not parse (a run recorded by an older Warden) does not hold. */
export function conditionHolds(text: string, ctx: PlaybookContext): Verdict {
  try {
    return evaluateCondition(parseCondition(text), ctx);
  } catch (err) {
    if (err instanceof ConditionError) return { holds: false, error: `not a valid condition: ${err.message}` };
    throw err;
  }
}

/** Why a condition did not hold, for a skipped step's reason: `x == 1 is false`. */
export const unmet = (text: string, verdict: Verdict): string =>
  verdict.error === undefined ? `${text} is false` : `${text} is not true: ${verdict.error}`;
