import fc from 'fast-check';
import {
  buildManifest,
  canonicalJson,
  ChainCheck,
  cutOf,
  exportedMembers,
  exportedText,
  SealedBundle,
  sha256Hex,
  StoredBundle,
  StoredItem,
  storedText,
  verifyChain,
} from './evidence';

const INCIDENT = '7d2b8a4e-1f3c-4e5a-9b6d-0c1e2f3a4b5c';

/** A chain of `count` bundles, each holding `items` alert items, sealed as collect seals them. */
function chain(count: number, items = 3): { bundles: StoredBundle[]; sealed: SealedBundle[] } {
  const bundles: StoredBundle[] = [];
  let previousHash: string | null = null;
  for (let seq = 1; seq <= count; seq++) {
    const stored: StoredItem[] = Array.from({ length: items }, (_, i) => {
      const content = canonicalJson({ id: `alert-${seq}-${i}`, raw: { payload: `GET /?q=${seq}${i}' OR 1=1`, bytes: [seq, i] } });
      return { n: i + 1, kind: 'alert', ref: `alert-${seq}-${i}`, content, sha256: sha256Hex(content) };
    });
    const { manifest, manifestHash } = buildManifest({
      incidentId: INCIDENT,
      seq,
      runId: 'c0ffee00-0000-4000-8000-000000000001',
      stepId: `evidence-${seq}`,
      createdAt: new Date(Date.UTC(2026, 10, 20, 12, seq)).toISOString(),
      previousHash,
      items: stored.map((s) => ({ n: s.n, kind: 'alert', ref: s.ref, sha256: s.sha256, bytes: Buffer.byteLength(s.content) })),
      criteria: { windowSeconds: 3600, relatedBy: ['ip'] },
      omitted: { alert: 0 },
    });
    bundles.push({ seq, incidentId: INCIDENT, manifest, manifestHash, previousHash, items: stored });
    previousHash = manifestHash;
  }
  return { bundles, sealed: bundles.map((b) => ({ seq: b.seq, manifestHash: b.manifestHash })) };
}

/** The text with one byte changed: the character at `at` replaced by another ASCII one. */
const oneByteChanged = (text: string, at: number) => text.slice(0, at) + (text[at] === 'x' ? 'y' : 'x') + text.slice(at + 1);

describe('canonicalJson', () => {
  it('gives the same text for the same value whatever the key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const shuffled = JSON.parse(JSON.stringify(value, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? reversed(v) : v)));
        expect(canonicalJson(shuffled)).toBe(canonicalJson(value));
      }),
    );
  });

  it('round-trips through JSON.parse to the same text', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => expect(canonicalJson(JSON.parse(canonicalJson(value)))).toBe(canonicalJson(value))));
  });

  it('sorts keys, leaves no whitespace and writes dates as ISO strings', () => {
    expect(canonicalJson({ b: [1, { d: null, c: 'x y' }], a: true, at: new Date('2026-11-20T12:00:00Z'), skip: undefined })).toBe(
      '{"a":true,"at":"2026-11-20T12:00:00.000Z","b":[1,{"c":"x y","d":null}]}',
    );
  });

  it('keeps a "__proto__" key as data', () => {
    expect(canonicalJson(JSON.parse('{"__proto__":{"x":1},"a":2}'))).toBe('{"__proto__":{"x":1},"a":2}');
  });

  it.each([NaN, Infinity, -Infinity])('refuses the non-finite number %p, naming where it is', (n) => {
    expect(() => canonicalJson({ a: [1, n] })).toThrow('/a/1');
  });

  it('refuses a cycle', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow('cycle');
  });

  it('refuses a bigint', () => {
    expect(() => canonicalJson({ n: 1n })).toThrow('bigint');
  });
});

function reversed(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).reverse());
}

describe('buildManifest', () => {
  it('hashes the canonical manifest text, whatever order the items came in', () => {
    const items = [
      { n: 2, kind: 'timeline' as const, ref: null, sha256: 'b'.repeat(64), bytes: 2 },
      { n: 1, kind: 'alert' as const, ref: 'a1', sha256: 'a'.repeat(64), bytes: 1 },
    ];
    const base = { incidentId: INCIDENT, seq: 1, runId: null, stepId: null, createdAt: '2026-11-20T12:00:00.000Z', previousHash: null };
    const one = buildManifest({ ...base, items });
    const other = buildManifest({ ...base, items: [...items].reverse() });
    expect(other).toEqual(one);
    expect(one.manifestHash).toBe(sha256Hex(one.manifest));
    expect(JSON.parse(one.manifest).items.map((i: { n: number }) => i.n)).toEqual([1, 2]);
  });
});

describe('buildManifest, version 2', () => {
  const base = { incidentId: INCIDENT, seq: 1, runId: null, stepId: null, createdAt: '2026-11-20T12:00:00.000Z', previousHash: null };
  const cut = {
    truncated: { items: 1, bytes: 5000 },
    dropped: { items: 1, bytes: 900, list: [{ kind: 'alert' as const, ref: 'a2', bytes: 900, reason: 'bundle' as const }] },
  };

  it('records the caps, what they cut, and the cut of each item that lost a part', () => {
    const { manifest } = buildManifest({
      ...base,
      items: [
        { n: 1, kind: 'alert', ref: 'a1', sha256: 'a'.repeat(64), bytes: 120, cut: { path: '/raw', bytes: 5000, sha256: 'c'.repeat(64) } },
      ],
      caps: { maxItems: 10, maxItemBytes: 1024, maxBundleBytes: 1024 },
      cut,
    });
    expect(manifest).toBe(
      '{"algorithm":"sha256","caps":{"maxBundleBytes":1024,"maxItemBytes":1024,"maxItems":10},' +
        '"createdAt":"2026-11-20T12:00:00.000Z","criteria":null,' +
        '"cut":{"dropped":{"bytes":900,"items":1,"list":[{"bytes":900,"kind":"alert","reason":"bundle","ref":"a2"}]},"truncated":{"bytes":5000,"items":1}},' +
        `"incidentId":"${INCIDENT}","items":[{"bytes":120,"cut":{"bytes":5000,"path":"/raw","sha256":"${'c'.repeat(64)}"},"kind":"alert","n":1,"ref":"a1","sha256":"${'a'.repeat(64)}"}],` +
        '"omitted":{},"previousHash":null,"runId":null,"seq":1,"stepId":null,"version":2}',
    );
  });

  it('reads back what was cut, and nothing for a bundle kept whole', () => {
    const whole = { truncated: { items: 0, bytes: 0 }, dropped: { items: 0, bytes: 0, list: [] } };
    expect(
      [buildManifest({ ...base, items: [], cut }), buildManifest({ ...base, items: [], cut: whole })].map((m) => cutOf(m.manifest)),
    ).toEqual([cut, null]);
  });
});

describe('ChainCheck', () => {
  it('accepts bundles streamed in any order, each followed by its items in any order', () => {
    const { bundles, sealed } = chain(3);
    const check = new ChainCheck();
    for (const { items, ...head } of [bundles[2], bundles[0], bundles[1]]) {
      check.bundle(head);
      for (const item of [...items].reverse()) check.item(item);
    }
    expect(check.finish(sealed)).toEqual({ ok: true, problems: [] });
  });

  it('reports an item that came after another bundle started as missing from its own', () => {
    const { bundles } = chain(2);
    const check = new ChainCheck();
    const [first, second] = bundles.map(({ items, ...head }) => ({ head, items }));
    check.bundle(first.head);
    check.item(first.items[0]);
    check.item(first.items[1]);
    check.bundle(second.head);
    for (const item of second.items) check.item(item);
    check.item(first.items[2]);
    expect(check.finish(null).problems).toEqual([
      { seq: 1, item: 3, message: 'item 3 is in the manifest but missing' },
      { seq: 2, item: 3, message: expect.stringContaining('(the content was changed)') },
      { seq: 2, item: 3, message: "item 3: kind or ref differs from the manifest's" },
    ]);
  });
});

describe('verifyChain', () => {
  it('accepts an untouched chain', () => {
    const { bundles, sealed } = chain(3);
    expect(verifyChain(bundles, sealed)).toEqual({ ok: true, problems: [] });
  });

  it('detects one changed byte in an item, naming its bundle seq and item n', () => {
    const { bundles, sealed } = chain(3);
    const item = bundles[1].items[2];
    item.content = oneByteChanged(item.content, 10);
    const verdict = verifyChain(bundles, sealed);
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual([
      expect.objectContaining({ seq: 2, item: 3, message: expect.stringContaining('content was changed') }),
    ]);
  });

  it('detects reordered keys in stored content, since the stored text is what was hashed', () => {
    const { bundles, sealed } = chain(2);
    const item = bundles[0].items[0];
    const value = JSON.parse(item.content) as Record<string, unknown>;
    item.content = JSON.stringify(reversed(value));
    expect(item.content).not.toBe(canonicalJson(value));
    expect(verifyChain(bundles, sealed).problems).toEqual([expect.objectContaining({ seq: 1, item: 1 })]);
  });

  it('detects a removed middle bundle as a gap in seq', () => {
    const { bundles, sealed } = chain(3);
    const verdict = verifyChain([bundles[0], bundles[2]], sealed);
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual([{ seq: 2, message: 'bundle seq 2 is missing from the chain' }]);
  });

  it('detects a removed newest bundle through the seals in the audit log', () => {
    const { bundles, sealed } = chain(3);
    expect(verifyChain(bundles.slice(0, 2), sealed).problems).toEqual([
      { seq: 3, message: 'bundle seq 3 was sealed (audit log) but is missing' },
    ]);
  });

  it('detects every bundle removed through the audit log', () => {
    const { sealed } = chain(2);
    expect(verifyChain([], sealed).problems.map((p) => p.seq)).toEqual([1, 2]);
  });

  it('detects a rewritten item whose hashes were recomputed: the manifest hash no longer matches the seal', () => {
    const { bundles, sealed } = chain(2);
    const b = bundles[1];
    b.items[0].content = canonicalJson({ id: 'forged' });
    b.items[0].sha256 = sha256Hex(b.items[0].content);
    const manifest = JSON.parse(b.manifest);
    manifest.items[0].sha256 = b.items[0].sha256;
    b.manifest = canonicalJson(manifest);
    b.manifestHash = sha256Hex(b.manifest);
    expect(verifyChain(bundles, sealed).problems).toEqual([
      expect.objectContaining({ seq: 2, message: expect.stringContaining('sealed') }),
    ]);
  });

  it('detects a broken link to the previous bundle', () => {
    const { bundles, sealed } = chain(3);
    bundles[2].previousHash = 'f'.repeat(64);
    const verdict = verifyChain(bundles, sealed);
    expect(verdict.problems).toContainEqual(expect.objectContaining({ seq: 3, message: expect.stringContaining('previous_hash') }));
  });

  it('detects a changed manifest text', () => {
    const { bundles, sealed } = chain(1);
    bundles[0].manifest = bundles[0].manifest.replace('"seq":1', '"seq":1 ');
    expect(verifyChain(bundles, sealed).problems).toContainEqual(
      expect.objectContaining({ seq: 1, message: expect.stringContaining('the manifest was changed') }),
    );
  });

  it('detects a removed item, naming it', () => {
    const { bundles, sealed } = chain(1);
    bundles[0].items.splice(1, 1);
    expect(verifyChain(bundles, sealed).problems).toEqual([{ seq: 1, item: 2, message: 'item 2 is in the manifest but missing' }]);
  });

  it('detects a bundle the audit log never sealed', () => {
    const { bundles, sealed } = chain(2);
    expect(verifyChain(bundles, sealed.slice(0, 1)).problems).toEqual([
      { seq: 2, message: 'bundle seq 2 was never sealed in the audit log' },
    ]);
  });
});

describe('exportedText and storedText', () => {
  it('export canonical text as its value alone, and get the same text back', () => {
    const text = canonicalJson({ b: 1, a: [true, null, 'é'] });
    const exported = exportedText(text);
    expect(exported).toEqual({ value: { a: [true, null, 'é'], b: 1 } });
    expect(storedText(exported.value, exported.exact)).toBe(text);
  });

  it.each(['{"b":1,"a":2}', '{"a":1} ', 'not json'])('carry the exact text of %p, which is not canonical', (text) => {
    const exported = exportedText(text);
    expect(exported.exact).toBe(text);
    expect(storedText(exported.value, exported.exact)).toBe(text);
  });
});

describe('exportedMembers', () => {
  const text = '{"a":[1,"é"],"b":null}';
  /** sha256sum of `text` in UTF-8, computed outside the code under test. */
  const textSha256 = '1e02bc81a26af2f027329541e97eef36f3290bedc6dfe043dbe66b057ecb13ba';

  it('writes the text as it is when it hashes to what was sealed', () => {
    expect(exportedMembers('content', 'contentText', text, textSha256)).toBe(`"content":${text}`);
  });

  it('re-encodes a text that does not, adding the exact text when re-encoding would not give it back', () => {
    expect([
      exportedMembers('content', 'contentText', text, 'f'.repeat(64)),
      exportedMembers('content', 'contentText', '{"b":null, "a":1}', 'f'.repeat(64)),
      exportedMembers('manifest', 'manifestText', 'not json', 'f'.repeat(64)),
    ]).toEqual([
      `"content":${text}`,
      '"content":{"b":null,"a":1},"contentText":"{\\"b\\":null, \\"a\\":1}"',
      '"manifest":null,"manifestText":"not json"',
    ]);
  });
});
