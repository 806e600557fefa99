import { pickFields } from './pick';

describe('pickFields', () => {
  it('keeps the named fields in the order the keys list them', () => {
    const view = { a: 1, b: 'two', c: null, d: [4] };
    const picked = pickFields(view, ['d', 'a', 'c']);
    expect(JSON.stringify(picked)).toBe('{"d":[4],"a":1,"c":null}');
  });

  it('leaves out an optional field the value does not have, rather than writing undefined', () => {
    const view: { id: string; kind?: string } = { id: 'x' };
    expect(Object.keys(pickFields(view, ['id', 'kind']))).toEqual(['id']);
  });
});
