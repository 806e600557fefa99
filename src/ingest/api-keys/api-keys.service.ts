import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiKey, Scope } from './api-key.entity';
import { generateApiKey, hashApiKey } from './api-keys';

export interface Principal {
  keyId: string;
  name: string;
  scopes: Scope[];
}

@Injectable()
export class ApiKeysService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Returns the key in clear text once; only its hash is stored. */
  async create(name: string, scopes: Scope[]): Promise<{ id: string; key: string }> {
    return createApiKey(this.dataSource, name, scopes);
  }

  async authenticate(key: string): Promise<Principal | null> {
    const [row] = await this.dataSource.query(
      `SELECT id, name, scopes FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
      [hashApiKey(key)],
    );
    return row ? { keyId: row.id, name: row.name, scopes: row.scopes } : null;
  }
}

/** Shared by the service and the `warden keys create` command. */
export async function createApiKey(dataSource: DataSource, name: string, scopes: Scope[]): Promise<{ id: string; key: string }> {
  const key = generateApiKey();
  const saved = await dataSource.getRepository(ApiKey).save({ name, scopes, keyHash: hashApiKey(key) });
  return { id: saved.id, key };
}
