import { MigrationInterface, QueryRunner } from 'typeorm';

/** Outbox priority lanes: each row carries its incident's priority; the dispatcher leases P1 first, then by age. */
export class PriorityLanes1795400000000 implements MigrationInterface {
  name = 'PriorityLanes1795400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "outbox" ADD "priority" text NOT NULL DEFAULT 'P4'`);
    // Rows still pending take their incident's lane; delivered ones keep the default.
    await queryRunner.query(
      `UPDATE "outbox" o SET "priority" = i."priority" FROM "incidents" i WHERE i."id" = o."incident_id" AND o."delivered_at" IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_outbox_lanes" ON "outbox"  ("priority", "id") WHERE delivered_at IS NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_outbox_lanes"`);
    await queryRunner.query(`ALTER TABLE "outbox" DROP COLUMN "priority"`);
  }
}
