import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sources belong to keys. An alert records the API key that sent it, and the repeat key
 * (source, externalId) becomes the sending key's: before, any ingest key could post another
 * monitor's guessable id first and have the real alert answered as a repeat and never stored.
 * Alerts stored before keep api_key_id NULL and answer to any key, as they did then. A key
 * may be bound to sources (null: any). No foreign key: keys are revoked, never deleted, and
 * a key check on every insert would make concurrent ingests from one key share a row lock.
 *
 * down() restores the global unique index; it fails, rather than deleting alerts, once two
 * keys have stored the same (source, external_id).
 */
export class KeySources1796000000001 implements MigrationInterface {
  name = 'KeySources1796000000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_keys" ADD "sources" text array`);
    await queryRunner.query(`ALTER TABLE "alerts" ADD "api_key_id" uuid`);
    await queryRunner.query(`DROP INDEX "public"."UQ_alerts_source_external_id"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_alerts_source_external_id_api_key" ON "alerts" ("source", "external_id", "api_key_id") WHERE external_id IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."UQ_alerts_source_external_id_api_key"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_alerts_source_external_id" ON "alerts" ("source", "external_id") WHERE external_id IS NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE "alerts" DROP COLUMN "api_key_id"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP COLUMN "sources"`);
  }
}
