import type { z } from 'zod';
import type { SecurityAlert } from '../domain';
import { type Matcher, matcherSchema, silenceMatches } from './silences';

const alert = (over: Partial<SecurityAlert> = {}): SecurityAlert => ({
  source: 'ids',
  type: 'port_scan',
  severity: 'medium',
  title: 't',
  sourceIp: '10.0.1.2',
  ...over,
});

const matcher = (over: Partial<z.input<typeof matcherSchema>> = {}): Matcher =>
  matcherSchema.parse({ name: 'type', value: 'port_scan', ...over });

describe('matcherSchema', () => {
  it('defaults isRegex to false and isEqual to true', () => {
    expect(matcherSchema.parse({ name: 'host', value: 'web-1' })).toEqual({ name: 'host', value: 'web-1', isRegex: false, isEqual: true });
  });

  it('accepts a valid regular expression', () => {
    expect(matcherSchema.safeParse({ name: 'host', value: 'web-\\d+', isRegex: true }).success).toBe(true);
  });

  it('rejects an invalid regular expression with a message on value', () => {
    const result = matcherSchema.safeParse({ name: 'host', value: '(unclosed', isRegex: true });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['value'],
        message: 'is not a supported regular expression (RE2 syntax: no backreferences or lookaround): missing closing ): `(unclosed`',
      }),
    ]);
  });

  it.each([
    ['a backreference', '(a)\\1', 'invalid escape sequence: `\\1`'],
    ['a lookahead', 'a(?=b)', 'invalid or unsupported Perl syntax: `(?=`'],
    ['a negative lookahead', 'a(?!b)', 'invalid or unsupported Perl syntax: `(?!`'],
  ])('refuses %s, which the linear-time engine cannot run, naming value', (_, value, why) => {
    const result = matcherSchema.safeParse({ name: 'title', value, isRegex: true });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['value'],
        message: `is not a supported regular expression (RE2 syntax: no backreferences or lookaround): ${why}`,
      }),
    ]);
  });

  it('accepts the same text as a literal value', () => {
    expect(matcherSchema.safeParse({ name: 'host', value: '(unclosed' }).success).toBe(true);
  });

  it('rejects an unknown field name', () => {
    expect(matcherSchema.safeParse({ name: 'raw', value: 'x' }).success).toBe(false);
  });

  it('rejects an unknown key', () => {
    expect(matcherSchema.safeParse({ name: 'host', value: 'x', regex: true }).success).toBe(false);
  });

  it('rejects a value over 1000 characters', () => {
    expect(matcherSchema.safeParse({ name: 'host', value: 'x'.repeat(1001) }).success).toBe(false);
  });
});

describe('silenceMatches', () => {
  describe('equality matchers', () => {
    it('matches an equal value', () => {
      expect(silenceMatches([matcher({ name: 'type', value: 'port_scan' })], alert())).toBe(true);
    });

    it('does not match a different value', () => {
      expect(silenceMatches([matcher({ name: 'type', value: 'sql_injection' })], alert())).toBe(false);
    });

    it('compares exactly, not as a substring or case-insensitively', () => {
      expect(silenceMatches([matcher({ name: 'type', value: 'port' })], alert())).toBe(false);
      expect(silenceMatches([matcher({ name: 'type', value: 'PORT_SCAN' })], alert())).toBe(false);
    });
  });

  describe('several matchers', () => {
    it('matches when all match', () => {
      const matchers = [matcher({ name: 'type', value: 'port_scan' }), matcher({ name: 'source', value: 'ids' })];
      expect(silenceMatches(matchers, alert())).toBe(true);
    });

    it('does not match when one does not', () => {
      const matchers = [matcher({ name: 'type', value: 'port_scan' }), matcher({ name: 'source', value: 'edr' })];
      expect(silenceMatches(matchers, alert())).toBe(false);
    });
  });

  describe('regex matchers', () => {
    it('matches the whole value', () => {
      expect(silenceMatches([matcher({ name: 'sourceIp', value: '10\\.0\\..*', isRegex: true })], alert({ sourceIp: '10.0.1.2' }))).toBe(
        true,
      );
    });

    it('is anchored at both ends', () => {
      expect(silenceMatches([matcher({ name: 'sourceIp', value: '0\\.1', isRegex: true })], alert({ sourceIp: '10.0.1.2' }))).toBe(false);
      expect(silenceMatches([matcher({ name: 'sourceIp', value: '10\\.0', isRegex: true })], alert({ sourceIp: '10.0.1.2' }))).toBe(false);
      expect(silenceMatches([matcher({ name: 'sourceIp', value: '.*1\\.2', isRegex: true })], alert({ sourceIp: '10.0.1.2' }))).toBe(true);
    });

    it('anchors every alternative', () => {
      expect(silenceMatches([matcher({ name: 'type', value: 'port|sql', isRegex: true })], alert({ type: 'port_scan' }))).toBe(false);
      expect(silenceMatches([matcher({ name: 'type', value: 'port_scan|sql', isRegex: true })], alert({ type: 'port_scan' }))).toBe(true);
    });
  });

  describe('negated matchers (isEqual false)', () => {
    it('matches a different value', () => {
      expect(silenceMatches([matcher({ name: 'type', value: 'sql_injection', isEqual: false })], alert())).toBe(true);
    });

    it('does not match an equal value', () => {
      expect(silenceMatches([matcher({ name: 'type', value: 'port_scan', isEqual: false })], alert())).toBe(false);
    });

    it('negates a regex', () => {
      expect(
        silenceMatches([matcher({ name: 'sourceIp', value: '10\\..*', isRegex: true, isEqual: false })], alert({ sourceIp: '10.0.1.2' })),
      ).toBe(false);
      expect(
        silenceMatches([matcher({ name: 'sourceIp', value: '192\\..*', isRegex: true, isEqual: false })], alert({ sourceIp: '10.0.1.2' })),
      ).toBe(true);
    });
  });

  describe('tag matchers', () => {
    it('match when any tag matches', () => {
      expect(silenceMatches([matcher({ name: 'tag', value: 'scanner' })], alert({ tags: ['prod', 'scanner'] }))).toBe(true);
    });

    it('do not match when no tag matches', () => {
      expect(silenceMatches([matcher({ name: 'tag', value: 'scanner' })], alert({ tags: ['prod'] }))).toBe(false);
    });

    it('do not match an alert without tags', () => {
      expect(silenceMatches([matcher({ name: 'tag', value: 'scanner' })], alert())).toBe(false);
    });

    it('negated, match only when no tag matches', () => {
      expect(silenceMatches([matcher({ name: 'tag', value: 'scanner', isEqual: false })], alert({ tags: ['prod', 'scanner'] }))).toBe(
        false,
      );
      expect(silenceMatches([matcher({ name: 'tag', value: 'scanner', isEqual: false })], alert({ tags: ['prod'] }))).toBe(true);
    });

    it('match with a regex against any tag', () => {
      expect(silenceMatches([matcher({ name: 'tag', value: 'scan.*', isRegex: true })], alert({ tags: ['prod', 'scanner'] }))).toBe(true);
    });
  });

  describe('a field the alert lacks', () => {
    it('matches the empty string', () => {
      expect(silenceMatches([matcher({ name: 'user', value: '' })], alert())).toBe(true);
    });

    it('matches an empty-matching regex', () => {
      expect(silenceMatches([matcher({ name: 'user', value: '.*', isRegex: true })], alert())).toBe(true);
    });

    it('does not match any other value', () => {
      expect(silenceMatches([matcher({ name: 'user', value: 'alice' })], alert())).toBe(false);
      expect(silenceMatches([matcher({ name: 'user', value: '.+', isRegex: true })], alert())).toBe(false);
    });

    it('matches a negated non-empty value', () => {
      expect(silenceMatches([matcher({ name: 'user', value: 'alice', isEqual: false })], alert())).toBe(true);
    });
  });

  it('never matches without matchers', () => {
    expect(silenceMatches([], alert())).toBe(false);
  });

  // A backtracking engine takes 2^n steps here and never returns; RE2 decides in one pass.
  describe('a catastrophic pattern', () => {
    const nested = matcher({ name: 'title', value: '(a+)+$', isRegex: true });

    it('decides a near-miss title of the longest length at once', () => {
      expect(silenceMatches([nested], alert({ title: 'a'.repeat(999) + '!' }))).toBe(false);
    });

    it('still silences what it matches', () => {
      expect(silenceMatches([nested], alert({ title: 'a'.repeat(1000) }))).toBe(true);
    });
  });

  it('lets everything through for a stored pattern RE2 refuses (saved before patterns were checked)', () => {
    const legacy: Matcher = { name: 'title', value: '(?=t)t', isRegex: true, isEqual: true };
    expect(silenceMatches([legacy], alert({ title: 't' }))).toBe(false);
  });
});
