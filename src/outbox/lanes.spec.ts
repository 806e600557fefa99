import { incidentGroups, leaseOrder, temporalPriority } from './lanes';

const row = (id: number, incident: string, priority: string) => ({ id: String(id), incident_id: incident, priority });

describe('temporalPriority', () => {
  it.each([
    ['P1', 1],
    ['P2', 2],
    ['P3', 3],
    ['P4', 4],
  ])('maps %s to priorityKey %i', (p, key) => {
    expect(temporalPriority(p)).toEqual({ priorityKey: key });
  });

  it('treats an unknown priority as the least urgent', () => {
    expect(temporalPriority('P9')).toEqual({ priorityKey: 4 });
  });
});

describe('leaseOrder', () => {
  it('puts P1 before older P3 and P4 rows, then orders by id', () => {
    const rows = [row(1, 'a', 'P4'), row(2, 'b', 'P3'), row(30, 'c', 'P1'), row(10, 'd', 'P1'), row(3, 'e', 'P2')];
    expect(rows.sort(leaseOrder).map((r) => r.id)).toEqual(['10', '30', '3', '2', '1']);
  });

  it('compares ids as numbers, not text', () => {
    expect([row(10, 'a', 'P2'), row(9, 'b', 'P2')].sort(leaseOrder).map((r) => r.id)).toEqual(['9', '10']);
  });
});

describe('incidentGroups', () => {
  it('groups by incident, most urgent group first, each group in id order', () => {
    const rows = [row(5, 'x', 'P3'), row(1, 'y', 'P4'), row(7, 'z', 'P1'), row(2, 'x', 'P3'), row(9, 'z', 'P1')];
    expect(incidentGroups(rows).map((g) => g.map((r) => r.id))).toEqual([['7', '9'], ['2', '5'], ['1']]);
  });

  it('keeps an incident in id order even if its rows disagree on the lane', () => {
    expect(incidentGroups([row(8, 'x', 'P1'), row(3, 'x', 'P3')]).map((g) => g.map((r) => r.id))).toEqual([['3', '8']]);
  });

  it('returns nothing for nothing', () => {
    expect(incidentGroups([])).toEqual([]);
  });
});
