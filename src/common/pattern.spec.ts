import { compilePattern, patternError } from './pattern';

describe('patterns', () => {
  it('accepts RE2 syntax', () => {
    expect(patternError('\\bSCAN\\b|\\bCVE-\\d{4}-\\d+')).toBeUndefined();
  });

  it.each([
    ['a backreference', '(a)\\1', 'invalid escape sequence: `\\1`'],
    ['a lookahead', 'x(?=y)', 'invalid or unsupported Perl syntax: `(?=`'],
    ['a lookbehind', '(?<=x)y', 'invalid named capture: `(?<=x)y`'],
    ['an unclosed group', '(x', 'missing closing ): `(x`'],
  ])('refuses %s with a message that quotes only the pattern', (_, source, why) => {
    expect(patternError(source)).toBe(`is not a supported regular expression (RE2 syntax: no backreferences or lookaround): ${why}`);
  });

  it('throws for a refused pattern instead of compiling it', () => {
    expect(() => compilePattern('(a)\\1')).toThrow('is not a supported regular expression');
  });

  it('matches the whole text, or any part of it', () => {
    expect(compilePattern('web-\\d+', { whole: true }).test('web-12')).toBe(true);
    expect(compilePattern('web-\\d+', { whole: true }).test('old-web-12')).toBe(false);
    expect(compilePattern('web-\\d+').test('old-web-12')).toBe(true);
  });

  it('ignores case when asked', () => {
    expect(compilePattern('sql injection', { ignoreCase: true }).test('ET WEB SQL Injection attempt')).toBe(true);
    expect(compilePattern('sql injection').test('ET WEB SQL Injection attempt')).toBe(false);
  });

  it('decides a catastrophic pattern against 10 kB of text in one pass', () => {
    const text = 'a'.repeat(10_000) + '!';
    expect(compilePattern('(a+)+$', { whole: true }).test(text)).toBe(false);
    expect(compilePattern('(a+)+$').test(text)).toBe(false);
    expect(compilePattern('(a+)+!$').test(text)).toBe(true);
  });
});
