import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each analyst's open load, kept as data arrives instead of counted at every assignment.
 * Counting every open assigned task under the assignment lock cost tens of milliseconds per
 * assignment once a storm had left thousands of tasks open, and that lock bounds how many
 * tasks per second Warden assigns.
 *
 * A trigger on tasks appends +1/-1 rows to `analyst_load_deltas` when a task starts or stops
 * counting against an assignee. Appending takes no row lock another transaction could wait
 * for, so the one lock order of assignment stays as it was. Only assignment, under its lock,
 * folds the deltas into `analyst_load` (see `snapshotSql`); readers add both.
 *
 * The open statuses are those of `OPEN_TASK_STATUSES` in src/domain/task.ts: a change there
 * needs a migration that replaces this function and recounts.
 */
export class AnalystLoad1795900000000 implements MigrationInterface {
  name = 'AnalystLoad1795900000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "analyst_load" ("analyst_id" text PRIMARY KEY, "open" integer NOT NULL)`);
    await queryRunner.query(`CREATE TABLE "analyst_load_deltas" ("analyst_id" text NOT NULL, "delta" integer NOT NULL)`);
    await queryRunner.query(`
      CREATE FUNCTION analyst_load_delta() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        was text := CASE WHEN TG_OP <> 'INSERT' AND OLD.status IN ('new', 'assigned', 'acknowledged', 'in_progress') THEN OLD.assignee_id END;
        is_now text := CASE WHEN TG_OP <> 'DELETE' AND NEW.status IN ('new', 'assigned', 'acknowledged', 'in_progress') THEN NEW.assignee_id END;
      BEGIN
        IF was IS DISTINCT FROM is_now THEN
          INSERT INTO analyst_load_deltas (analyst_id, delta)
            SELECT d.analyst_id, d.delta FROM (VALUES (was, -1), (is_now, 1)) d (analyst_id, delta) WHERE d.analyst_id IS NOT NULL;
        END IF;
        RETURN NULL;
      END $$`);
    // No task may change between the trigger's start and the count it starts from.
    await queryRunner.query(`LOCK TABLE "tasks" IN SHARE ROW EXCLUSIVE MODE`);
    await queryRunner.query(`CREATE TRIGGER analyst_load_delta AFTER INSERT OR DELETE OR UPDATE OF status, assignee_id ON "tasks"
      FOR EACH ROW EXECUTE FUNCTION analyst_load_delta()`);
    await queryRunner.query(`INSERT INTO "analyst_load" (analyst_id, open)
      SELECT assignee_id, count(*) FROM tasks WHERE assignee_id IS NOT NULL AND status IN ('new', 'assigned', 'acknowledged', 'in_progress')
       GROUP BY assignee_id`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER analyst_load_delta ON "tasks"`);
    await queryRunner.query(`DROP FUNCTION analyst_load_delta()`);
    await queryRunner.query(`DROP TABLE "analyst_load_deltas"`);
    await queryRunner.query(`DROP TABLE "analyst_load"`);
  }
}
