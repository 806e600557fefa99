import { MigrationInterface, QueryRunner } from 'typeorm';

export class NotificationDelivery1795400000003 implements MigrationInterface {
  name = 'NotificationDelivery1795400000003';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications" ADD "available_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`);
    await queryRunner.query(`ALTER TABLE "notifications" ADD "failed_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `CREATE INDEX "IDX_notifications_pending" ON "notifications"  ("available_at") WHERE sent_at IS NULL AND failed_at IS NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_notifications_pending"`);
    await queryRunner.query(`ALTER TABLE "notifications" DROP COLUMN "failed_at"`);
    await queryRunner.query(`ALTER TABLE "notifications" DROP COLUMN "available_at"`);
  }
}
