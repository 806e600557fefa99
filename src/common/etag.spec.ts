import { etagMatches, wantsEtag, weakEtag } from './etag';

describe('JSON ETags', () => {
  describe(weakEtag.name, () => {
    it('is weak, quoted, and the same for the same bytes whether a string or a buffer', () => {
      const tag = weakEtag('{"a":1}');
      expect(tag).toMatch(/^W\/"[\w-]{27}"$/);
      expect(weakEtag(Buffer.from('{"a":1}'))).toBe(tag);
    });

    it('differs when one byte does', () => {
      expect(weakEtag('{"a":1}')).not.toBe(weakEtag('{"a":2}'));
    });
  });

  describe(etagMatches.name, () => {
    const tag = 'W/"abc"';

    it.each([
      ['the tag itself', 'W/"abc"', true],
      ['its strong form (weak comparison)', '"abc"', true],
      ['one of several', '"x", W/"abc"', true],
      ['a wildcard', '*', true],
      ['another tag', 'W/"abd"', false],
      ['an unquoted value', 'abc', false],
      ['no header', undefined, false],
    ] as const)('answers %s: %p → %p', (_, header, expected) => {
      expect(etagMatches(header, tag)).toBe(expected);
    });

    it('reads a header repeated as an array', () => {
      expect(etagMatches(['"x"', 'W/"abc"'], tag)).toBe(true);
    });
  });

  describe(wantsEtag.name, () => {
    const json = 'application/json; charset=utf-8';

    it('tags a 200 GET or HEAD with a JSON body in memory', () => {
      expect(wantsEtag('GET', 200, json, undefined, '{}')).toBe(true);
      expect(wantsEtag('HEAD', 200, json, undefined, Buffer.from('{}'))).toBe(true);
    });

    it.each([
      ['a POST', 'POST', 200, json, undefined, '{}'],
      ['an error answer', 'GET', 404, 'application/problem+json; charset=utf-8', undefined, '{}'],
      ['a 201', 'GET', 201, json, undefined, '{}'],
      ['HTML', 'GET', 200, 'text/html; charset=utf-8', undefined, '<p>'],
      ['a route that set its own tag', 'GET', 200, json, '"strong"', '{}'],
      ['a stream', 'GET', 200, 'application/x-ndjson', undefined, {}],
      ['a JSON stream', 'GET', 200, json, undefined, { pipe: () => undefined }],
    ] as const)('leaves %s alone', (_, method, status, type, existing, body) => {
      expect(wantsEtag(method, status, type, existing, body)).toBe(false);
    });
  });
});
