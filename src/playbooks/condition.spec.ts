import fc from 'fast-check';
import {
  ConditionError,
  MAX_CONDITION_DEPTH,
  MAX_CONDITION_LENGTH,
  checkCondition,
  conditionHolds,
  evaluateCondition,
  parseCondition,
  unmet,
} from './condition';
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
          title: "SSH login failed for 'root'",
          source_ip: '203.0.113.7',
          destination_ip: null,
          user: 'alice',
          host: 'web-1',
          ...over.alert,
        },
  steps: over.steps ?? {},
});

const holds = (text: string, ctx = contextFixture()) => evaluateCondition(parseCondition(text), ctx);

/** The message of the ConditionError that parsing, then type-checking, `text` throws. */
const refusal = (text: string): string => {
  try {
    checkCondition(parseCondition(text));
  } catch (err) {
    if (err instanceof ConditionError) return err.message;
    throw err;
  }
  throw new Error(`expected "${text}" to be refused`);
};

describe('evaluateCondition', () => {
  it.each([
    ["incident.severity == 'high'", true],
    ['incident.severity == "critical"', false],
    ["incident.severity != 'critical'", true],
    ["'failed_login' in incident.types", true],
    ["'malware' in incident.types", false],
    ["!('malware' in incident.types)", true],
    ["incident.severity in ['critical', 'high']", true],
    ["!(incident.severity in ['critical','high'])", false],
    ['incident.alert_count == 12', true],
    ['incident.alert_count >= 10', true],
    ['incident.alert_count < 10', false],
    ['incident.alert_count > 11.5', true],
    ['incident.storm', false],
    ['incident.storm == false', true],
    ['incident.user == null', true],
    ['incident.source_ip != null', true],
    ['alert.destination_ip == null', true],
    ["incident.types[0] == 'failed_login'", true],
    ["incident.types == ['failed_login', 'port_scan']", true],
    ['alert.source_ip in [incident.source_ip, alert.destination_ip]', true],
    ["alert.title.contains('\\'root\\'')", true],
    ["alert.title.startsWith('SSH') && size(incident.types) == 2", true],
    ["incident.types.exists(t, t.endsWith('_scan'))", true],
    ["incident.types.all(t, t == 'failed_login')", false],
    ["incident.severity == 'high' || incident.alert_count > 100 && incident.storm", true],
  ])('%s is %s', (text, expected) => {
    expect(holds(text)).toEqual({ holds: expected });
  });

  it('reads step status and output, a hyphenated id in brackets', () => {
    const ctx = contextFixture({ steps: { 'block-ip': { status: 'succeeded', output: { rule_id: 'r-1', nested: { n: 2 }, items: 3 } } } });
    expect(holds("steps['block-ip'].status == 'succeeded'", ctx)).toEqual({ holds: true });
    expect(holds("steps['block-ip'].output.rule_id == 'r-1'", ctx)).toEqual({ holds: true });
    expect(holds('steps["block-ip"].output.nested.n == 2', ctx)).toEqual({ holds: true });
    expect(holds("steps['block-ip'].output.items > 0", ctx)).toEqual({ holds: true });
  });

  it('does not hold, saying why, when a value is missing or of the wrong type', () => {
    const ctx = contextFixture({ steps: { block: { status: 'succeeded', output: {} } } });
    expect(holds('steps.block.output.items > 0', ctx)).toEqual({ holds: false, error: 'No such key: items' });
    expect(holds('!(steps.block.output.items > 0)', ctx)).toEqual({ holds: false, error: 'No such key: items' });
    expect(holds('incident.user > 3')).toEqual({ holds: false, error: 'no such overload: dyn<null> > int' });
    expect(holds("alert.type == 'x'", contextFixture({ alert: null }))).toMatchObject({
      holds: false,
      error: expect.stringContaining('null'),
    });
  });

  it('lets || absorb an error the other side decides, and has() or in guard a missing field', () => {
    const ctx = contextFixture({ steps: { block: { status: 'succeeded', output: {} } } });
    expect(holds("steps.block.output.items > 0 || incident.severity == 'high'", ctx)).toEqual({ holds: true });
    expect(holds('has(steps.block.output.items) && steps.block.output.items > 0', ctx)).toEqual({ holds: false });
    expect(holds("'items' in steps['block'].output && steps['block'].output.items > 0", ctx)).toEqual({ holds: false });
  });
});

describe(conditionHolds.name, () => {
  it('does not hold a text that is no condition, as a run recorded by an older Warden may hold', () => {
    expect(conditionHolds("'malware' in incident.types and incident.host", contextFixture())).toEqual({
      holds: false,
      error: "not a valid condition: column 29: Unexpected character: 'd'",
    });
    expect(conditionHolds('incident.user', contextFixture({ incident: { user: 'bob' } }))).toEqual({
      holds: false,
      error: 'gave string, not true or false',
    });
  });

  it('says why in a reason', () => {
    expect(unmet('incident.storm', { holds: false })).toBe('incident.storm is false');
    expect(unmet('x > 0', { holds: false, error: 'No such key: x' })).toBe('x > 0 is not true: No such key: x');
  });
});

describe('parseCondition and checkCondition', () => {
  it('names the column of a syntax error', () => {
    expect(refusal("incident.severity = 'high'")).toBe('column 19: Unexpected character: =');
    expect(refusal('incident.severity ==')).toBe('column 21: Unexpected token: EOF');
    expect(refusal("'unterminated")).toBe('column 1: Unterminated string');
    expect(refusal('   ')).toBe('column 1: expected a condition, found nothing');
  });

  it('refuses a condition that is not a bool, or compares what cannot be compared', () => {
    expect(refusal('incident.user')).toBe(
      "column 1: a condition must be true or false, and this one is dyn: compare it (== 'x', != null, > 0)",
    );
    expect(refusal('size(incident.types)')).toMatch(/^column 1: a condition must be true or false, and this one is int/);
    expect(refusal('incident.severity > 3')).toBe('column 1: no such overload: string > int');
    expect(refusal('incident.src_ip == null')).toBe('column 10: No such key: src_ip');
    expect(refusal('foo == 1')).toBe('column 1: Unknown variable: foo');
  });

  it('says how to write a step id with a hyphen', () => {
    expect(refusal("steps.block-now.status == 'succeeded'")).toBe('column 1: a step id with "-" goes in brackets: steps[\'block-now\']');
  });

  it('bounds the length', () => {
    const long = `incident.severity == '${'x'.repeat(MAX_CONDITION_LENGTH)}'`;
    expect(refusal(long)).toBe(`column ${MAX_CONDITION_LENGTH + 1}: a condition is at most ${MAX_CONDITION_LENGTH} characters`);
  });

  it('bounds the nesting, but not a long flat chain', () => {
    const deep = `${'!('.repeat(MAX_CONDITION_DEPTH)}incident.storm${')'.repeat(MAX_CONDITION_DEPTH)}`;
    expect(refusal(deep)).toMatch(new RegExp(`^column \\d+: nested more than ${MAX_CONDITION_DEPTH} levels deep$`));
    const flat = Array.from({ length: MAX_CONDITION_DEPTH + 20 }, () => '!incident.storm').join(' && ');
    expect(flat.length).toBeLessThanOrEqual(MAX_CONDITION_LENGTH);
    expect(holds(flat)).toEqual({ holds: true });
  });

  it('refuses a loop inside a loop, which would cost the product of the lists', () => {
    expect(refusal('incident.types.exists(a, incident.types.exists(b, a == b))')).toBe(
      'column 26: exists() inside another loop: loops may not nest',
    );
    expect(() => checkCondition(parseCondition("incident.types.map(t, t + '!').exists(t, t == 'x!')"))).not.toThrow();
  });

  it('refuses matches(), whose regular expressions backtrack', () => {
    expect(refusal("alert.title.matches('(a+)+$')")).toMatch(/^column 1: matches\(\) is not available in conditions/);
  });

  it('lists each path it reads once, bound loop variables and literal keys included', () => {
    expect(
      parseCondition(
        "incident.types.exists(t, t == alert.type) && steps['block-ip'].output.ids[0] == incident.id && has(incident.user) && incident.id != ''",
      ).paths,
    ).toEqual(['incident.types', 'alert.type', 'steps.block-ip.output.ids.0', 'incident.id', 'incident.user']);
    // A key computed at run time leaves the prefix, which the schema then refuses for want of a step id.
    expect(parseCondition("steps[incident.id].status == 'x'").paths).toEqual(['steps', 'incident.id']);
  });
});

describe('hostile input', () => {
  it('parses or refuses any text with a ConditionError, and evaluates what parses without throwing', () => {
    const alphabet = fc.constantFrom(
      ...[
        'incident.severity',
        "steps['a-1'].output.x",
        'incident.types',
        '.exists(t, t == 1)',
        '.size()',
        "'x'",
        '"y"',
        '1',
        '-2.5',
        '&&',
        '||',
        '!',
        'in',
        '==',
        '!=',
        '<',
        '>=',
        '(',
        ')',
        '[',
        ']',
        '{',
        '}',
        ':',
        ',',
        'true',
        'null',
        ' ',
        '.',
        '=',
        '\\',
        "'",
        '?',
      ],
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), (pieces) => {
        const text = pieces.join(' ');
        let condition;
        try {
          condition = parseCondition(text);
          checkCondition(condition);
        } catch (err) {
          expect(err).toBeInstanceOf(ConditionError);
          return;
        }
        expect(typeof evaluateCondition(condition, contextFixture()).holds).toBe('boolean');
      }),
    );
  });
});
