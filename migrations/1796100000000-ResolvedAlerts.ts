import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Incidents show how many of their alerts are firing and how many their monitors resolved,
 * counted from alerts (not a counter on incidents). This index holds only resolved alerts, so
 * the resolved count of an incident is an index-only scan and ingest, which writes unresolved
 * alerts, never touches it.
 */
export class ResolvedAlerts1796100000000 implements MigrationInterface {
  name = 'ResolvedAlerts1796100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "IDX_alerts_resolved" ON "alerts" ("incident_id") WHERE resolved_at IS NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_alerts_resolved"`);
  }
}
