import { MigrationInterface, QueryRunner } from 'typeorm';

export class StormFolding1795400000002 implements MigrationInterface {
  name = 'StormFolding1795400000002';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "storm_sources" ("incident_id" uuid NOT NULL, "source" text NOT NULL, "alerts" integer NOT NULL, "first_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_4dadf7c744206d2defa916c2775" PRIMARY KEY ("incident_id", "source"))`,
    );
    // Incidents stored before this release were opened by the rule they carry.
    await queryRunner.query(`ALTER TABLE "incidents" ADD "opening_rule" text`);
    await queryRunner.query(`UPDATE "incidents" SET "opening_rule" = "rule"`);
    await queryRunner.query(`ALTER TABLE "incidents" ALTER COLUMN "opening_rule" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "incidents" ADD "storm" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`CREATE INDEX "IDX_incidents_openings" ON "incidents"  ("opening_rule", "first_seen_at") WHERE NOT storm`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_incidents_openings"`);
    await queryRunner.query(`ALTER TABLE "incidents" DROP COLUMN "storm"`);
    await queryRunner.query(`ALTER TABLE "incidents" DROP COLUMN "opening_rule"`);
    await queryRunner.query(`DROP TABLE "storm_sources"`);
  }
}
