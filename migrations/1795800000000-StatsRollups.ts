import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Alert rollups (per hour, and per day and source address), kept by the ingest transaction as alerts arrive, so `GET /v1/stats`
 * never counts the alerts table; and the range indexes the stats read by. Existing alerts
 * are rolled up here once.
 */
export class StatsRollups1795800000000 implements MigrationInterface {
  name = 'StatsRollups1795800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "alert_rollups" (
      "bucket" timestamptz NOT NULL, "severity" text NOT NULL, "type" text NOT NULL, "status" text NOT NULL,
      "storm" boolean NOT NULL, "alerts" bigint NOT NULL,
      PRIMARY KEY ("bucket", "severity", "type", "status", "storm"))`);
    await queryRunner.query(`CREATE TABLE "alert_source_rollups" (
      "bucket" timestamptz NOT NULL, "source_ip" inet NOT NULL, "alerts" bigint NOT NULL,
      PRIMARY KEY ("bucket", "source_ip"))`);
    await queryRunner.query(`INSERT INTO "alert_rollups" (bucket, severity, type, status, storm, alerts)
      SELECT date_trunc('hour', a.received_at, 'UTC'), a.severity, a.type, a.status, a.status = 'new' AND coalesce(i.storm, false), count(*)
        FROM "alerts" a LEFT JOIN "incidents" i ON i.id = a.incident_id GROUP BY 1, 2, 3, 4, 5`);
    await queryRunner.query(`INSERT INTO "alert_source_rollups" (bucket, source_ip, alerts)
      SELECT date_trunc('day', received_at, 'UTC'), source_ip, count(*) FROM "alerts" WHERE source_ip IS NOT NULL GROUP BY 1, 2`);
    await queryRunner.query(`CREATE INDEX "IDX_tasks_opened_at" ON "tasks" ("opened_at")`);
    await queryRunner.query(`CREATE INDEX "IDX_tasks_resolved_at" ON "tasks" ("resolved_at") WHERE resolved_at IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "IDX_sla_breaches_recorded_at" ON "sla_breaches" ("recorded_at")`);
    await queryRunner.query(`CREATE INDEX "IDX_playbook_runs_created_at" ON "playbook_runs" ("created_at")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_playbook_runs_created_at"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_sla_breaches_recorded_at"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_tasks_resolved_at"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_tasks_opened_at"`);
    await queryRunner.query(`DROP TABLE "alert_source_rollups"`);
    await queryRunner.query(`DROP TABLE "alert_rollups"`);
  }
}
