import type { ItemResult } from '../correlation/items';
import { withWarnings, type IntakeItem } from './intake';

describe('withWarnings', () => {
  const warning = { path: '/alerts/0/labels/severity', message: 'unknown severity "deadman"; used the default "medium"' };
  const items: IntakeItem[] = [
    { pointer: '/0', alert: { source: 's', type: 't', severity: 'medium', title: 'x' }, warnings: [warning] },
    { pointer: '/1', alert: { source: 's', type: 't', severity: 'low', title: 'y' } },
    { pointer: '/2', alert: { source: 's', type: 't', severity: 'medium', title: '' }, warnings: [warning] },
  ];

  it('adds each stored item its warnings, prefixed with the record pointer, and leaves rejected items alone', () => {
    const results: ItemResult[] = [
      { index: 0, status: 'new', alertId: 'a' },
      { index: 1, status: 'duplicate', alertId: 'b' },
      { index: 2, status: 'rejected', errors: [{ path: '/2/title', message: 'must not be empty' }] },
    ];
    expect(withWarnings(items, results)).toEqual([
      { index: 0, status: 'new', alertId: 'a', warnings: [{ path: '/0/alerts/0/labels/severity', message: warning.message }] },
      { index: 1, status: 'duplicate', alertId: 'b' },
      { index: 2, status: 'rejected', errors: [{ path: '/2/title', message: 'must not be empty' }] },
    ]);
  });

  it('keeps a lone record’s paths as they are', () => {
    const [result] = withWarnings([{ ...items[0], pointer: '' }], [{ index: 0, status: 'new', alertId: 'a' }]);
    expect(result.warnings).toEqual([warning]);
  });
});
