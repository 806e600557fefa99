import type { ItemResult } from '../correlation/items';
import { validateItems, withWarnings, type IntakeItem } from './intake';

describe('validateItems', () => {
  const warning = { path: '/alerts/0/labels/severity', message: 'unknown severity "deadman"; used the default "medium"' };
  const items: IntakeItem[] = [
    { pointer: '/0', alert: { source: 's', type: 't', severity: 'medium', title: 'x' }, warnings: [warning] },
    { pointer: '/1', alert: { source: 's', type: 't', severity: 'low', title: 'y' } },
    { pointer: '/2', alert: { source: 's', type: 't', severity: 'medium', title: '' }, warnings: [warning] },
    { pointer: '/3', alert: { source: 's', type: 't', severity: 'low', title: 'z'.repeat(1001) } },
  ];

  it('keeps each valid item’s warnings by index, prefixed with its record pointer, and none for a rejected item', () => {
    const { warnings } = validateItems(items);
    expect([...warnings.entries()]).toEqual([
      [0, [{ path: '/0/alerts/0/labels/severity', message: warning.message }]],
      [3, [{ path: '/3/title', message: 'clipped to 1000 characters (was 1001)' }]],
    ]);
  });

  it('keeps a lone record’s paths as they are', () => {
    const { warnings } = validateItems([{ ...items[0], pointer: '' }]);
    expect(warnings.get(0)).toEqual([warning]);
  });
});

describe('withWarnings', () => {
  const warning = { path: '/0/title', message: 'clipped to 1000 characters (was 1001)' };

  it('adds each stored item its warnings and leaves rejected items alone', () => {
    const results: ItemResult[] = [
      { index: 0, status: 'new', alertId: 'a' },
      { index: 1, status: 'duplicate', alertId: 'b' },
      { index: 2, status: 'rejected', errors: [{ path: '/2/title', message: 'must not be empty' }] },
    ];
    const warnings = new Map([
      [0, [warning]],
      [2, [warning]],
    ]);
    expect(withWarnings(results, warnings)).toEqual([
      { index: 0, status: 'new', alertId: 'a', warnings: [warning] },
      { index: 1, status: 'duplicate', alertId: 'b' },
      { index: 2, status: 'rejected', errors: [{ path: '/2/title', message: 'must not be empty' }] },
    ]);
  });
});
