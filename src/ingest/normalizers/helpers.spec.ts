import { FieldReader, joinedText, keyPart, lookup, pointer, snakeCase, tagList, toIsoTimestamp } from './helpers';

describe('normalizer helpers', () => {
  describe('keyPart', () => {
    it('keeps a string and writes anything else as JSON, even an object whose toString is not a function', () => {
      expect([keyPart('2024-01-01T00:00:00Z'), keyPart(12), keyPart({ toString: [] })]).toEqual([
        '2024-01-01T00:00:00Z',
        '12',
        '{"toString":[]}',
      ]);
    });
  });

  describe('toIsoTimestamp', () => {
    it.each([
      ['2019-01-02T03:50:11.315110', '2019-01-02T03:50:11.315Z'],
      ['2018-03-24T14:37:19.037299-0600', '2018-03-24T20:37:19.037Z'],
      ['2024-03-01T10:00:00.000+0000', '2024-03-01T10:00:00.000Z'],
      ['2024-03-01T10:00:00.123456789Z', '2024-03-01T10:00:00.123Z'],
      ['2024-03-01T12:00:00+02:00', '2024-03-01T10:00:00.000Z'],
      ['2024-03-01 10:00:00', '2024-03-01T10:00:00.000Z'],
      ['2024-03-01T10:00Z', '2024-03-01T10:00:00.000Z'],
    ])('reads %s as %s', (input, expected) => {
      expect(toIsoTimestamp(input)).toBe(expected);
    });

    it.each([
      'yesterday',
      '2024-02-30T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-03-01T24:00:00Z',
      '2024-03-01',
      '2024-03-01T10:00:00+2500',
      '',
    ])('rejects %j', (input) => {
      expect(toIsoTimestamp(input)).toBeUndefined();
    });
  });

  describe('snakeCase', () => {
    it.each([
      ['SSHBruteForce', 'ssh_brute_force'],
      ['HighErrorRate', 'high_error_rate'],
      ['Terminal shell in container', 'terminal_shell_in_container'],
      ['  --Weird!! name__ ', 'weird_name'],
      ['Détection réseau', 'detection_reseau'],
    ])('%s → %s', (input, expected) => {
      expect(snakeCase(input)).toBe(expected);
    });

    it('returns undefined when nothing alphanumeric is left', () => {
      expect(snakeCase('!!!')).toBeUndefined();
    });

    it('keeps within the maximum without a trailing underscore', () => {
      const long = snakeCase('word '.repeat(40))!;
      expect(long.length).toBeLessThanOrEqual(64);
      expect(long).toMatch(/^[a-z0-9][a-z0-9_]*[a-z0-9]$/);
    });
  });

  describe('lookup', () => {
    it('walks nested, flattened and mixed keys, longest key first', () => {
      const doc = { 'kibana.alert.severity': 'high', event: { category: ['x'] }, output_fields: { 'fd.cip': '10.0.0.1' } };
      expect(lookup(doc, 'kibana.alert.severity')).toEqual({ value: 'high', segments: ['kibana.alert.severity'] });
      expect(lookup(doc, 'event.category').segments).toEqual(['event', 'category']);
      expect(lookup(doc, 'output_fields.fd.cip').value).toBe('10.0.0.1');
    });

    it('names the missing path as nested segments', () => {
      expect(lookup({ rule: 'x' }, 'rule.level')).toEqual({ value: undefined, segments: ['rule', 'level'] });
    });
  });

  describe('pointer', () => {
    it('escapes ~ and / (RFC 6901)', () => {
      expect(pointer(['a/b', 'c~d', 0])).toBe('/a~1b/c~0d/0');
      expect(pointer([])).toBe('/');
    });
  });

  describe('FieldReader', () => {
    it('prefixes error paths with the base', () => {
      const r = new FieldReader({ labels: { severity: 3 } }, ['alerts', 2]);
      r.string('labels.severity');
      expect(r.errors).toEqual([{ path: '/alerts/2/labels/severity', message: 'must be a string' }]);
    });

    it('treats null, blank strings and address placeholders as not given', () => {
      const r = new FieldReader({ a: null, b: '  ', ip: '<NA>' });
      expect([r.string('a', false), r.string('b'), r.ip('ip')]).toEqual([undefined, undefined, undefined]);
      expect(r.errors).toEqual([]);
    });

    it('reports each bad element of a string list at its index', () => {
      const r = new FieldReader({ tags: ['ok', 7] });
      expect(r.strings('tags')).toEqual(['ok']);
      expect(r.errors).toEqual([{ path: '/tags/1', message: 'must be a string or a list of strings' }]);
    });
  });

  describe('FieldReader.fit', () => {
    it('keeps a value that fits, without a warning', () => {
      const r = new FieldReader({ rule: { description: 'd'.repeat(1000) } });
      expect([r.fit('title', 'rule.description', 'd'.repeat(1000)), r.warnings]).toEqual(['d'.repeat(1000), []]);
    });

    it('clips an over-long value and warns at its field with its original length', () => {
      const r = new FieldReader({ annotations: { summary: 's'.repeat(5000) } }, ['alerts', 0]);
      const title = r.fit('title', 'annotations.summary', 's'.repeat(5000));
      expect({ title, warnings: r.warnings }).toEqual({
        title: `${'s'.repeat(999)}…`,
        warnings: [{ path: '/alerts/0/annotations/summary', message: 'clipped to 1000 characters (was 5000)' }],
      });
    });
  });

  describe('joinedText', () => {
    const at = (name: string) => `/annotations/${name}`;

    it('joins the lines that fit by newlines', () => {
      const r = new FieldReader({});
      const text = joinedText(r, 'description', [
        { at: at('description'), value: 'Pod crash looping.' },
        { at: at('missing'), prefix: 'Ignored: ', value: undefined },
        { at: at('runbook_url'), prefix: 'Runbook: ', value: 'https://runbooks.example/x' },
      ]);
      expect(text).toBe('Pod crash looping.\nRunbook: https://runbooks.example/x');
    });

    it('clips the longest line into the room the others leave, naming its own field and length', () => {
      const r = new FieldReader({});
      const text = joinedText(r, 'description', [
        { at: at('description'), value: 'd'.repeat(20_000) },
        { at: at('runbook_url'), prefix: 'Runbook: ', value: 'https://runbooks.example/x' },
      ]);
      // "Runbook: " and its 26-character URL, plus the newline, leave 9,964 for the description.
      expect({ text, warnings: r.warnings }).toEqual({
        text: `${'d'.repeat(9963)}…\nRunbook: https://runbooks.example/x`,
        warnings: [{ path: '/annotations/description', message: 'clipped to 9964 characters (was 20000)' }],
      });
    });

    it('takes lines in order when the others do not fit either, leaving out what has no room', () => {
      const r = new FieldReader({});
      const text = joinedText(r, 'description', [
        { at: at('description'), value: 'd'.repeat(20_000) },
        { at: at('runbook_url'), prefix: 'Runbook: ', value: 'u'.repeat(20_000) },
      ]);
      expect({ length: text?.length, warnings: r.warnings }).toEqual({
        length: 10_000,
        warnings: [
          { path: '/annotations/description', message: 'clipped to 10000 characters (was 20000)' },
          { path: '/annotations/runbook_url', message: "left out: the alert's description holds at most 10000 characters" },
        ],
      });
    });
  });

  describe('tagList', () => {
    const tag = (value: string | undefined | false, i = 0, prefix?: string) => ({ at: `/tags/${i}`, value, ...(prefix ? { prefix } : {}) });

    it('drops empties and duplicates, trimmed', () => {
      const r = new FieldReader({});
      expect(tagList(r, [tag('a'), tag(' a '), tag(''), tag(undefined), tag(false), tag('b')])).toEqual(['a', 'b']);
    });

    it('clips a value to the room its prefix leaves in 100 characters, naming its field and length', () => {
      const r = new FieldReader({});
      const tags = tagList(r, [tag('x'.repeat(150), 3, 'job:')]);
      expect({ tags, warnings: r.warnings }).toEqual({
        tags: [`job:${'x'.repeat(95)}…`],
        warnings: [{ path: '/tags/3', message: 'clipped to 96 characters (was 150)' }],
      });
    });

    it('keeps the first 50 and warns at the first tag left out', () => {
      const r = new FieldReader({});
      const tags = tagList(
        r,
        Array.from({ length: 60 }, (_, i) => tag(`t${i}`, i)),
      );
      expect({ kept: tags?.length, last: tags?.[49], warnings: r.warnings }).toEqual({
        kept: 50,
        last: 't49',
        warnings: [{ path: '/tags/50', message: 'left out: an alert keeps at most 50 tags (this one had 60)' }],
      });
    });
  });
});
