import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Alerts without a user or host (most network alerts) no longer enter those indexes: every
 * lookup by user or host compares a value, which a partial index on the value serves.
 * Two index entries fewer for most alerts ingest stores.
 */
export class PartialAlertIndexes1796200000000 implements MigrationInterface {
  name = 'PartialAlertIndexes1796200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_alerts_user"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_alerts_host"`);
    await queryRunner.query(`CREATE INDEX "IDX_alerts_user" ON "alerts" ("user", "received_at") WHERE "user" IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "IDX_alerts_host" ON "alerts" ("host", "received_at") WHERE host IS NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_alerts_host"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_alerts_user"`);
    await queryRunner.query(`CREATE INDEX "IDX_alerts_host" ON "alerts" ("host", "received_at")`);
    await queryRunner.query(`CREATE INDEX "IDX_alerts_user" ON "alerts" ("user", "received_at")`);
  }
}
