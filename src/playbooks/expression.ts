import type { PlaybookContext } from './playbook';

/**
 * The condition language of a step's `if` and a playbook's `when`:
 *
 *   'failed_login' in incident.types and not (incident.severity in ['low', 'medium'])
 *   steps.block.status == 'succeeded' or incident.alert_count >= 10
 *
 * `or` < `and` < `not` < comparisons (`==`, `!=`, `in`, `not in`, and `<`, `<=`, `>`, `>=` on numbers).
 * Operands are dotted paths into the PlaybookContext, quoted strings, numbers, `true`, `false`,
 * `null` and lists. A bare operand is a test: null, false, 0, '' and [] are false.
 *
 * Hand-written tokenizer and recursive-descent parser; nothing is ever eval'd, and input
 * length and nesting are bounded, so a hostile file cannot make parsing slow or deep.
 */

export const MAX_CONDITION_LENGTH = 1000;
export const MAX_CONDITION_DEPTH = 32;

export class ConditionError extends Error {
  constructor(
    message: string,
    /** 1-based column in the condition text. */
    readonly column: number,
  ) {
    super(message);
    this.name = 'ConditionError';
  }
}

export type Scalar = string | number | boolean | null;

export type Operand =
  { kind: 'path'; path: string; segments: string[] } | { kind: 'literal'; value: Scalar } | { kind: 'list'; items: Operand[] };

export type CompareOp = '==' | '!=' | 'in' | 'not in' | '<' | '<=' | '>' | '>=';

export type Condition =
  | { kind: 'or' | 'and'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition }
  | { kind: 'compare'; op: CompareOp; left: Operand; right: Operand }
  | { kind: 'test'; operand: Operand };

type Token =
  | { t: 'path'; value: string; col: number }
  | { t: 'string'; value: string; col: number }
  | { t: 'number'; value: number; col: number }
  | { t: 'keyword'; value: 'and' | 'or' | 'not' | 'in' | 'true' | 'false' | 'null'; col: number }
  | { t: 'op'; value: '==' | '!=' | '<' | '<=' | '>' | '>=' | '(' | ')' | '[' | ']' | ','; col: number }
  | { t: 'end'; col: number };

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);

const isLetter = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isDigit = (c: string) => c >= '0' && c <= '9';
/** Segments after the first may hold step ids, which allow digits first and `-`. */
const isSegmentChar = (c: string) => isLetter(c) || isDigit(c) || c === '-';

function describe(token: Token): string {
  switch (token.t) {
    case 'end':
      return 'the end of the condition';
    case 'string':
      return `the string '${token.value}'`;
    case 'number':
      return `the number ${token.value}`;
    default:
      return `"${token.value}"`;
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const col = i + 1;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === "'" || c === '"') {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== c; j++) {
        // A backslash escapes the next character (the quote itself, or a backslash).
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j];
      }
      if (j >= text.length) throw new ConditionError(`column ${col}: unterminated string, expected a closing ${c}`, col);
      tokens.push({ t: 'string', value, col });
      i = j + 1;
    } else if (isDigit(c) || (c === '-' && isDigit(text[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < text.length && isDigit(text[j])) j++;
      if (text[j] === '.' && isDigit(text[j + 1] ?? '')) {
        j++;
        while (j < text.length && isDigit(text[j])) j++;
      }
      if (j < text.length && (isLetter(text[j]) || text[j] === '.'))
        throw new ConditionError(`column ${col}: a path must start with a letter; "${text.slice(i, j + 1)}" is not a number`, col);
      tokens.push({ t: 'number', value: Number(text.slice(i, j)), col });
      i = j;
    } else if (isLetter(c)) {
      let j = i + 1;
      while (j < text.length && (isLetter(text[j]) || isDigit(text[j]))) j++;
      while (text[j] === '.') {
        const start = j + 1;
        let k = start;
        while (k < text.length && isSegmentChar(text[k])) k++;
        if (k === start) throw new ConditionError(`column ${start + 1}: expected a field name after "."`, start + 1);
        j = k;
      }
      const word = text.slice(i, j);
      if (KEYWORDS.has(word)) tokens.push({ t: 'keyword', value: word as 'and', col });
      else tokens.push({ t: 'path', value: word, col });
      i = j;
    } else {
      const two = text.slice(i, i + 2);
      if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
        tokens.push({ t: 'op', value: two, col });
        i += 2;
      } else if ('()[],<>'.includes(c)) {
        tokens.push({ t: 'op', value: c as '(', col });
        i++;
      } else if (c === '=') {
        throw new ConditionError(`column ${col}: expected "==" (a comparison), found "="`, col);
      } else {
        throw new ConditionError(`column ${col}: unexpected character "${c}"`, col);
      }
    }
  }
  tokens.push({ t: 'end', col: text.length + 1 });
  return tokens;
}

const OPERAND_EXPECTED = 'a value (a path such as incident.severity, a quoted string, a number, true, false, null or a list)';

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): Condition {
    const condition = this.or();
    const next = this.peek();
    if (next.t !== 'end') this.fail(next, '"and", "or" or the end of the condition');
    return condition;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const token = this.peek();
    if (token.t !== 'end') this.pos++;
    return token;
  }

  private is(token: Token, t: Token['t'], value?: string): boolean {
    return token.t === t && (value === undefined || ('value' in token && token.value === value));
  }

  private fail(token: Token, expected: string): never {
    throw new ConditionError(`column ${token.col}: expected ${expected}, found ${describe(token)}`, token.col);
  }

  private enter(token: Token): void {
    if (++this.depth > MAX_CONDITION_DEPTH)
      throw new ConditionError(`column ${token.col}: nested more than ${MAX_CONDITION_DEPTH} levels deep`, token.col);
  }

  private or(): Condition {
    let left = this.and();
    while (this.is(this.peek(), 'keyword', 'or')) {
      this.next();
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Condition {
    let left = this.not();
    while (this.is(this.peek(), 'keyword', 'and')) {
      this.next();
      left = { kind: 'and', left, right: this.not() };
    }
    return left;
  }

  private not(): Condition {
    const token = this.peek();
    if (this.is(token, 'keyword', 'not')) {
      this.next();
      this.enter(token);
      const operand = this.not();
      this.depth--;
      return { kind: 'not', operand };
    }
    if (this.is(token, 'op', '(')) {
      this.next();
      this.enter(token);
      const inner = this.or();
      this.depth--;
      const close = this.next();
      if (!this.is(close, 'op', ')')) this.fail(close, '")"');
      return inner;
    }
    return this.comparison();
  }

  private comparison(): Condition {
    const left = this.operand();
    const token = this.peek();
    let op: CompareOp | undefined;
    if (token.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(token.value)) op = token.value as CompareOp;
    else if (this.is(token, 'keyword', 'in')) op = 'in';
    else if (this.is(token, 'keyword', 'not')) {
      const after = this.peek(1);
      if (!this.is(after, 'keyword', 'in')) this.fail(after, '"in" after "not" (as in: x not in [...])');
      this.next();
      op = 'not in';
    }
    if (op === undefined) return { kind: 'test', operand: left };
    this.next();
    return { kind: 'compare', op, left, right: this.operand() };
  }

  private operand(): Operand {
    const token = this.next();
    switch (token.t) {
      case 'path':
        return { kind: 'path', path: token.value, segments: token.value.split('.') };
      case 'string':
      case 'number':
        return { kind: 'literal', value: token.value };
      case 'keyword':
        if (token.value === 'true' || token.value === 'false') return { kind: 'literal', value: token.value === 'true' };
        if (token.value === 'null') return { kind: 'literal', value: null };
        return this.fail(token, OPERAND_EXPECTED);
      case 'op':
        if (token.value === '[') return this.list(token);
        return this.fail(token, OPERAND_EXPECTED);
      default:
        return this.fail(token, OPERAND_EXPECTED);
    }
  }

  private list(open: Token): Operand {
    this.enter(open);
    const items: Operand[] = [];
    if (this.is(this.peek(), 'op', ']')) {
      this.next();
    } else {
      for (;;) {
        const item = this.peek();
        if (this.is(item, 'op', '[')) this.fail(item, 'a path, string, number, true, false or null (lists do not nest)');
        items.push(this.operand());
        const sep = this.next();
        if (this.is(sep, 'op', ']')) break;
        if (!this.is(sep, 'op', ',')) this.fail(sep, '"," or "]"');
      }
    }
    this.depth--;
    return { kind: 'list', items };
  }
}

/** Parses a condition; throws ConditionError naming the column and what was expected. */
export function parseCondition(text: string): Condition {
  if (typeof text !== 'string') throw new ConditionError('column 1: expected a condition (a string)', 1);
  if (text.length > MAX_CONDITION_LENGTH)
    throw new ConditionError(
      `column ${MAX_CONDITION_LENGTH + 1}: a condition is at most ${MAX_CONDITION_LENGTH} characters`,
      MAX_CONDITION_LENGTH + 1,
    );
  if (text.trim() === '') throw new ConditionError('column 1: expected a condition, found nothing', 1);
  return new Parser(tokenize(text)).parse();
}

const own = (value: object, key: string) => Object.prototype.hasOwnProperty.call(value, key);

/**
 * The value at a dotted path (`incident.severity`, `steps.block.output.rule_id`, `incident.types.0`),
 * or null when any part is missing. Only own properties are followed, so `constructor` or
 * `__proto__` resolve to null too.
 */
export function resolvePath(ctx: PlaybookContext | Record<string, unknown>, path: string | readonly string[]): unknown {
  const segments = typeof path === 'string' ? path.split('.') : path;
  let value: unknown = ctx;
  for (const segment of segments) {
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

function valueOf(operand: Operand, ctx: PlaybookContext): unknown {
  switch (operand.kind) {
    case 'path':
      return resolvePath(ctx, operand.segments);
    case 'literal':
      return operand.value;
    case 'list':
      return operand.items.map((item) => valueOf(item, ctx));
  }
}

function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => equal(item, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length && ka.every((k) => own(b, k) && equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return false;
}

/** Membership in a list, or a substring of a string; anything else is not "in". */
function contains(haystack: unknown, needle: unknown): boolean {
  if (Array.isArray(haystack)) return haystack.some((item) => equal(item, needle));
  if (typeof haystack === 'string' && typeof needle === 'string') return haystack.includes(needle);
  return false;
}

function compare(op: CompareOp, left: unknown, right: unknown): boolean {
  switch (op) {
    case '==':
      return equal(left, right);
    case '!=':
      return !equal(left, right);
    case 'in':
      return contains(right, left);
    case 'not in':
      return !contains(right, left);
    default:
      // Order only numbers: comparing a string or null with < is false, never a guess.
      if (typeof left !== 'number' || typeof right !== 'number') return false;
      if (op === '<') return left < right;
      if (op === '<=') return left <= right;
      if (op === '>') return left > right;
      return left >= right;
  }
}

/** Evaluates a parsed condition; an unknown path is null, so evaluation never throws. */
export function evaluateCondition(condition: Condition, ctx: PlaybookContext): boolean {
  switch (condition.kind) {
    case 'or':
      return evaluateCondition(condition.left, ctx) || evaluateCondition(condition.right, ctx);
    case 'and':
      return evaluateCondition(condition.left, ctx) && evaluateCondition(condition.right, ctx);
    case 'not':
      return !evaluateCondition(condition.operand, ctx);
    case 'test':
      return truthy(valueOf(condition.operand, ctx));
    case 'compare':
      return compare(condition.op, valueOf(condition.left, ctx), valueOf(condition.right, ctx));
  }
}

/** Every distinct path the condition reads, in order of appearance. */
export function conditionPaths(condition: Condition): string[] {
  const paths = new Set<string>();
  const visitOperand = (operand: Operand) => {
    if (operand.kind === 'path') paths.add(operand.path);
    else if (operand.kind === 'list') operand.items.forEach(visitOperand);
  };
  const visit = (c: Condition) => {
    switch (c.kind) {
      case 'or':
      case 'and':
        visit(c.left);
        visit(c.right);
        break;
      case 'not':
        visit(c.operand);
        break;
      case 'test':
        visitOperand(c.operand);
        break;
      case 'compare':
        visitOperand(c.left);
        visitOperand(c.right);
        break;
    }
  };
  visit(condition);
  return [...paths];
}
