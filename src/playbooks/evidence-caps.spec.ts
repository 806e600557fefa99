import { BundleFill, evidenceCaps, fitAlert, fitTimeline } from './evidence-caps';

/** A payload as PostgreSQL renders jsonb (a space after the colon): 2,015 bytes. */
const BIG_RAW = `{"payload": "${'x'.repeat(2000)}"}`;
/** sha256sum of BIG_RAW, computed outside the code under test. */
const BIG_RAW_SHA256 = '2abb568b35930ea6cf4857649e6844b62b4e0ab74fd017dd9ec03dcd0a489d51';

describe('evidenceCaps', () => {
  it('takes the defaults for what is not asked', () => {
    expect(evidenceCaps({ maxItems: 30_000, maxItemBytes: undefined })).toEqual({
      maxItems: 30_000,
      maxItemBytes: 262_144,
      maxBundleBytes: 67_108_864,
    });
  });

  it.each([
    [{ maxItems: 0 }, 'max_items must be a whole number from 1 to 100000; got 0'],
    [{ maxItemBytes: 100 }, 'max_item_bytes must be a whole number from 1024 to 16777216; got 100'],
    [{ maxBundleBytes: 1.5e9 }, 'max_bundle_bytes must be a whole number from 1024 to 1073741824; got 1500000000'],
    [{ maxItemBytes: 8192, maxBundleBytes: 4096 }, 'max_item_bytes (8192) must not be larger than max_bundle_bytes (4096)'],
  ])('refuses %j, naming the field as a playbook writes it', (asked, message) => {
    expect(() => evidenceCaps(asked)).toThrow(new RangeError(message));
  });
});

describe('fitAlert', () => {
  const view = { id: 'a1', title: 'Port scan' };

  it('keeps an alert whole, its payload in canonical form, when it fits', () => {
    expect(fitAlert(view, { text: '{"sid": 7, "dest_port": 22}' }, 1024)).toEqual({
      content: '{"id":"a1","raw":{"dest_port":22,"sid":7},"title":"Port scan"}',
      bytes: 62,
    });
  });

  it('replaces a payload that does not fit by its length and hash, and names the cut', () => {
    const fitted = fitAlert(view, { text: BIG_RAW }, 1024);
    expect(fitted).toEqual({
      content: `{"id":"a1","raw":{"cut":{"bytes":2015,"sha256":"${BIG_RAW_SHA256}"}},"title":"Port scan"}`,
      bytes: 136,
      cut: { path: '/raw', bytes: 2015, sha256: BIG_RAW_SHA256 },
    });
  });

  it('cuts a payload the database left unread from the length and hash it read instead', () => {
    expect(fitAlert(view, { unread: { bytes: 5_000_000, sha256: 'ab'.repeat(32) } }, 1024)).toEqual({
      content: `{"id":"a1","raw":{"cut":{"bytes":5000000,"sha256":"${'ab'.repeat(32)}"}},"title":"Port scan"}`,
      bytes: 139,
      cut: { path: '/raw', bytes: 5_000_000, sha256: 'ab'.repeat(32) },
    });
  });

  it('hands back an alert still over the cap with its payload cut, for the bundle to drop', () => {
    expect(fitAlert({ id: 'a1', description: 'd'.repeat(2000) }, { text: '{}' }, 1024).bytes).toBe(2130);
  });
});

describe('fitTimeline', () => {
  const entries = [{ a: 1 }, { a: 2 }, { a: 3 }];

  it('keeps the whole timeline when it fits', () => {
    expect(fitTimeline(entries, 25)).toEqual({ content: '[{"a":1},{"a":2},{"a":3}]', bytes: 25 });
  });

  it('keeps the oldest entries that fit and names the rest by where they began', () => {
    expect(fitTimeline(entries, 24)).toEqual({
      content: '[{"a":1},{"a":2}]',
      bytes: 17,
      cut: { path: '/2', bytes: 9, sha256: '2a0c8c348781dd2ca3b9931b4382cdb5cbaea49dc099229f61917f5c6e5e4aeb' },
    });
  });

  it('keeps an empty list when not even the first entry fits', () => {
    expect(fitTimeline(entries, 8)).toEqual({
      content: '[]',
      bytes: 2,
      cut: { path: '/0', bytes: 25, sha256: '681bfe87d01313d26530dcf760028fca4adeb379a6c75a282e269b19c794a41d' },
    });
  });
});

describe('BundleFill', () => {
  const caps = { maxItems: 10, maxItemBytes: 40, maxBundleBytes: 100 };
  const item = (bytes: number, cutBytes?: number) => ({
    content: 'x'.repeat(bytes),
    bytes,
    ...(cutBytes ? { cut: { path: '/raw', bytes: cutBytes, sha256: 'c'.repeat(64) } } : {}),
  });

  it('keeps items while they fit, drops the one that does not, and still keeps a smaller one after it', () => {
    const fill = new BundleFill(caps);
    const kept = [item(40), item(40), item(30), item(20)].map((it, i) => fill.offer('alert', `a${i}`, it));
    expect({ kept, summary: fill.summary(), bytes: fill.bytes }).toEqual({
      kept: [true, true, false, true],
      summary: {
        truncated: { items: 0, bytes: 0 },
        dropped: { items: 1, bytes: 30, list: [{ kind: 'alert', ref: 'a2', bytes: 30, reason: 'bundle' }] },
      },
      bytes: 100,
    });
  });

  it('drops an item over maxItemBytes even with room left', () => {
    const fill = new BundleFill(caps);
    expect({ kept: fill.offer('related_alert', 'r1', item(41)), dropped: fill.summary().dropped.list }).toEqual({
      kept: false,
      dropped: [{ kind: 'related_alert', ref: 'r1', bytes: 41, reason: 'item' }],
    });
  });

  it('gives the room set aside to nothing but the item it was set aside for', () => {
    const fill = new BundleFill(caps, 30);
    const kept = [fill.offer('alert', 'a1', item(40)), fill.offer('alert', 'a2', item(40)), fill.offer('timeline', 'i1', item(30), true)];
    expect({ kept, bytes: fill.bytes }).toEqual({ kept: [true, false, true], bytes: 70 });
  });

  it('counts the kept items that were cut and the bytes taken out of them', () => {
    const fill = new BundleFill(caps);
    fill.offer('alert', 'a1', item(30, 5000));
    fill.offer('alert', 'a2', item(30, 7000));
    fill.offer('alert', 'a3', item(30));
    expect(fill.summary().truncated).toEqual({ items: 2, bytes: 12_000 });
  });
});
