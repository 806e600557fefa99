import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions of people signed in to the workspace (OIDC or API-key sign-in). The cookie carries a
 * random token; only its SHA-256 is kept. `ended_at` is set by sign-out; ended and expired rows
 * are deleted by the worker's retention.
 */
export class Sessions1797400000000 implements MigrationInterface {
  name = 'Sessions1797400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "token_hash" text NOT NULL, "analyst_id" text NOT NULL, "scopes" text array NOT NULL, "via" text NOT NULL, "api_key_id" uuid, "csrf_secret" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "ended_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "CHK_sessions_via" CHECK ("via" IN ('oidc', 'key')), CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_sessions_token_hash" ON "sessions" ("token_hash")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_sessions_token_hash"`);
    await queryRunner.query(`DROP TABLE "sessions"`);
  }
}
