import { MigrationInterface, QueryRunner } from 'typeorm';

/** What enrichment added to an alert at ingest (src/enrichment/ `Enrichment`); null for alerts stored before, or with it off. */
export class AlertEnrichment1797797700000 implements MigrationInterface {
  name = 'AlertEnrichment1797797700000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "alerts" ADD "enrichment" jsonb`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "alerts" DROP COLUMN "enrichment"`);
  }
}
