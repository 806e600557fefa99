import { beginAndReadSql, INGEST_PREPARE_SQL, keyHash } from './ingest-sql';

describe('keyHash', () => {
  it('is the hex md5 of the key, as PostgreSQL md5(text) computes it', () => {
    expect(keyHash('sourceIp=1.2.3.4')).toBe('d1ba78b1a70d060bddecc3e9eec5034e');
  });

  it('hashes the UTF-8 bytes, as md5(text) does on a UTF-8 database', () => {
    // SELECT md5('user=Jürgen') on PostgreSQL 15, server_encoding UTF8.
    expect(keyHash('user=Jürgen')).toBe('b855f3ef835e0a93c6afbef922966912');
  });

  it('is 32 characters whatever the length of the key', () => {
    const long = `user=${encodeURIComponent('用户'.repeat(100))}|host=${encodeURIComponent('主机'.repeat(127))}`;
    expect(Buffer.byteLength(long)).toBeGreaterThan(4000);
    expect(keyHash(long)).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('beginAndReadSql', () => {
  it('looks open incidents up by the hash the unique index covers, and compares the full key', () => {
    const key = `user=${'%E7%94%A8'.repeat(400)}`;
    const sql = beginAndReadSql({
      locks: new Map([[`correlation:${key}`, 'exclusive']]),
      fingerprints: ['fp'],
      correlationKeys: [key],
      idempotencyKeys: [],
      externalIds: [],
      stormKinds: [],
    });
    // The read's $2 and $3, in INGEST_PREPARE_SQL: `md5(i.correlation_key) = ANY($2) AND i.correlation_key = ANY($3)`.
    expect(sql).toContain(`ARRAY['${keyHash(key)}']::text[], ARRAY['${key}']::text[]`);
    expect(INGEST_PREPARE_SQL).toContain('md5(i.correlation_key) = ANY($2) AND i.correlation_key = ANY($3)');
  });
});
