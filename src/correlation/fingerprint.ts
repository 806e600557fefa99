import { createHash } from 'node:crypto';
import type { SecurityAlert } from '../domain';
import type { AlertKeyField } from './rules.schema';

/** Hash of the identity fields the rule chose (Alertmanager-style): equal fingerprints are the same alert repeated. */
export function fingerprint(alert: SecurityAlert, fields: readonly AlertKeyField[]): string {
  const identity = [...fields].sort().map((f) => [f, alert[f] ?? null]);
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
}
