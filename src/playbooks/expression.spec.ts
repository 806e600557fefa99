import fc from 'fast-check';
import { ConditionError, MAX_CONDITION_LENGTH, conditionPaths, evaluateCondition, parseCondition } from './expression';
import type { PlaybookContext } from './playbook';

const contextFixture = (
  over: {
    incident?: Partial<PlaybookContext['incident']>;
    alert?: Partial<NonNullable<PlaybookContext['alert']>> | null;
    steps?: PlaybookContext['steps'];
  } = {},
): PlaybookContext => ({
  incident: {
    id: '6f1c0a52-5f0e-4c1e-9d1a-3b1c2d3e4f50',
    severity: 'high',
    priority: 'P2',
    status: 'open',
    types: ['failed_login', 'port_scan'],
    source_ip: '203.0.113.7',
    user: null,
    host: 'web-1',
    alert_count: 12,
    opening_rule: 'failed-login-burst',
    correlation_key: 'failed-login-burst|203.0.113.7',
    storm: false,
    ...over.incident,
  },
  alert:
    over.alert === null
      ? null
      : {
          id: '0b7c6a52-5f0e-4c1e-9d1a-3b1c2d3e4f51',
          source: 'wazuh',
          type: 'failed_login',
          severity: 'high',
          title: 'SSH login failed',
          source_ip: '203.0.113.7',
          destination_ip: null,
          user: 'alice',
          host: 'web-1',
          ...over.alert,
        },
  steps: over.steps ?? {},
});

const evaluate = (text: string, ctx = contextFixture()) => evaluateCondition(parseCondition(text), ctx);

const errorOf = (text: string): ConditionError => {
  try {
    parseCondition(text);
  } catch (err) {
    if (err instanceof ConditionError) return err;
    throw err;
  }
  throw new Error(`expected "${text}" not to parse`);
};

describe('parseCondition and evaluateCondition', () => {
  it.each([
    ["incident.severity == 'high'", true],
    ['incident.severity == "critical"', false],
    ["incident.severity != 'critical'", true],
    ["'failed_login' in incident.types", true],
    ["'malware' in incident.types", false],
    ["'malware' not in incident.types", true],
    ["incident.severity in ['critical', 'high']", true],
    ["incident.severity not in ['critical','high']", false],
    ['incident.alert_count == 12', true],
    ['incident.alert_count >= 10', true],
    ['incident.alert_count < 10', false],
    ['incident.severity > 3', false],
    ['incident.storm == false', true],
    ['incident.user == null', true],
    ['alert.destination_ip == null', true],
  ])('%s is %s', (text, expected) => {
    expect(evaluate(text)).toBe(expected);
  });

  it('treats a bare path as a test: null, false, 0, empty string and empty list are false', () => {
    expect(evaluate('incident.source_ip')).toBe(true);
    expect(evaluate('incident.user')).toBe(false);
    expect(evaluate('incident.storm')).toBe(false);
    expect(evaluate('incident.types', contextFixture({ incident: { types: [] } }))).toBe(false);
    expect(evaluate('not incident.user')).toBe(true);
  });

  it('binds not tighter than and, and and tighter than or', () => {
    expect(evaluate("incident.severity == 'low' and incident.storm or incident.source_ip")).toBe(true);
    expect(evaluate("incident.severity == 'low' and (incident.storm or incident.source_ip)")).toBe(false);
    expect(evaluate("not incident.severity == 'low' and incident.user")).toBe(false);
    expect(evaluate("not (incident.severity == 'low' and incident.user)")).toBe(true);
  });

  it('reads step status and output, and treats a missing step or field as null', () => {
    const ctx = contextFixture({ steps: { 'block-ip': { status: 'succeeded', output: { rule_id: 'r-1', nested: { n: 2 } } } } });
    expect(evaluate("steps.block-ip.status == 'succeeded'", ctx)).toBe(true);
    expect(evaluate("steps.block-ip.output.rule_id == 'r-1'", ctx)).toBe(true);
    expect(evaluate('steps.block-ip.output.nested.n == 2', ctx)).toBe(true);
    expect(evaluate('steps.other.status == null', ctx)).toBe(true);
    expect(evaluate('steps.block-ip.output.missing.deeper', ctx)).toBe(false);
  });

  it('never follows inherited properties', () => {
    expect(evaluate('incident.constructor == null')).toBe(true);
    expect(evaluate('incident.__proto__')).toBe(false);
  });

  it('reads list items by index', () => {
    expect(evaluate("incident.types.0 == 'failed_login'")).toBe(true);
    expect(evaluate('incident.types.9 == null')).toBe(true);
  });

  it('compares lists and paths inside lists', () => {
    expect(evaluate("incident.types == ['failed_login', 'port_scan']")).toBe(true);
    expect(evaluate('alert.source_ip in [incident.source_ip, alert.destination_ip]')).toBe(true);
  });

  it('takes escaped quotes and negative and decimal numbers', () => {
    expect(evaluate("alert.title != 'it\\'s'")).toBe(true);
    expect(evaluate('incident.alert_count > -1.5')).toBe(true);
  });

  it('treats a missing alert as null fields', () => {
    expect(evaluate('alert.source_ip == null', contextFixture({ alert: null }))).toBe(true);
  });

  it('is a substring test when both sides of in are strings', () => {
    expect(evaluate("'SSH' in alert.title")).toBe(true);
  });
});

describe('parse errors', () => {
  it.each([
    ["incident.severity = 'high'", 19, /expected "==".*found "="/],
    ['incident.severity == ', 22, /column 22: expected a value.*found the end/],
    ["(incident.severity == 'high'", 29, /expected "\)"/],
    ["incident.severity == 'high", 22, /unterminated string/],
    ["incident.severity 'high'", 19, /expected "and", "or" or the end.*found the string 'high'/],
    ['incident. == 1', 10, /expected a field name after "\."/],
    ["incident.severity in ['a' 'b']", 27, /expected "," or "]"/],
    ["incident.severity in [['a']]", 23, /lists do not nest/],
    ['incident.severity not 3', 23, /expected "in" after "not"/],
    ['incident.severity == 1x', 22, /must start with a letter/],
    ['incident.severity ; 1', 19, /unexpected character ";"/],
    ['   ', 1, /found nothing/],
  ])('%s fails at column %i', (text, column, message) => {
    const err = errorOf(text);
    expect(err.column).toBe(column);
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(new RegExp(`^column ${column}:`));
  });

  it('bounds the length', () => {
    expect(errorOf(`incident.user or ${'x'.repeat(MAX_CONDITION_LENGTH)}`).message).toMatch(/at most 1000 characters/);
  });

  it('bounds the nesting', () => {
    expect(errorOf(`${'('.repeat(40)}incident.user${')'.repeat(40)}`).message).toMatch(/nested more than 32/);
    expect(errorOf(`${'not '.repeat(40)}incident.user`).message).toMatch(/nested more than 32/);
  });

  it('evaluates a long flat chain without deep nesting limits', () => {
    const text = Array.from({ length: 50 }, () => 'incident.user').join(' or ') + ' or incident.source_ip';
    expect(evaluate(text)).toBe(true);
  });
});

describe(conditionPaths.name, () => {
  it('lists each distinct path once, in order', () => {
    expect(
      conditionPaths(
        parseCondition("incident.severity in ['high', alert.severity] and not steps.a.status == 'failed' or incident.severity"),
      ),
    ).toEqual(['incident.severity', 'alert.severity', 'steps.a.status']);
  });
});

describe('hostile input', () => {
  it('parses or refuses any text with a ConditionError, and evaluates what parses without throwing', () => {
    const alphabet = fc.constantFrom(
      ...[
        'incident.severity',
        'steps.a-1.output.x',
        "'x'",
        '"y"',
        '1',
        '-2.5',
        'and',
        'or',
        'not',
        'in',
        '==',
        '!=',
        '<',
        '>=',
        '(',
        ')',
        '[',
        ']',
        ',',
        'true',
        'null',
        ' ',
        '.',
        '=',
        '\\',
        "'",
        '{',
      ],
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), (pieces) => {
        const text = pieces.join(' ');
        let condition;
        try {
          condition = parseCondition(text);
        } catch (err) {
          expect(err).toBeInstanceOf(ConditionError);
          return;
        }
        expect(typeof evaluateCondition(condition, contextFixture())).toBe('boolean');
      }),
    );
  });
});
