import { durationSchema, parseDuration } from './duration';

describe('parseDuration', () => {
  describe('with a unit', () => {
    it.each([
      ['30s', 30],
      ['5m', 300],
      ['1h', 3600],
      ['2d', 172_800],
      ['1.5h', 5400],
      ['250ms', 0.25],
    ])('parses %j as %d seconds', (input, seconds) => {
      expect(parseDuration(input)).toBe(seconds);
    });

    it('tolerates surrounding and inner whitespace', () => {
      expect(parseDuration(' 5 m ')).toBe(300);
    });
  });

  describe('without a unit', () => {
    it('takes a number as seconds', () => {
      expect(parseDuration(90)).toBe(90);
    });

    it('takes a bare numeric string as seconds', () => {
      expect(parseDuration('90')).toBe(90);
    });
  });

  describe('bad input', () => {
    it.each(['', 'abc', '5x', '-5s', '5 minutes', 'm5', '1.h', '5m30s'])('rejects %j with a clear message', (input) => {
      expect(() => parseDuration(input)).toThrow(`"${input}" is not a duration (examples: 30s, 5m, 1h, 2d)`);
    });
  });
});

describe('durationSchema', () => {
  it('turns a duration string into seconds', () => {
    expect(durationSchema.parse('5m')).toBe(300);
  });

  it('passes a positive number of seconds through', () => {
    expect(durationSchema.parse(45)).toBe(45);
  });

  it('rejects an unparseable string with the parser message', () => {
    const result = durationSchema.safeParse('soon');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toBe('"soon" is not a duration (examples: 30s, 5m, 1h, 2d)');
  });

  it('rejects a zero duration string', () => {
    const result = durationSchema.safeParse('0s');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toBe('must be positive');
  });

  it.each([0, -5])('rejects the number %d', (n) => {
    expect(durationSchema.safeParse(n).success).toBe(false);
  });

  it.each([null, true, {}, ['5m']])('rejects the non-duration %j', (value) => {
    expect(durationSchema.safeParse(value).success).toBe(false);
  });
});
