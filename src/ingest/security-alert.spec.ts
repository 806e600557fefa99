import { canonicalIp, MAX_FUTURE_SKEW_MS, validateAlert } from './security-alert';

const alert = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  source: 'ids',
  type: 'port_scan',
  severity: 'medium',
  title: 't',
  ...over,
});

/** The errors of an invalid input; fails the test when it was valid. */
const errorsOf = (input: unknown, pathPrefix?: string) => {
  const result = validateAlert(input, pathPrefix);
  if (result.ok) throw new Error(`expected ${JSON.stringify(input)} to be invalid`);
  return result.errors;
};
const pathsOf = (input: unknown) => errorsOf(input).map((e) => e.path);

const nested = (levels: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};

describe('validateAlert', () => {
  describe('a valid alert', () => {
    it('accepts the minimal alert', () => {
      expect(validateAlert(alert())).toEqual({ ok: true, alert: alert() });
    });

    it('accepts every optional field and parses occurredAt into a Date', () => {
      const result = validateAlert(
        alert({
          externalId: 'ext-1',
          description: 'd',
          sourceIp: '10.0.0.1',
          destinationIp: '192.168.1.1',
          user: 'alice',
          host: 'web-1',
          occurredAt: '2024-01-02T03:04:05Z',
          tags: ['prod'],
          raw: { any: ['json', 1, null] },
        }),
      );
      expect(result.ok).toBe(true);
      expect(result.ok && result.alert.occurredAt).toEqual(new Date('2024-01-02T03:04:05Z'));
      expect(result.ok && result.alert.raw).toEqual({ any: ['json', 1, null] });
    });

    it('accepts an occurredAt within the clock-skew allowance', () => {
      expect(validateAlert(alert({ occurredAt: new Date(Date.now() + MAX_FUTURE_SKEW_MS / 2).toISOString() })).ok).toBe(true);
    });

    it.each(['2001:db8::1', '::1', 'fe80::1ff:fe23:4567:890a'])('accepts the IPv6 address %s', (ip) => {
      expect(validateAlert(alert({ sourceIp: ip, destinationIp: ip })).ok).toBe(true);
    });

    it.each([
      ['an SQL payload', "'; DROP TABLE alerts; --"],
      ['an HTML payload', '<script>alert(1)</script>'],
      ['quotes and backslashes', `"\\' OR 1=1 /* */`],
    ])('keeps %s in the title verbatim', (_, title) => {
      const result = validateAlert(alert({ title, description: title }));
      expect(result).toEqual({ ok: true, alert: alert({ title, description: title }) });
    });

    it('accepts raw nested 32 levels deep', () => {
      expect(validateAlert(alert({ raw: nested(32) })).ok).toBe(true);
    });
  });

  describe('a bad field', () => {
    it.each([
      ['severity', 'urgent', '/severity', /must be one of low, medium, high, critical/],
      ['severity', undefined, '/severity', /must be one of/],
      ['sourceIp', '999.1.1.1', '/sourceIp', /must be an IPv4 or IPv6 address/],
      ['destinationIp', 'example.com', '/destinationIp', /must be an IPv4 or IPv6 address/],
      ['occurredAt', '2999-01-01T00:00:00Z', '/occurredAt', /must not be in the future/],
      ['occurredAt', '01/02/2024', '/occurredAt', /must be an ISO 8601 timestamp/],
      ['type', 'Port_Scan', '/type', /lower-case/],
      ['type', 'port scan', '/type', /lower-case/],
      ['title', '', '/title', /must not be empty/],
      ['title', 'a\u0000b', '/title', /must not contain the NUL character/],
      ['source', undefined, '/source', /./],
      ['raw', { note: 'a\u0000b' }, '/raw', /must not contain the NUL character/],
      ['raw', { ['k\u0000']: 1 }, '/raw', /must not contain the NUL character/],
      ['raw', nested(40), '/raw', /must nest at most 32 levels deep/],
      ['tags', ['ok', ''], '/tags/1', /./],
    ])('rejects %s = %j at %s', (field, value, path, message) => {
      const errors = errorsOf(alert({ [field]: value }));
      expect(errors).toEqual([{ path, message: expect.stringMatching(message) }]);
    });

    it.each(['yesterday', '2024-13-45T00:00:00Z', '2024-02-30T00:00:00Z', '2024-03-01T10:00:00'])(
      'rejects the occurredAt %j with one error: not ISO 8601 with a zone',
      (occurredAt) => {
        expect(errorsOf(alert({ occurredAt }))).toEqual([
          { path: '/occurredAt', message: 'must be an ISO 8601 timestamp with a time zone' },
        ]);
      },
    );

    it('accepts a title of exactly 1000 characters as it is, without warnings', () => {
      expect(validateAlert(alert({ title: 'x'.repeat(1000) }))).toEqual({ ok: true, alert: alert({ title: 'x'.repeat(1000) }) });
    });

    it('names an unknown field by its path', () => {
      expect(errorsOf(alert({ x: 1 }))).toEqual([{ path: '/x', message: 'unknown field: x' }]);
    });

    it('reports every bad field', () => {
      expect(pathsOf(alert({ severity: 'urgent', sourceIp: '999.1.1.1' })).sort()).toEqual(['/severity', '/sourceIp']);
    });

    it('puts the path prefix before each path', () => {
      expect(errorsOf(alert({ severity: 'urgent' }), '/alerts/3')).toEqual([{ path: '/alerts/3/severity', message: expect.any(String) }]);
    });
  });

  describe('an over-long field', () => {
    it('clips the title and warns under the path prefix with its original length', () => {
      expect(validateAlert(alert({ title: 'x'.repeat(5000) }), '/alerts/2')).toEqual({
        ok: true,
        alert: alert({ title: `${'x'.repeat(999)}…` }),
        warnings: [{ path: '/alerts/2/title', message: 'clipped to 1000 characters (was 5000)' }],
      });
    });

    it('clips a type past 64 characters to a valid type', () => {
      const result = validateAlert(alert({ type: `port_scan_${'x'.repeat(100)}` }));
      expect(result.ok && result.alert.type).toBe(`port_scan_${'x'.repeat(54)}`);
    });

    it('still refuses what is wrong whatever the size: a type in capitals', () => {
      expect(pathsOf(alert({ type: `PORT_SCAN_${'x'.repeat(100)}` }))).toEqual(['/type']);
    });

    it('answers only the errors when an item is refused for something else', () => {
      expect(validateAlert(alert({ title: 'x'.repeat(5000), severity: 'urgent' }))).toEqual({
        ok: false,
        errors: [{ path: '/severity', message: expect.any(String) }],
      });
    });
  });

  describe('a non-object input', () => {
    it.each([
      ['null', null],
      ['an array', [alert()]],
      ['a string', '{"source":"ids"}'],
      ['a number', 42],
      ['undefined', undefined],
    ])('rejects %s at path /', (_, input) => {
      expect(errorsOf(input)).toEqual([{ path: '/', message: 'must be a JSON object' }]);
    });

    it('uses the path prefix when given', () => {
      expect(errorsOf(null, '/alerts/0')).toEqual([{ path: '/alerts/0', message: 'must be a JSON object' }]);
    });
  });
});

describe('canonicalIp', () => {
  it.each([
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0::1', '2001:db8::1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['10.0.0.1', '10.0.0.1'],
    ['::1', '::1'],
  ])('spells %s as %s', (input, expected) => {
    expect(canonicalIp(input)).toBe(expected);
  });

  it('is applied by validateAlert, so equal addresses correlate', () => {
    const result = validateAlert({ source: 's', type: 't', severity: 'low', title: 't', sourceIp: '::FFFF:192.0.2.7' });
    expect(result.ok && result.alert.sourceIp).toBe('192.0.2.7');
  });

  it('rejects year 0, which PostgreSQL cannot store', () => {
    const result = validateAlert({ source: 's', type: 't', severity: 'low', title: 't', occurredAt: '0000-01-01T00:00:00Z' });
    expect(result.ok).toBe(false);
  });
});
