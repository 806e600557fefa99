import { allowListVerdict, normalizeIp, validateTarget } from './allow-list';

describe('allow-list', () => {
  const allow = {
    cidrs: ['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', '::ffff:198.51.100.0/120'],
    users: ['Admin', 'svc-monitor'],
    hosts: ['GW.example.com.', 'siem-01'],
  };

  it.each([
    ['10.1.2.3', '10.0.0.0/8'],
    ['192.0.2.7', '192.0.2.7'],
    ['2001:DB8:0::5', '2001:db8::/32'],
    ['::ffff:10.0.0.1', '10.0.0.0/8'],
    ['::ffff:a00:1', '10.0.0.0/8'],
    ['198.51.100.9', '::ffff:198.51.100.0/120'],
  ])('refuses %s (matches %s)', (ip, entry) => {
    expect(allowListVerdict(allow, 'ip', ip)).toEqual({ allowed: false, reason: expect.stringContaining(entry) });
  });

  it.each(['11.0.0.1', '192.0.2.8', '2001:db9::1', '::ffff:11.0.0.1'])('allows %s', (ip) => {
    expect(allowListVerdict(allow, 'ip', ip)).toEqual({ allowed: true });
  });

  it('refuses an IP target that is not an IP', () => {
    expect(allowListVerdict(allow, 'ip', '10.0.0.1; rm -rf /')).toMatchObject({ allowed: false });
  });

  it('matches users case-insensitively', () => {
    expect(allowListVerdict(allow, 'user', 'ADMIN')).toMatchObject({ allowed: false, reason: expect.stringContaining('Admin') });
    expect(allowListVerdict(allow, 'user', 'admin2')).toEqual({ allowed: true });
  });

  it('matches hosts case-insensitively and without a trailing dot', () => {
    expect(allowListVerdict(allow, 'host', 'gw.example.com')).toMatchObject({ allowed: false });
    expect(allowListVerdict(allow, 'host', 'SIEM-01.')).toMatchObject({ allowed: false });
    expect(allowListVerdict(allow, 'host', 'siem-02')).toEqual({ allowed: true });
  });

  it('does not mix kinds: a user named like an allowed host is not protected', () => {
    expect(allowListVerdict(allow, 'user', 'siem-01')).toEqual({ allowed: true });
  });
});

describe('validateTarget', () => {
  it.each([
    ['10.0.0.5', '10.0.0.5'],
    [' 10.0.0.5 ', '10.0.0.5'],
    ['2001:DB8:0:0::1', '2001:db8::1'],
    ['::ffff:10.0.0.5', '10.0.0.5'],
  ])('normalizes the IP %j to %s', (raw, ip) => {
    expect(validateTarget('ip', raw)).toEqual({ ok: true, target: ip });
  });

  it.each(['10.0.0.5; rm -rf /', '10.0.0.0/8', '010.0.0.1', 'fe80::1%eth0', '0.0.0.0', '::', '', '{ 10.0.0.1 }'])(
    'refuses the IP %j',
    (raw) => {
      expect(validateTarget('ip', raw)).toMatchObject({ ok: false });
    },
  );

  it.each([123, null, undefined, { ip: '10.0.0.1' }, ['alice']])('refuses a non-string %j', (raw) => {
    expect(validateTarget('user', raw)).toMatchObject({ ok: false, reason: expect.stringContaining('must be a string') });
  });

  it.each(['alice\nbob', 'a\u0000b', 'a\u2028b', 'a\u009bb', 'x'.repeat(257), '   '])('refuses the name %j', (raw) => {
    expect(validateTarget('user', raw)).toMatchObject({ ok: false });
  });

  it.each(['.', '..'])('refuses the host %j', (raw) => {
    expect(validateTarget('host', raw)).toMatchObject({ ok: false });
  });

  it('keeps quotes, backslashes and shell syntax in a name: adapters escape them for their protocol', () => {
    expect(validateTarget('user', ' a"b\\c; rm -rf / ')).toEqual({ ok: true, target: 'a"b\\c; rm -rf /' });
    expect(validateTarget('host', 'x'.repeat(256))).toMatchObject({ ok: true });
  });
});

describe('normalizeIp', () => {
  it('returns null for anything that is not an address', () => {
    expect(normalizeIp('localhost')).toBeNull();
  });
});
