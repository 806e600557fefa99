import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One delivery row per notice and channel (log, webhook, slack, jira, webhook:<name>), so a dead
 * channel delays only its own deliveries. `generation` lets a coalesced row (an incident's
 * "alerts added") be reopened while it is in flight without losing the later change.
 * `integration_links` keeps the external object of each incident or task (Slack message, Jira issue).
 */
export class Channels1795700000000 implements MigrationInterface {
  name = 'Channels1795700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications" ADD "channel" text NOT NULL DEFAULT 'log'`);
    await queryRunner.query(`ALTER TABLE "notifications" ADD "generation" integer NOT NULL DEFAULT '0'`);
    // Notices still pending were meant for the webhook too when one is configured; its rows wait until it is.
    await queryRunner.query(
      `INSERT INTO "notifications" (key, kind, task_id, incident_id, recipients, payload, created_at, available_at, channel)
       SELECT key, kind, task_id, incident_id, recipients, payload, created_at, now(), 'webhook' FROM "notifications"
        WHERE sent_at IS NULL AND failed_at IS NULL`,
    );
    await queryRunner.query(`DROP INDEX "public"."UQ_notifications_key"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_notifications_channel_key" ON "notifications"  ("channel", "key") `);
    await queryRunner.query(
      `CREATE TABLE "integration_links" ("channel" text NOT NULL, "subject_id" uuid NOT NULL, "external_id" text, "external" jsonb NOT NULL DEFAULT '{}', "creating_until" TIMESTAMP WITH TIME ZONE, "synced_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_integration_links" PRIMARY KEY ("channel", "subject_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_integration_links_external" ON "integration_links"  ("channel", "external_id") WHERE external_id IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_integration_links_external"`);
    await queryRunner.query(`DROP TABLE "integration_links"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_notifications_channel_key"`);
    await queryRunner.query(`DELETE FROM "notifications" WHERE channel <> 'log'`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_notifications_key" ON "notifications"  ("key") `);
    await queryRunner.query(`ALTER TABLE "notifications" DROP COLUMN "generation"`);
    await queryRunner.query(`ALTER TABLE "notifications" DROP COLUMN "channel"`);
  }
}
