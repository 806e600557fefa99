import type { SecurityAlert } from '../domain';
import { fingerprint } from './fingerprint';
import type { AlertKeyField } from './rules.schema';

const alert = (over: Partial<SecurityAlert> = {}): SecurityAlert => ({
  source: 'ids',
  type: 'port_scan',
  severity: 'medium',
  title: 't',
  sourceIp: '10.0.0.1',
  ...over,
});

const FIELDS: AlertKeyField[] = ['source', 'type', 'sourceIp'];

describe('fingerprint', () => {
  it('is equal for alerts with the same identity fields', () => {
    expect(fingerprint(alert(), FIELDS)).toBe(fingerprint(alert(), FIELDS));
  });

  it('is a 32-character hex string', () => {
    expect(fingerprint(alert(), FIELDS)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('differs when an identity field differs', () => {
    expect(fingerprint(alert({ sourceIp: '10.0.0.2' }), FIELDS)).not.toBe(fingerprint(alert(), FIELDS));
    expect(fingerprint(alert({ type: 'sql_injection' }), FIELDS)).not.toBe(fingerprint(alert(), FIELDS));
  });

  it('ignores fields outside the chosen ones', () => {
    const base = fingerprint(alert(), FIELDS);
    expect(fingerprint(alert({ title: 'another title', severity: 'critical', host: 'web-1', occurredAt: new Date() }), FIELDS)).toBe(base);
  });

  it('does not depend on the order of the fields', () => {
    expect(fingerprint(alert(), ['sourceIp', 'type', 'source'])).toBe(fingerprint(alert(), ['source', 'type', 'sourceIp']));
  });

  it('tells a missing field from one with a value', () => {
    expect(fingerprint(alert({ user: undefined }), ['type', 'user'])).not.toBe(fingerprint(alert({ user: 'alice' }), ['type', 'user']));
  });

  it('tells a missing field from an empty-looking value', () => {
    expect(fingerprint(alert({ user: undefined }), ['type', 'user'])).not.toBe(fingerprint(alert({ user: 'null' }), ['type', 'user']));
  });

  it('depends on which fields were chosen', () => {
    expect(fingerprint(alert(), ['source', 'type'])).not.toBe(fingerprint(alert(), FIELDS));
  });

  it('does not mistake values for each other across fields', () => {
    expect(fingerprint(alert({ user: 'x', host: undefined }), ['user', 'host'])).not.toBe(
      fingerprint(alert({ user: undefined, host: 'x' }), ['user', 'host']),
    );
  });
});
