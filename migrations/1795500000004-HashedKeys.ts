import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keys of any length: the unique index on open incidents covers md5(correlation_key), so a
 * key longer than a btree entry may be (about 2,700 bytes) still opens its incident; the
 * row keeps the full key. Alerts keep what identified the body sent with an Idempotency-Key.
 */
export class HashedKeys1795500000004 implements MigrationInterface {
  name = 'HashedKeys1795500000004';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."UQ_incidents_open_correlation_key"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_incidents_open_correlation_key" ON "incidents" (md5("correlation_key")) WHERE correlation_closed_at IS NULL`,
    );
    await queryRunner.query(`ALTER TABLE "alerts" ADD "body_hash" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "alerts" DROP COLUMN "body_hash"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_incidents_open_correlation_key"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_incidents_open_correlation_key" ON "incidents" ("correlation_key") WHERE correlation_closed_at IS NULL`,
    );
  }
}
