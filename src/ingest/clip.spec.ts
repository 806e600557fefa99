import { createHash } from 'node:crypto';
import { clipAlert, clipField, clipText, headOf } from './clip';

const SMILE = '\u{1F600}'; // one code point, two UTF-16 code units
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('headOf', () => {
  it('keeps text of exactly the limit whole', () => {
    expect(headOf('abcd', 4)).toBe('abcd');
  });

  it('cuts plain text at the limit', () => {
    expect(headOf('abcdef', 4)).toBe('abcd');
  });

  it('cuts before an emoji whose two halves straddle the limit', () => {
    expect(headOf(`abc${SMILE}def`, 4)).toBe('abc');
  });

  it('keeps an emoji that ends exactly at the limit', () => {
    expect(headOf(`ab${SMILE}def`, 4)).toBe(`ab${SMILE}`);
  });
});

describe('clipText', () => {
  it('leaves text of exactly the limit unchanged', () => {
    expect(clipText('x'.repeat(1000), 1000)).toBe('x'.repeat(1000));
  });

  it('ends clipped text in "…" within the limit', () => {
    expect(clipText('x'.repeat(1001), 1000)).toBe(`${'x'.repeat(999)}…`);
  });

  it('never leaves half an emoji before the "…"', () => {
    // 998 letters, then an emoji on code units 999 and 1000: only 999 units fit before the ellipsis.
    const clipped = clipText(`${'x'.repeat(998)}${SMILE}tail`, 1000);
    expect(clipped).toBe(`${'x'.repeat(998)}…`);
  });

  it('never makes a lone surrogate, wherever the emoji falls', () => {
    const text = SMILE.repeat(600);
    const results = [999, 1000, 1001].map((max) => LONE_SURROGATE.test(clipText(text, max)));
    expect(results).toEqual([false, false, false]);
  });
});

describe('clipField', () => {
  it('leaves a title of exactly 1000 characters alone, without a message', () => {
    expect(clipField('title', 't'.repeat(1000))).toEqual({ value: 't'.repeat(1000) });
  });

  it('clips a 5000-character title and says so with the original length', () => {
    expect(clipField('title', 't'.repeat(5000))).toEqual({
      value: `${'t'.repeat(999)}…`,
      message: 'clipped to 1000 characters (was 5000)',
    });
  });

  it('cuts a name (host) plainly, without "…"', () => {
    expect(clipField('host', 'h'.repeat(300)).value).toBe('h'.repeat(255));
  });

  it('clips into a smaller room when given one', () => {
    expect(clipField('description', 'd'.repeat(50), 20)).toEqual({
      value: `${'d'.repeat(19)}…`,
      message: 'clipped to 20 characters (was 50)',
    });
  });

  it('ends a clipped key (externalId) in a digest of the whole value, within the limit', () => {
    const value = `${'e'.repeat(300)}-a`;
    const digest = createHash('sha256').update(value).digest('hex').slice(0, 32);
    expect(clipField('externalId', value)).toEqual({
      value: `${'e'.repeat(167)}…${digest}`,
      message: 'clipped to 200 characters (was 302), ending in a digest of the whole value',
    });
  });

  it('keeps two keys apart that differ only past the limit', () => {
    const [a, b] = [`${'e'.repeat(300)}-a`, `${'e'.repeat(300)}-b`].map((v) => clipField('externalId', v).value);
    expect(a).not.toBe(b);
  });
});

describe('clipAlert', () => {
  const alert = { source: 'ids', type: 'port_scan', severity: 'low', title: 'scan' };

  it('returns an alert within every limit as it came, without warnings', () => {
    const input = { ...alert, tags: ['a'] };
    expect(clipAlert(input)).toEqual({ input, warnings: [] });
  });

  it('names each clipped field by its pointer and original length', () => {
    const { warnings } = clipAlert({ ...alert, title: 'x'.repeat(5000), description: 'd'.repeat(10_001), user: 'u'.repeat(201) });
    expect(warnings).toEqual([
      { path: '/title', message: 'clipped to 1000 characters (was 5000)' },
      { path: '/description', message: 'clipped to 10000 characters (was 10001)' },
      { path: '/user', message: 'clipped to 200 characters (was 201)' },
    ]);
  });

  it('keeps the first 50 tags and clips a long one, naming both', () => {
    const tags = [...Array.from({ length: 49 }, (_, i) => `t${i}`), 'x'.repeat(101), 'dropped'];
    const { input, warnings } = clipAlert({ ...alert, tags });
    expect({ tags: (input.tags as string[]).slice(48), warnings }).toEqual({
      tags: ['t48', `${'x'.repeat(99)}…`],
      warnings: [
        { path: '/tags', message: 'clipped to 50 tags (was 51)' },
        { path: '/tags/49', message: 'clipped to 100 characters (was 101)' },
      ],
    });
  });

  it('leaves values of the wrong kind for validation to refuse', () => {
    const input = { ...alert, title: { long: 'x'.repeat(5000) }, tags: 'x'.repeat(200) };
    expect(clipAlert(input)).toEqual({ input, warnings: [] });
  });
});
