import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { dropDatabase, ensureDatabase, migrate } from '../../src/database/database';
import { ConditionsInCel1796300000000 } from '../../migrations/1796300000000-ConditionsInCel';

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

  it('rewrite the bare-field ifs of running playbook runs into CEL and back, leaving finished runs as recorded', async () => {
    await migrate(url, 'up');
    const [incident] = await ds.query<{ id: string }[]>(
      `INSERT INTO incidents (correlation_key, status, title, severity, priority, action, rule, opening_rule, assign_role, types,
                              first_seen_at, last_seen_at)
       VALUES ('k', 'open', 't', 'high', 'P2', 'immediate', 'r', 'r', 'analyst', '{privilege_escalation}', now(), now()) RETURNING id`,
    );
    const definition = (...ifs: (string | undefined)[]) => ({
      name: 'p',
      steps: ifs.map((condition, i) => ({ id: `s${i}`, action: 'wait', ...(condition !== undefined && { if: condition }) })),
    });
    const old = definition('incident.user', 'alert.destination_ip', undefined, "incident.severity == 'critical'", 'incident.storm');
    const insert = (playbook: string, status: string) =>
      ds.query(`INSERT INTO playbook_runs (incident_id, playbook, status, definition) VALUES ($1, $2, $3, $4)`, [
        incident.id,
        playbook,
        status,
        old,
      ]);
    await insert('running', 'running');
    await insert('finished', 'succeeded');
    const ifs = async () =>
      Object.fromEntries(
        (
          await ds.query<{ playbook: string; definition: { steps: { if?: string }[] } }[]>(`SELECT playbook, definition FROM playbook_runs`)
        ).map((r) => [r.playbook, r.definition.steps.map((s) => s.if ?? null)]),
      );
    // The pool has one connection: the migration's runner takes it only while it runs.
    const migration = new ConditionsInCel1796300000000();
    const run = async (step: 'up' | 'down') => {
      const runner = ds.createQueryRunner();
      try {
        await migration[step](runner);
      } finally {
        await runner.release();
      }
    };
    await run('up');
    const afterUp = await ifs();
    await run('down');
    const recorded = ['incident.user', 'alert.destination_ip', null, "incident.severity == 'critical'", 'incident.storm'];
    expect({ afterUp, afterDown: await ifs() }).toEqual({
      afterUp: {
        running: ['incident.user != null', 'alert.destination_ip != null', null, "incident.severity == 'critical'", 'incident.storm'],
        finished: recorded,
      },
      afterDown: { running: recorded, finished: recorded },
    });
  });
});
