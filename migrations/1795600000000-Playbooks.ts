import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Playbooks: runs and their steps (with the state a containment step changed, so it can be
 * undone), approvals, and evidence bundles whose manifests chain by hash per incident.
 */
export class Playbooks1795600000000 implements MigrationInterface {
  name = 'Playbooks1795600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "playbook_runs" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
      "incident_id" uuid NOT NULL REFERENCES "incidents" ("id"),
      "playbook" text NOT NULL,
      "version" text,
      "definition" jsonb,
      "status" text NOT NULL DEFAULT 'pending',
      "disposition" text,
      "reason" text,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "started_at" timestamptz,
      "finished_at" timestamptz,
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "UQ_playbook_runs_incident_playbook" UNIQUE ("incident_id", "playbook"))`);
    await queryRunner.query(`CREATE TABLE "playbook_steps" (
      "run_id" uuid NOT NULL REFERENCES "playbook_runs" ("id") ON DELETE CASCADE,
      "step_id" text NOT NULL,
      "action" text NOT NULL,
      "status" text NOT NULL DEFAULT 'pending',
      "attempts" integer NOT NULL DEFAULT 0,
      "input" jsonb,
      "output" jsonb,
      "reason" text,
      "undo" jsonb,
      "compensation_status" text,
      "compensation_attempts" integer NOT NULL DEFAULT 0,
      "compensation_error" text,
      "started_at" timestamptz,
      "finished_at" timestamptz,
      "compensated_at" timestamptz,
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY ("run_id", "step_id"))`);
    await queryRunner.query(`CREATE TABLE "approvals" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
      "run_id" uuid NOT NULL REFERENCES "playbook_runs" ("id") ON DELETE CASCADE,
      "step_id" text NOT NULL,
      "incident_id" uuid NOT NULL,
      "role" text NOT NULL,
      "on_timeout" text NOT NULL,
      "status" text NOT NULL DEFAULT 'pending',
      "deadline" timestamptz NOT NULL,
      "decided_by" text,
      "reason" text,
      "decided_at" timestamptz,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "UQ_approvals_run_step" UNIQUE ("run_id", "step_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_approvals_pending" ON "approvals" ("deadline") WHERE "status" = 'pending'`);
    await queryRunner.query(`CREATE INDEX "IDX_approvals_incident" ON "approvals" ("incident_id")`);
    await queryRunner.query(`CREATE TABLE "evidence_bundles" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
      "incident_id" uuid NOT NULL REFERENCES "incidents" ("id"),
      "seq" integer NOT NULL,
      "run_id" uuid,
      "step_id" text,
      "manifest" text NOT NULL,
      "manifest_hash" text NOT NULL,
      "previous_hash" text,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "UQ_evidence_bundles_incident_seq" UNIQUE ("incident_id", "seq"),
      CONSTRAINT "UQ_evidence_bundles_run_step" UNIQUE ("run_id", "step_id"))`);
    await queryRunner.query(`CREATE TABLE "evidence_items" (
      "bundle_id" uuid NOT NULL REFERENCES "evidence_bundles" ("id") ON DELETE CASCADE,
      "n" integer NOT NULL,
      "kind" text NOT NULL,
      "ref" text,
      "content" text NOT NULL,
      "sha256" text NOT NULL,
      PRIMARY KEY ("bundle_id", "n"))`);
    // The incident detail lists notices that belong to the incident rather than a task (approval requests, rollback failures).
    await queryRunner.query(`CREATE INDEX "IDX_notifications_incident_id" ON "notifications" ("incident_id") WHERE task_id IS NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_notifications_incident_id"`);
    await queryRunner.query(`DROP TABLE "evidence_items"`);
    await queryRunner.query(`DROP TABLE "evidence_bundles"`);
    await queryRunner.query(`DROP TABLE "approvals"`);
    await queryRunner.query(`DROP TABLE "playbook_steps"`);
    await queryRunner.query(`DROP TABLE "playbook_runs"`);
  }
}
