import { classify, IndicatorTable, IntelHolder, IntelSnapshot } from './indicator';
import { packV4 } from './packed';
import { ind, NOW } from '../../../test/fixtures/intel/indicators';

const none = { ips: [], domains: [], urls: [], hashes: [] };

describe('classify', () => {
  it.each([
    ['192.0.2.1', { kind: 'ip', value: '192.0.2.1' }],
    ['192.0.2.1/32', { kind: 'ip', value: '192.0.2.1' }],
    ['223.166.0.0/15', { kind: 'cidr', value: '223.166.0.0/15' }],
    ['2001:DB8::1', { kind: 'ip', value: '2001:db8::1' }],
    ['Evil.Example.', { kind: 'domain', value: 'evil.example' }],
    ['xn--80ak6aa92e.com', { kind: 'domain', value: 'xn--80ak6aa92e.com' }],
    ['HTTP://Evil.Example:80/a?b=1#frag', { kind: 'url', value: 'http://evil.example/a?b=1' }],
    ['D41D8CD98F00B204E9800998ECF8427E', { kind: 'hash', value: 'd41d8cd98f00b204e9800998ecf8427e', hashType: 'md5' }],
    ['da39a3ee5e6b4b0d3255bfef95601890afd80709', { kind: 'hash', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709', hashType: 'sha1' }],
  ])('%s is %j', (text, expected) => {
    expect(classify(text)).toEqual(expected);
  });

  it.each(['', 'domain autuo.xicp.net', '/upload/_dispatch.php', 'localhost', '1.2.3', 'x'.repeat(3000), 'abc123'])(
    '%j is nothing',
    (text) => {
      expect(classify(text)).toBeUndefined();
    },
  );

  it('reads a value as the kind it is told, or not at all', () => {
    expect([classify('192.0.2.1', 'domain'), classify('evil.example', 'domain')?.kind]).toEqual([undefined, 'domain']);
  });
});

describe(IndicatorTable.name, () => {
  const table = new IndicatorTable([
    ind('ip', '192.0.2.1'),
    ind('cidr', '198.51.100.0/24'),
    ind('cidr', '198.51.0.0/16', { confidence: 30 }),
    ind('cidr', '2001:db8::/32'),
    ind('domain', 'evil.example'),
    ind('url', 'http://evil.example/a'),
    ind('hash', 'd41d8cd98f00b204e9800998ecf8427e', { hashType: 'md5' }),
  ]);

  it('matches an address exactly', () => {
    expect(table.matchIp('192.0.2.1', NOW).map((i) => i.value)).toEqual(['192.0.2.1']);
  });

  it('matches an address inside networks, the most specific first', () => {
    expect(table.matchIp('198.51.100.7', NOW).map((i) => i.value)).toEqual(['198.51.100.0/24', '198.51.0.0/16']);
  });

  it('matches IPv6 in a network', () => {
    expect(table.matchIp('2001:db8:5::1', NOW).map((i) => i.value)).toEqual(['2001:db8::/32']);
  });

  it('does not match a neighbour', () => {
    expect([table.matchIp('192.0.2.2', NOW), table.matchIp('198.52.0.1', NOW)]).toEqual([[], []]);
  });

  it('matches domains, URLs and hashes exactly', () => {
    expect([
      table.matchExact('domain', 'evil.example', NOW).length,
      table.matchExact('domain', 'www.evil.example', NOW).length,
      table.matchExact('url', 'http://evil.example/a', NOW).length,
      table.matchExact('hash', 'd41d8cd98f00b204e9800998ecf8427e', NOW).length,
    ]).toEqual([1, 0, 1, 1]);
  });

  it('does not match an indicator from its valid_until on, nor before its valid_from', () => {
    const timed = new IndicatorTable([
      ind('ip', '192.0.2.1', { validUntil: NOW }),
      ind('ip', '192.0.2.2', { validUntil: NOW + 1 }),
      ind('ip', '192.0.2.3', { validFrom: NOW + 1 }),
    ]);
    expect(['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((ip) => timed.matchIp(ip, NOW).length)).toEqual([0, 1, 0]);
  });
});

describe(IntelSnapshot.name, () => {
  it('gives each hit its list, indicator, the alert value and field, confidence, reference and expiry', () => {
    const snapshot = new IntelSnapshot(
      new Map([
        [
          'apt1',
          new IndicatorTable([
            ind('cidr', '223.166.0.0/15', {
              list: 'apt1',
              confidence: 80,
              ref: { type: 'stix', id: 'indicator--1' },
              validUntil: NOW + 1000,
            }),
          ]),
        ],
        ['maltrail', new IndicatorTable([ind('domain', 'htankds.info', { list: 'maltrail' })])],
      ]),
    );
    const hits = snapshot.match(
      { ...none, ips: [{ field: 'sourceIp', value: '223.167.1.1' }], domains: [{ field: 'dns.rrname', value: 'htankds.info' }] },
      NOW,
    );
    expect(hits).toEqual([
      {
        list: 'apt1',
        kind: 'cidr',
        indicator: '223.166.0.0/15',
        matched: '223.167.1.1',
        field: 'sourceIp',
        confidence: 80,
        ref: { type: 'stix', id: 'indicator--1' },
        validUntil: new Date(NOW + 1000).toISOString(),
      },
      { list: 'maltrail', kind: 'domain', indicator: 'htankds.info', matched: 'htankds.info', field: 'dns.rrname', confidence: 50 },
    ]);
  });
});

describe(IntelHolder.name, () => {
  it('swaps in a rebuilt list whole; a snapshot taken before keeps answering as it was', () => {
    const holder = new IntelHolder();
    holder.replaceList('feed', [ind('ip', '192.0.2.1')]);
    const before = holder.current;
    holder.replaceList('feed', [ind('ip', '192.0.2.2')]);
    const ips = (s: IntelSnapshot) =>
      ['192.0.2.1', '192.0.2.2'].map((ip) => s.match({ ...none, ips: [{ field: 'sourceIp', value: ip }] }, NOW).length);
    expect([ips(before), ips(holder.current)]).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it('keeps the other lists when one is replaced, and drops lists no longer configured', () => {
    const holder = new IntelHolder();
    holder.replaceList('a', [ind('ip', '192.0.2.1')]);
    holder.replaceList('b', [ind('ip', '192.0.2.2')]);
    holder.replaceList('a', []);
    const kept = [...holder.current.lists.keys()];
    holder.keepOnly(['b']);
    expect([kept, [...holder.current.lists.keys()], holder.current.size]).toEqual([['a', 'b'], ['b'], 1]);
  });
});

describe('IndicatorTable.build (in chunks)', () => {
  const many = Array.from({ length: 2_500 }, (_, n) => ind('ip', `198.18.${Math.floor(n / 250)}.${n % 250}`));

  it('indexes every indicator, as the constructor does', async () => {
    const table = await IndicatorTable.build(many, undefined, 1_000);
    expect([table.size, table.matchIp('198.18.9.249', NOW).length]).toEqual([2_500, 1]);
  });

  it('lets the event loop run between chunks', async () => {
    let done = false;
    let ranBeforeDone: boolean | undefined;
    setImmediate(() => (ranBeforeDone = !done));
    await IndicatorTable.build(many, undefined, 1_000).then(() => (done = true));
    expect(ranBeforeDone).toBe(true);
  });
});

describe('IntelHolder.replacePacked', () => {
  it('swaps the new list in whole once built: the new indicator matches, the old one no longer', async () => {
    const holder = new IntelHolder();
    holder.replaceList('l', [ind('ip', '203.0.113.1')]);
    const { packed, rest } = packV4('l', [ind('ip', '203.0.113.2')]);
    await holder.replacePacked('l', packed, rest);
    const table = holder.current.lists.get('l')!;
    expect([table.matchIp('203.0.113.2', NOW).length, table.matchIp('203.0.113.1', NOW).length]).toEqual([1, 0]);
  });
});
