import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reports (the daily audit report, the executive summary) as built: one per kind and period,
 * so a schedule that fires twice for a period stores one. And the index the daily report finds
 * failed or rolled-back containment by (few rows: only steps that went wrong or were undone).
 */
export class Reports1795800000001 implements MigrationInterface {
  name = 'Reports1795800000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "reports" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "kind" text NOT NULL,
      "period_from" timestamptz NOT NULL,
      "period_to" timestamptz NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "body" jsonb NOT NULL,
      "html" text NOT NULL,
      "trigger" text NOT NULL,
      CONSTRAINT "PK_reports" PRIMARY KEY ("id"),
      CONSTRAINT "UQ_reports_kind_period" UNIQUE ("kind", "period_from", "period_to"),
      CONSTRAINT "CHK_reports_kind" CHECK ("kind" IN ('daily', 'executive')),
      CONSTRAINT "CHK_reports_trigger" CHECK ("trigger" IN ('schedule', 'manual')),
      CONSTRAINT "CHK_reports_period" CHECK ("period_from" < "period_to"))`);
    // GET /v1/reports: newest first, with or without a kind.
    await queryRunner.query(`CREATE INDEX "IDX_reports_created" ON "reports" ("created_at", "id")`);
    await queryRunner.query(`CREATE INDEX "IDX_reports_kind_created" ON "reports" ("kind", "created_at", "id")`);
    await queryRunner.query(
      `CREATE INDEX "IDX_playbook_steps_problems" ON "playbook_steps" ("updated_at") WHERE status IN ('failed', 'refused') OR compensation_status IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_playbook_steps_problems"`);
    await queryRunner.query(`DROP TABLE "reports"`);
  }
}
