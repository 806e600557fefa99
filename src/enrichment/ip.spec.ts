import { CidrMap, formatCidr, internalRange, parseCidr, parseIp } from './ip';

describe('internalRange', () => {
  it.each([
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.10.1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['192.0.2.10', 'reserved'], // TEST-NET-1
    ['198.51.100.7', 'reserved'], // TEST-NET-2
    ['203.0.113.7', 'reserved'], // TEST-NET-3
    ['198.18.0.1', 'reserved'], // benchmarking (RFC 2544)
    ['240.0.0.1', 'reserved'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'linkLocal'],
    ['fd12:3456:789a::1', 'uniqueLocal'],
    ['2001:db8::1', 'reserved'], // documentation (RFC 3849)
    ['ff02::1', 'multicast'],
    ['::', 'unspecified'],
    ['::ffff:10.0.0.1', 'private'], // IPv4-mapped
  ])('%s is internal (%s)', (ip, range) => {
    expect(internalRange(ip)).toBe(range);
  });

  it.each(['81.2.69.142', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:218::1', '2a00:1450::1', '::ffff:8.8.8.8'])(
    '%s is not internal',
    (ip) => {
      expect(internalRange(ip)).toBeUndefined();
    },
  );

  it('says nothing of what is not an address', () => {
    expect(internalRange('not-an-ip')).toBeUndefined();
  });
});

describe('parseIp', () => {
  it('reads an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(parseIp('::ffff:192.0.2.1')).toEqual(parseIp('192.0.2.1'));
  });

  it.each(['1.2.3', '127.1', '0x7f.0.0.1', 'fe80::1%eth0', '1.2.3.4/32', ''])('refuses %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3/8', '10.0.0.0/8'], // host bits cleared
    ['223.166.0.0/15', '223.166.0.0/15'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.0.2.1', '192.0.2.1/32'],
    ['2001:DB8:0:0::/32', '2001:db8::/32'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
  ])('%s is %s', (text, canonical) => {
    expect(formatCidr(parseCidr(text)!)).toBe(canonical);
  });

  it.each(['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '10.0.0.0/8x', 'ten/8', '::ffff:10.0.0.0/95'])('refuses %s', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe(CidrMap.name, () => {
  const map = new CidrMap<string>();
  for (const cidr of ['10.0.0.0/8', '10.20.0.0/16', '10.20.1.5/32', '0.0.0.0/0', '2001:db8::/32', '2001:db8:1::/48'])
    map.add(parseCidr(cidr)!, cidr);

  it('finds every network holding an address, the most specific first', () => {
    expect(map.match(parseIp('10.20.1.5')!)).toEqual(['10.20.1.5/32', '10.20.0.0/16', '10.0.0.0/8', '0.0.0.0/0']);
  });

  it('finds IPv6 networks apart from IPv4 ones', () => {
    expect(map.match(parseIp('2001:db8:1::7')!)).toEqual(['2001:db8:1::/48', '2001:db8::/32']);
  });

  it('finds only the catch-all for an address outside the others', () => {
    expect(map.match(parseIp('11.0.0.1')!)).toEqual(['0.0.0.0/0']);
  });

  it('keeps the top of the IPv4 space apart (no signed-integer mix-up)', () => {
    const high = new CidrMap<string>();
    high.add(parseCidr('255.255.255.0/24')!, 'top');
    expect([high.match(parseIp('255.255.255.9')!), high.match(parseIp('127.255.255.9')!)]).toEqual([['top'], []]);
  });
});
