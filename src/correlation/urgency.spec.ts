import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { rulesFileSchema, urgencySchema, type Urgency } from './rules.schema';
import { urgencyPriority } from './urgency';

const matrix = {
  critical: { critical: 'P1', high: 'P1', medium: 'P2', low: 'P3' },
  high: { critical: 'P1', high: 'P2', medium: 'P2', low: 'P3' },
  medium: { critical: 'P2', high: 'P2', medium: 'P3', low: 'P4' },
  low: { critical: 'P3', high: 'P3', medium: 'P4', low: 'P4' },
};
const urgency: Urgency = urgencySchema.parse({ matrix, intel_raise: 1 });

describe('urgencyPriority', () => {
  it.each([
    ['critical', 'critical', 'P1'],
    ['critical', 'low', 'P3'],
    ['high', 'medium', 'P2'],
    ['low', 'critical', 'P3'],
  ] as const)('a %s alert on a %s asset is %s', (severity, criticality, expected) => {
    expect(urgencyPriority(urgency, severity, { criticality, intelHits: 0 })).toBe(expected);
  });

  it('without a known asset, the severity gives the priority', () => {
    expect(urgencyPriority(urgency, 'medium', { intelHits: 0 })).toBe('P3');
  });

  it('an intel match raises it by intel_raise steps', () => {
    expect(urgencyPriority(urgency, 'medium', { intelHits: 2 })).toBe('P2');
  });

  it('an intel match on a critical alert on a low asset makes it P2', () => {
    expect(urgencyPriority(urgency, 'critical', { criticality: 'low', intelHits: 1 })).toBe('P2');
  });

  it('never rises above P1', () => {
    expect(urgencyPriority(urgencySchema.parse({ matrix, intel_raise: 3 }), 'high', { intelHits: 1 })).toBe('P1');
  });

  it('intel_raise 0 leaves it where the matrix put it', () => {
    expect(urgencyPriority(urgencySchema.parse({ matrix, intel_raise: 0 }), 'low', { criticality: 'high', intelHits: 1 })).toBe('P3');
  });

  it('with no urgency configured, only the severity counts, assets and intel hits not', () => {
    expect(urgencyPriority(undefined, 'critical', { criticality: 'low', intelHits: 3 })).toBe('P1');
  });
});

describe('urgencySchema', () => {
  it('names a missing cell of the matrix', () => {
    const r = urgencySchema.safeParse({ matrix: { ...matrix, high: { critical: 'P1', high: 'P2', medium: 'P2' } } });
    expect(r.success ? [] : r.error.issues.map((i) => i.path.join('.'))).toEqual(['matrix.high.low']);
  });

  it('names a priority that is not one', () => {
    const r = urgencySchema.safeParse({ matrix: { ...matrix, low: { ...matrix.low, medium: 'P5' } } });
    expect(r.success ? [] : r.error.issues.map((i) => i.path.join('.'))).toEqual(['matrix.low.medium']);
  });

  it('refuses a criticality that is not one', () => {
    const r = urgencySchema.safeParse({ matrix: { ...matrix, low: { ...matrix.low, vital: 'P1' } } });
    expect(r.success).toBe(false);
  });

  it('defaults intel_raise to one step', () => {
    expect(urgencySchema.parse({ matrix }).intel_raise).toBe(1);
  });
});

describe('the shipped config/rules.yaml', () => {
  const shipped = rulesFileSchema.parse(parse(readFileSync(join(__dirname, '..', '..', 'config', 'rules.yaml'), 'utf8')));

  it('makes a critical alert on a critical asset P1', () => {
    expect(urgencyPriority(shipped.urgency, 'critical', { criticality: 'critical', intelHits: 0 })).toBe('P1');
  });

  it('makes a critical alert on a low asset P3', () => {
    expect(urgencyPriority(shipped.urgency, 'critical', { criticality: 'low', intelHits: 0 })).toBe('P3');
  });
});
