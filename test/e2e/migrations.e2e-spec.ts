import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { dropDatabase, ensureDatabase, migrate } from '../../src/database/database';

describe('migrations', () => {
  // A database of its own: this suite takes the schema down, which others must not see.
  const url = (() => {
    const u = new URL(process.env.DATABASE_URL!);
    u.pathname = `/warden_test_migrations_${randomBytes(3).toString('hex')}`;
    return u.toString();
  })();
  let ds: DataSource;

  beforeAll(async () => {
    await ensureDatabase(url);
    ds = await new DataSource(dataSourceOptions(url, 1)).initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropDatabase(url);
  });

  const tables = async () =>
    (await ds.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)).map(
      (r: { table_name: string }) => r.table_name,
    );

  it('go up to a schema that matches the entities exactly, and all the way down again', async () => {
    const applied = await migrate(url, 'up');
    expect(applied.length).toBeGreaterThan(0);
    expect(await tables()).toContain('audit_log');
    // No pending difference between entities and migrations: generate would write nothing.
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    expect(await migrate(url, 'up')).toEqual([]);

    for (let i = 0; i < applied.length; i++) await migrate(url, 'down');
    expect(await tables()).toEqual(['migrations']);

    expect(await migrate(url, 'up')).toEqual(applied);
  });

  it('make the audit log append-only', async () => {
    await migrate(url, 'up');
    await ds.query(`INSERT INTO audit_log (actor, action, subject_type, subject_id) VALUES ('t', 'a', 's', '1')`);
    await expect(ds.query(`UPDATE audit_log SET actor = 'x'`)).rejects.toThrow(/append-only/);
    await expect(ds.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
    expect(await ds.query(`SELECT actor FROM audit_log`)).toEqual([{ actor: 't' }]);
  });
});
