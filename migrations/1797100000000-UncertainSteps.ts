import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A saga without leftovers. `uncertain_attempts` lists the attempts of a containment step that
 * reached the backend and have not been answered with a refusal: a step that fails with any
 * left is `uncertain` (it may be in place, and is undone with the rest), not `failed`.
 * `compensation_failed_at` dates an undo that failed for good, which /health counts and
 * `warden playbooks redrive` re-runs. The reports' index of problem steps takes in `uncertain`.
 */
export class UncertainSteps1797100000000 implements MigrationInterface {
  name = 'UncertainSteps1797100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "playbook_steps" ADD "uncertain_attempts" integer[] NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`ALTER TABLE "playbook_steps" ADD "compensation_failed_at" timestamptz`);
    await queryRunner.query(`UPDATE "playbook_steps" SET "compensation_failed_at" = "updated_at" WHERE "compensation_status" = 'failed'`);
    await queryRunner.query(
      `CREATE INDEX "IDX_playbook_steps_compensation_failed" ON "playbook_steps" ("compensation_failed_at") WHERE "compensation_status" = 'failed'`,
    );
    await queryRunner.query(`DROP INDEX "public"."IDX_playbook_steps_problems"`);
    await queryRunner.query(
      `CREATE INDEX "IDX_playbook_steps_problems" ON "playbook_steps" ("updated_at") WHERE status IN ('failed', 'uncertain', 'refused') OR compensation_status IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_playbook_steps_problems"`);
    await queryRunner.query(
      `CREATE INDEX "IDX_playbook_steps_problems" ON "playbook_steps" ("updated_at") WHERE status IN ('failed', 'refused') OR compensation_status IS NOT NULL`,
    );
    // The earlier schema knows no `uncertain`: such a step was recorded `failed`.
    await queryRunner.query(`UPDATE "playbook_steps" SET "status" = 'failed' WHERE "status" = 'uncertain'`);
    await queryRunner.query(`DROP INDEX "public"."IDX_playbook_steps_compensation_failed"`);
    await queryRunner.query(`ALTER TABLE "playbook_steps" DROP COLUMN "compensation_failed_at"`);
    await queryRunner.query(`ALTER TABLE "playbook_steps" DROP COLUMN "uncertain_attempts"`);
  }
}
