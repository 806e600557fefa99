import { bodyHash } from './ingest.service';

describe(bodyHash.name, () => {
  const item = (alert: Record<string, unknown>) => ({ pointer: '', alert: alert as never });

  it('is the same for the same alerts, whatever the order of their keys', () => {
    expect(bodyHash([item({ title: 't', source: 's', raw: { b: 1, a: [{ y: 2, x: 1 }] } })])).toBe(
      bodyHash([item({ source: 's', raw: { a: [{ x: 1, y: 2 }], b: 1 }, title: 't' })]),
    );
  });

  it('changes with any value, the order of the items, or a resolve', () => {
    const base = bodyHash([item({ title: 'a' }), item({ title: 'b' })]);
    expect(bodyHash([item({ title: 'a' }), item({ title: 'c' })])).not.toBe(base);
    expect(bodyHash([item({ title: 'b' }), item({ title: 'a' })])).not.toBe(base);
    expect(bodyHash([item({ title: 'a' }), { ...item({ title: 'b' }), resolves: true }])).not.toBe(base);
  });
});
