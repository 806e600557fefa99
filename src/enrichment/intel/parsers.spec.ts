import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsvList, parseMispEvent, parseStixBundle, parseTextList, simplePatternValues, type ListDefaults } from './parsers';

const intel = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'intel');
const text = (path: string) => readFileSync(join(intel, path), 'utf8');
const json = (path: string): unknown => JSON.parse(text(path));
const defaults: ListDefaults = { list: 'test', confidence: 60 };
const LOCKY = '5721c2e4-05ec-4af3-9264-411b950d210f';
const countBy = <T>(items: T[], key: (t: T) => string) =>
  items.reduce<Record<string, number>>((acc, t) => ({ ...acc, [key(t)]: (acc[key(t)] ?? 0) + 1 }), {});

// Expected counts and values come from test/fixtures/intel/SOURCES.md and the files themselves.
describe('parseMispEvent', () => {
  const locky = parseMispEvent(json(`misp-feed/${LOCKY}.json`), defaults, { toIdsOnly: true });

  it('takes every matchable to_ids attribute of the Locky event (16 ip-dst, 7 domain, 4 hostname, 17 url, 27×3 hashes)', () => {
    expect(countBy(locky.indicators, (i) => (i.kind === 'hash' ? `hash:${i.hashType}` : i.kind))).toEqual({
      ip: 16,
      domain: 11,
      url: 17,
      'hash:sha1': 27,
      'hash:sha256': 27,
      'hash:md5': 27,
    });
  });

  it('leaves out links (not to_ids) and bare file names, and counts them', () => {
    expect(locky.skipped).toEqual({ 'MISP type link not matched': 25, 'MISP type filename not matched': 2 });
  });

  it('records the event (uuid and info) and the list defaults on each indicator', () => {
    expect(locky.indicators.find((i) => i.value === 'htankds.info')).toEqual({
      kind: 'domain',
      value: 'htankds.info',
      list: 'test',
      confidence: 60,
      ref: { type: 'misp', event: LOCKY, info: 'Malspam (2016-04-28) - Locky (#2)' },
    });
  });

  it('takes the IP of an ip-dst attribute (50.6.80.163)', () => {
    expect(locky.indicators.filter((i) => i.value === '50.6.80.163').map((i) => i.kind)).toEqual(['ip']);
  });

  it('takes the hash part of filename|sha256 and of malware-sample (filename|md5)', () => {
    const hash = (value: string) => locky.indicators.find((i) => i.value === value)?.hashType;
    expect([hash('5639ebb53ec8e33d90129b9063d76abf83d40c5f85eba843346c9dbd141a8150'), hash('f34888e54bb3f7a95fc262cec94afe84')]).toEqual([
      'sha256',
      'md5',
    ]);
  });

  it('reads an event with no attributes as empty (the other feed event)', () => {
    expect(parseMispEvent(json('misp-feed/57e27c3d-17a8-4c3b-8195-493e950d210f.json'), defaults, { toIdsOnly: true })).toEqual({
      indicators: [],
      skipped: {},
    });
  });

  it("takes the attributes inside an event's objects (Qakbot/Emotet: 19 ip-dst attributes and 24 in ip-port objects)", () => {
    const event = parseMispEvent(json('misp-events/5a0ac036-6fbc-4855-83af-422b950d210f.json'), defaults, { toIdsOnly: true });
    expect([event.indicators.filter((i) => i.kind === 'ip').length, event.indicators.some((i) => i.value === '105.224.247.34')]).toEqual([
      43,
      true,
    ]);
  });

  it('takes attributes not flagged to_ids only when told to, and never deleted ones', () => {
    const event = {
      Event: {
        uuid: 'e1',
        info: 'x',
        Attribute: [
          { type: 'ip-dst', value: '192.0.2.1', to_ids: false },
          { type: 'ip-dst', value: '192.0.2.2', to_ids: true, deleted: true },
          { type: 'domain|ip', value: 'a.example|192.0.2.3', to_ids: true },
        ],
      },
    };
    expect([
      parseMispEvent(event, defaults, { toIdsOnly: true }).indicators.map((i) => i.value),
      parseMispEvent(event, defaults, { toIdsOnly: false }).indicators.map((i) => i.value),
    ]).toEqual([
      ['a.example', '192.0.2.3'],
      ['192.0.2.1', 'a.example', '192.0.2.3'],
    ]);
  });

  it('expires indicators max_age after the attribute was published', () => {
    const aged = parseMispEvent(json(`misp-feed/${LOCKY}.json`), { ...defaults, maxAgeMs: 86_400_000 }, { toIdsOnly: true });
    const ip = aged.indicators.find((i) => i.value === '50.6.80.163')!;
    expect(new Date(ip.validUntil!).getUTCFullYear()).toBe(2016);
  });

  it('says what is wrong with a file that is no MISP event', () => {
    expect(parseMispEvent({ response: [] }, defaults, { toIdsOnly: true }).skipped).toEqual({ 'not a MISP event (no "Event" object)': 1 });
  });
});

describe('parseStixBundle', () => {
  it('takes the APT1 CIDRs, domains and MD5s and leaves out the two x509 (AND) patterns', () => {
    const apt1 = parseStixBundle(json('stix/apt1.json'), defaults);
    expect([countBy(apt1.indicators, (i) => i.kind), apt1.skipped]).toEqual([{ cidr: 4, domain: 3, hash: 3 }, { 'pattern not simple': 2 }]);
  });

  it('records the STIX id and name', () => {
    const apt1 = parseStixBundle(json('stix/apt1.json'), defaults);
    expect(apt1.indicators.find((i) => i.value === '223.166.0.0/15')).toEqual({
      kind: 'cidr',
      value: '223.166.0.0/15',
      list: 'test',
      confidence: 60,
      ref: { type: 'stix', id: expect.stringMatching(/^indicator--/), name: 'HTRAN Hop Point Accessor' },
      validFrom: expect.any(Number),
    });
  });

  it('splits Poison Ivy OR patterns into a domain and its IPs', () => {
    const pivy = parseStixBundle(json('stix/poisonivy.json'), defaults);
    const values = pivy.indicators.filter((i) => i.ref?.type === 'stix' && i.ref.name === 'nkr.iphone.qpoe.com').map((i) => i.value);
    expect(values).toEqual(['nkr.iphone.qpoe.com', '180.210.206.96', '101.78.151.179']);
  });

  it("leaves out a value that is not what its object says ('domain autuo.xicp.net') and file:name patterns", () => {
    const pivy = parseStixBundle(json('stix/poisonivy.json'), defaults);
    expect(pivy.skipped).toEqual({ 'not a valid domain': 1, 'pattern not simple': 2 });
  });

  it("uses the indicator's own confidence and valid_until, and leaves out revoked indicators", () => {
    const bundle = {
      type: 'bundle',
      objects: [
        {
          type: 'indicator',
          id: 'indicator--1',
          pattern_type: 'stix',
          pattern: "[ipv4-addr:value = '198.51.100.0/24']",
          confidence: 90,
          valid_from: '2020-01-01T00:00:00Z',
          valid_until: '2021-01-01T00:00:00Z',
        },
        { type: 'indicator', id: 'indicator--2', pattern_type: 'stix', pattern: "[url:value = 'http://x.example/a']", revoked: true },
        { type: 'indicator', id: 'indicator--3', pattern_type: 'sigma', pattern: 'title: x' },
      ],
    };
    const p = parseStixBundle(bundle, defaults);
    expect([p.indicators.map((i) => [i.value, i.confidence, i.validUntil]), p.skipped]).toEqual([
      [['198.51.100.0/24', 90, Date.parse('2021-01-01T00:00:00Z')]],
      { revoked: 1, 'pattern_type sigma': 1 },
    ]);
  });
});

describe('simplePatternValues', () => {
  it.each([
    ["[ipv6-addr:value = '2001:db8::/32']", [{ kind: 'ip', value: '2001:db8::/32' }]],
    ["[file:hashes.'SHA-256' = 'ABC']", [{ kind: 'hash', value: 'ABC' }]],
    ["[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", [{ kind: 'hash', value: 'd41d8cd98f00b204e9800998ecf8427e' }]],
    ["[url:value = 'http://x.example/it\\'s']", [{ kind: 'url', value: "http://x.example/it's" }]],
    [
      "[domain-name:value = 'a.example'] OR [ipv4-addr:value = '192.0.2.1']",
      [
        { kind: 'domain', value: 'a.example' },
        { kind: 'ip', value: '192.0.2.1' },
      ],
    ],
  ])('reads %s', (pattern, values) => {
    expect(simplePatternValues(pattern)).toEqual(values);
  });

  it.each([
    "[ipv4-addr:value = '192.0.2.1' AND ipv4-addr:value = '192.0.2.2']",
    "[ipv4-addr:value != '192.0.2.1']",
    "[ipv4-addr:value = '192.0.2.1'] WITHIN 5 SECONDS",
    "[file:name = 'x.exe']",
    "[ipv4-addr:value = '192.0.2.1'",
    "[ipv4-addr:value = '192.0.2.1']]",
    '',
  ])('refuses %j', (pattern) => {
    expect(simplePatternValues(pattern)).toBeUndefined();
  });
});

describe('parseTextList', () => {
  it('takes the 1,413 addresses of IPsum level 5', () => {
    const ipsum = parseTextList(text('blocklists/ipsum-level5.txt'), defaults);
    expect([ipsum.indicators.length, new Set(ipsum.indicators.map((i) => i.kind))]).toEqual([1413, new Set(['ip'])]);
  });

  it('takes the domains and URLs of the Maltrail trail, skipping comments and bare paths', () => {
    const maltrail = parseTextList(text('blocklists/maltrail-locky.txt'), defaults);
    expect([
      maltrail.indicators.find((i) => i.value === 'htankds.info')?.kind,
      maltrail.indicators.find((i) => i.value === 'http://86.104.134.144/main.php')?.kind,
      maltrail.indicators.some((i) => i.value.startsWith('#')),
      maltrail.skipped,
    ]).toEqual(['domain', 'url', false, { 'not an IP, CIDR, domain, URL or hash': 14 }]);
  });

  it('ignores comments and text after a value, and reads what `kind` says', () => {
    const list = parseTextList('# comment\n192.0.2.1\t7\n\nbad value\n', defaults, 'ip');
    expect([list.indicators, list.skipped]).toEqual([
      [{ kind: 'ip', value: '192.0.2.1', list: 'test', confidence: 60 }],
      { 'not a valid ip': 1 },
    ]);
  });
});

describe('parseCsvList', () => {
  it('reads the named column with a header, and a valid_until column', () => {
    const csv = 'first_seen,dst_ip,expires\n2024-01-01,192.0.2.1,2030-01-01T00:00:00Z\n2024-01-02,"198.51.100.0/24",\n';
    const list = parseCsvList(csv, defaults, { column: 'dst_ip', header: true, delimiter: ',', valid_until_column: 'expires' });
    expect(list.indicators.map((i) => [i.kind, i.value, i.validUntil])).toEqual([
      ['ip', '192.0.2.1', Date.parse('2030-01-01T00:00:00Z')],
      ['cidr', '198.51.100.0/24', undefined],
    ]);
  });

  it('reads a column by index without a header, skipping # comments', () => {
    const list = parseCsvList('# abuse list\n1;evil.example;x\n2;other.example;y\n', defaults, {
      column: 1,
      header: false,
      delimiter: ';',
    });
    expect(list.indicators.map((i) => i.value)).toEqual(['evil.example', 'other.example']);
  });

  it('says when the header has no such column', () => {
    expect(parseCsvList('a,b\n1,2\n', defaults, { column: 'ip', header: true, delimiter: ',' }).skipped).toEqual({
      'no column "ip" in the header': 1,
    });
  });
});
