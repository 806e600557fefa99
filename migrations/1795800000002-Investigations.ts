import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for `GET /v1/investigations/ip/{ip}`: alerts by destination (by source exists),
 * incidents by their correlation source IP, storm sources by source, and playbook steps by the
 * IP their input targets. Partial where most rows have no value, so ingest pays little for them.
 */
export class Investigations1795800000002 implements MigrationInterface {
  name = 'Investigations1795800000002';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "IDX_alerts_destination_ip" ON "alerts" ("destination_ip", "received_at") WHERE destination_ip IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_incidents_source_ip" ON "incidents" ("source_ip", "created_at") WHERE source_ip IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_storm_sources_source" ON "storm_sources" ("source")`);
    // playbook_steps has no entity: TypeORM leaves this expression index alone.
    await queryRunner.query(`CREATE INDEX "IDX_playbook_steps_input_ip" ON "playbook_steps" ((input->>'ip'))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_playbook_steps_input_ip"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_storm_sources_source"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_incidents_source_ip"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_alerts_destination_ip"`);
  }
}
