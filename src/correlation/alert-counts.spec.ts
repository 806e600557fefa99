import { isCleared } from './alert-counts';

describe('isCleared', () => {
  it.each([
    [{ firing: 0, resolved: 1 }, true],
    [{ firing: 0, resolved: 40 }, true],
    [{ firing: 1, resolved: 40 }, false],
    [{ firing: 2, resolved: 0 }, false],
    [{ firing: 0, resolved: 0 }, false],
  ])('of %j is %s', (counts, expected) => {
    expect(isCleared(counts)).toBe(expected);
  });
});
