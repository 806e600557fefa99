import { MigrationInterface, QueryRunner } from 'typeorm';

/** Analysts' run-time availability, out-of-office and capacity; the request behind a reassignment. */
export class AnalystRuntime1795500000002 implements MigrationInterface {
  name = 'AnalystRuntime1795500000002';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "analysts" ADD "available_override" boolean`);
    await queryRunner.query(`ALTER TABLE "analysts" ADD "capacity_override" integer`);
    await queryRunner.query(`ALTER TABLE "analysts" ADD "out_of_office_until" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "task_assignments" ADD "request_hash" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "task_assignments" DROP COLUMN "request_hash"`);
    await queryRunner.query(`ALTER TABLE "analysts" DROP COLUMN "out_of_office_until"`);
    await queryRunner.query(`ALTER TABLE "analysts" DROP COLUMN "capacity_override"`);
    await queryRunner.query(`ALTER TABLE "analysts" DROP COLUMN "available_override"`);
  }
}
