import { createHash, randomBytes } from 'node:crypto';
import type { Scope } from './api-key.entity';

/** `wdn_` + 32 random bytes, base64url: 256 bits, so a fast hash is enough to store it. */
export function generateApiKey(): string {
  return `wdn_${randomBytes(32).toString('base64url')}`;
}

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** `admin` may do anything; `lead` includes `analyst`. `ingest` is for monitors only. */
const IMPLIED: Record<Scope, Scope[]> = {
  admin: ['admin', 'lead', 'analyst', 'ingest'],
  lead: ['lead', 'analyst'],
  analyst: ['analyst'],
  ingest: ['ingest'],
};

export const grants = (held: readonly Scope[], needed: Scope): boolean => held.some((s) => IMPLIED[s]?.includes(needed));
