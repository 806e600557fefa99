import { join } from 'node:path';
import { IndicatorTable } from './indicator';
import { intelFileSchema } from './intel.schema';
import { loadList } from './load';
import { loadListOffThread } from './load-off-thread';
import { matchPacked, packedSize, packV4 } from './packed';
import { ind, NOW } from '../../../test/fixtures/intel/indicators';

const address = (text: string) => text.split('.').reduce((n, part) => n * 256 + Number(part), 0);

describe(packV4.name, () => {
  it("packs plain IPv4 addresses and networks at the list's confidence, and keeps the others as they are", () => {
    const { packed, rest } = packV4('l', [
      ind('ip', '192.0.2.1'),
      ind('ip', '192.0.2.1'),
      ind('cidr', '198.51.100.0/24'),
      ind('ip', '2001:db8::1'),
      ind('ip', '192.0.2.9', { ref: { type: 'stix', id: 'indicator--1' } }),
      ind('ip', '192.0.2.10', { validUntil: NOW + 1 }),
      ind('ip', '192.0.2.11', { confidence: 90 }),
      ind('domain', 'example.org'),
    ]);
    expect([packedSize(packed), packed.confidence, rest.map((i) => i.value)]).toEqual([
      2,
      50,
      ['2001:db8::1', '192.0.2.9', '192.0.2.10', '192.0.2.11', 'example.org'],
    ]);
  });

  it('matches the most specific network first, at both ends of the address space', () => {
    const { packed } = packV4('l', [ind('cidr', '10.0.0.0/8'), ind('ip', '10.1.2.3'), ind('ip', '255.255.255.255'), ind('ip', '0.0.0.0')]);
    expect([
      matchPacked(packed, address('10.1.2.3')).map((i) => [i.kind, i.value]),
      matchPacked(packed, address('255.255.255.255')).map((i) => i.value),
      matchPacked(packed, address('0.0.0.0')).map((i) => i.value),
      matchPacked(packed, address('11.0.0.1')),
    ]).toEqual([
      [
        ['ip', '10.1.2.3'],
        ['cidr', '10.0.0.0/8'],
      ],
      ['255.255.255.255'],
      ['0.0.0.0'],
      [],
    ]);
  });
});

describe('IndicatorTable with packed indicators', () => {
  it('merges packed and kept matches, the most specific first', () => {
    const { packed, rest } = packV4('l', [
      ind('ip', '203.0.113.7'),
      ind('cidr', '203.0.113.0/24', { ref: { type: 'misp', event: 'e-1' } }),
      ind('cidr', '203.0.0.0/16'),
    ]);
    const table = new IndicatorTable(rest, packed);
    expect([table.size, table.matchIp('203.0.113.7', NOW).map((i) => i.value)]).toEqual([
      3,
      ['203.0.113.7', '203.0.113.0/24', '203.0.0.0/16'],
    ]);
  });
});

describe(loadListOffThread.name, () => {
  const fixtures = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'intel');
  const list = (l: Record<string, unknown>) => intelFileSchema.parse({ lists: [l] }).lists[0];

  it('reads a list in a worker thread: the same indicators as on this thread, the IPv4 ones packed', async () => {
    const config = list({ name: 'ipsum', format: 'text', file: join('blocklists', 'ipsum-level5.txt') });
    const [off, on] = await Promise.all([loadListOffThread(config, fixtures), loadList(config, fixtures)]);
    // IPsum level 5: 1,413 addresses, all IPv4 and plain.
    expect([off.count, packedSize(off.packed), off.rest.length, on.indicators.length]).toEqual([1_413, 1_413, 0, 1_413]);
  });

  it('rejects with the reason when the list cannot be read', async () => {
    await expect(loadListOffThread(list({ name: 'x', format: 'text', file: 'nope.txt' }), fixtures)).rejects.toThrow(/nope\.txt/);
  });
});
