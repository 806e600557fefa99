import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ANALYST_LOAD_SQL, type AssignmentSnapshot, snapshotSql } from '../../src/assignment/assignment-sql';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { dropDatabase, ensureDatabase, migrate } from '../../src/database/database';

/**
 * The analysts' open load that assignment reads is kept by a trigger and folded under the
 * assignment lock (migrations/1795900000000-AnalystLoad.ts). Whatever happens to tasks, it
 * must equal a count of the open assigned tasks.
 */
describe('analyst load', () => {
  // A database of its own: one suite migrates it down and up again.
  const url = (() => {
    const u = new URL(process.env.DATABASE_URL!);
    u.pathname = `/warden_test_load_${randomBytes(3).toString('hex')}`;
    return u.toString();
  })();
  let ds: DataSource;
  const ANALYSTS = ['ana', 'ben', 'chen', 'dee'];
  const STATUSES = ['new', 'assigned', 'acknowledged', 'in_progress', 'resolved', 'closed'];

  beforeAll(async () => {
    await ensureDatabase(url);
    await migrate(url, 'up');
    ds = await new DataSource(dataSourceOptions(url, 2)).initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropDatabase(url);
  });

  /** A small deterministic generator, so a failure is the same on every run. */
  const random = (seed: number) => () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = <T>(next: () => number, from: readonly T[]): T => from[Math.floor(next() * from.length)];

  const insertTasks = async (n: number, next: () => number): Promise<string[]> => {
    const rows = await ds.query<{ id: string }[]>(
      `INSERT INTO tasks (title, priority, status, assign_role, assignee_id, opened_at, ack_deadline, resolve_deadline)
       SELECT 'task', 'P3', s, 'analyst', a, now(), now(), now() FROM unnest($1::text[], $2::text[]) x (s, a) RETURNING id`,
      [
        Array.from({ length: n }, () => pick(next, STATUSES)),
        Array.from({ length: n }, () => (next() < 0.3 ? null : pick(next, ANALYSTS))),
      ],
    );
    return rows.map((r) => r.id);
  };

  /** Inserts, assignments, reassignments, status changes both ways, unassignments and deletes. */
  const churn = async (seed: number, steps: number): Promise<void> => {
    const next = random(seed);
    const ids = await insertTasks(40, next);
    for (let i = 0; i < steps; i++) {
      const id = pick(next, ids);
      const move = next();
      if (move < 0.35) await ds.query(`UPDATE tasks SET status = $2 WHERE id = $1`, [id, pick(next, STATUSES)]);
      else if (move < 0.65) await ds.query(`UPDATE tasks SET assignee_id = $2 WHERE id = $1`, [id, pick(next, ANALYSTS)]);
      else if (move < 0.75) await ds.query(`UPDATE tasks SET assignee_id = NULL WHERE id = $1`, [id]);
      else if (move < 0.85)
        await ds.query(`UPDATE tasks SET assignee_id = $2, status = $3 WHERE id = $1`, [id, pick(next, ANALYSTS), pick(next, STATUSES)]);
      else if (move < 0.92) await ds.query(`UPDATE tasks SET title = 'renamed' WHERE id = $1`, [id]);
      else {
        await ds.query(`DELETE FROM tasks WHERE id = $1`, [id]);
        ids.splice(ids.indexOf(id), 1, ...(await insertTasks(1, next)));
      }
    }
  };

  const asMap = (rows: { analyst_id: string; open: number }[]) =>
    Object.fromEntries(rows.filter((r) => r.open !== 0).map((r) => [r.analyst_id, r.open]));
  const kept = async () => asMap(await ds.query(ANALYST_LOAD_SQL));
  const counted = async (except: string[] = []) =>
    asMap(
      await ds.query(
        `SELECT assignee_id AS analyst_id, count(*)::int AS open FROM tasks
          WHERE assignee_id IS NOT NULL AND status IN ('new', 'assigned', 'acknowledged', 'in_progress') AND NOT (id = ANY($1::uuid[]))
          GROUP BY 1`,
        [except],
      ),
    );

  it('equals a count of open assigned tasks after inserts, assignments, status changes both ways and deletes', async () => {
    await churn(7, 400);
    expect(await kept()).toEqual(await counted());
  });

  it('is folded by the assignment snapshot, which answers it without the tasks being assigned', async () => {
    await churn(11, 200);
    const [{ id }] = await ds.query<{ id: string }[]>(
      `SELECT id FROM tasks WHERE assignee_id IS NOT NULL AND status = 'assigned' ORDER BY id LIMIT 1`,
    );
    const [snapshot] = await ds.query<AssignmentSnapshot[]>(snapshotSql({ taskIds: [id], idempotencyKeys: [], queue: 'ahead' }));
    const [{ deltas }] = await ds.query<{ deltas: number }[]>(`SELECT count(*)::int AS deltas FROM analyst_load_deltas`);
    expect({ openTasks: snapshot.open_tasks, deltas, folded: await kept() }).toEqual({
      openTasks: await counted([id]),
      deltas: 0,
      folded: await counted(),
    });
  });

  it('starts from the tasks already open when the migration runs', async () => {
    // Down to exactly the load's own migration, however many have landed after it: the
    // tasks below are inserted with no trigger and no analyst_load, as before the upgrade.
    const LOAD = 'AnalystLoad1795900000000';
    const applied = async () => (await ds.query<{ name: string }[]>(`SELECT name FROM migrations`)).map((m) => m.name);
    const reverted: string[] = [];
    while ((await applied()).includes(LOAD)) {
      const undone = await migrate(url, 'down');
      if (undone.length === 0) throw new Error(`nothing left to revert, yet ${LOAD} is still recorded`);
      reverted.push(...undone);
    }
    // The last migration reverted is the load's own (never an empty loop that skipped it).
    expect(reverted.at(-1)).toBe(LOAD);
    expect(await ds.query(`SELECT to_regclass('analyst_load') AS load`)).toEqual([{ load: null }]);

    await insertTasks(60, random(13));
    expect(await migrate(url, 'up')).toEqual([...reverted].reverse());
    expect(await kept()).toEqual(await counted());
  });
});
