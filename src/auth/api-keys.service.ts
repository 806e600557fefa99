import { Inject, Injectable } from '@nestjs/common';
import { ENV, type Env } from '../common/env';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { ApiKey, Scope } from './api-key.entity';
import { generateApiKey, hashApiKey } from './api-keys';
import type { Principal } from './principal';

@Injectable()
export class ApiKeysService {
  /** Recent lookups by key hash, so a busy monitor costs no query per request; a revocation takes effect within the TTL. */
  private readonly cache = new Map<string, { principal: Principal | null; expires: number }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ENV) private readonly env: Env,
  ) {}

  async authenticate(key: string): Promise<Principal | null> {
    const hash = hashApiKey(key);
    const cached = this.cache.get(hash);
    if (cached && cached.expires > Date.now()) return cached.principal;
    const [row] = await this.dataSource.query<
      { id: string; name: string; scopes: Scope[]; analyst_id: string | null; sources: string[] | null }[]
    >(`SELECT id, name, scopes, analyst_id, sources FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`, [hash]);
    const principal: Principal | null = row
      ? { keyId: row.id, name: row.name, scopes: row.scopes, analystId: row.analyst_id, sources: row.sources, via: 'key' }
      : null;
    // Only known keys are cached: unknown ones must not let a flood of random keys grow the map.
    if (principal && this.env.API_KEY_CACHE_SECONDS > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, { principal, expires: Date.now() + this.env.API_KEY_CACHE_SECONDS * 1000 });
    }
    return principal;
  }
}

/**
 * Returns the key in clear text once; only its hash is stored. Used by `warden keys create`.
 * `sources`: the alert sources the key may send (none or empty: any).
 */
export async function createApiKey(
  dataSource: DataSource,
  name: string,
  scopes: Scope[],
  analystId?: string,
  sources?: readonly string[],
): Promise<{ id: string; key: string; sources: string[] | null }> {
  const key = generateApiKey();
  const saved = await dataSource.getRepository(ApiKey).save({
    name,
    scopes,
    keyHash: hashApiKey(key),
    analystId: analystId ?? null,
    sources: sources?.length ? [...new Set(sources)] : null,
  });
  return { id: saved.id, key, sources: saved.sources };
}

/** What `warden keys list` shows of a key: never the key or its hash. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  scopes: Scope[];
  analystId: string | null;
  /** The alert sources the key may send; null: any. */
  sources: string[] | null;
  createdAt: Date;
  revokedAt: Date | null;
}

/** Every key, oldest first. */
export async function listApiKeys(dataSource: DataSource): Promise<ApiKeyInfo[]> {
  const rows = await dataSource.getRepository(ApiKey).find({ order: { createdAt: 'ASC', id: 'ASC' } });
  return rows.map(keyInfo);
}

const keyInfo = ({ id, name, scopes, analystId, sources, createdAt, revokedAt }: ApiKey): ApiKeyInfo => ({
  id,
  name,
  scopes,
  analystId,
  sources,
  createdAt,
  revokedAt,
});

/** Revokes a key; a second call keeps the first time. Null when there is no such key. Running apis refuse it within API_KEY_CACHE_SECONDS. */
export async function revokeApiKey(dataSource: DataSource, id: string): Promise<{ key: ApiKeyInfo; alreadyRevoked: boolean } | null> {
  const repo = dataSource.getRepository(ApiKey);
  const { affected } = await repo.update({ id, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  const row = await repo.findOneBy({ id });
  if (!row) return null;
  return { key: keyInfo(row), alreadyRevoked: !affected };
}
