import { MigrationInterface, QueryRunner } from 'typeorm';

/** Notices that failed for good can be re-driven; outbox rows Temporal keeps refusing are dead-lettered. */
export class FailedDeliveries1795500000003 implements MigrationInterface {
  name = 'FailedDeliveries1795500000003';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications" ADD "redriven_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`CREATE INDEX "IDX_notifications_failed" ON "notifications"  ("failed_at") WHERE failed_at IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "outbox" ADD "failures" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "outbox" ADD "dead_lettered_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`CREATE INDEX "IDX_outbox_dead_lettered" ON "outbox"  ("dead_lettered_at") WHERE dead_lettered_at IS NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_outbox_dead_lettered"`);
    await queryRunner.query(`ALTER TABLE "outbox" DROP COLUMN "dead_lettered_at"`);
    await queryRunner.query(`ALTER TABLE "outbox" DROP COLUMN "failures"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_notifications_failed"`);
    await queryRunner.query(`ALTER TABLE "notifications" DROP COLUMN "redriven_at"`);
  }
}
