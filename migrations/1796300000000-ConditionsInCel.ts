import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Step conditions are CEL now, and a running run evaluates the `if`s of the definition it
 * recorded when it began. The one old form the shipped playbooks used that CEL reads
 * differently, a bare nullable field (`if: incident.user`, a truthiness test), becomes
 * `incident.user != null` in running runs; anything else not CEL skips its step, saying so.
 * Finished runs keep the record of what they followed.
 */
const BARE = String.raw`^(incident\.(source_ip|user|host)|alert\.(source_ip|destination_ip|user|host))$`;
const CEL = String.raw`^(incident\.(source_ip|user|host)|alert\.(source_ip|destination_ip|user|host)) != null$`;

/** Rewrites each step's `if` that matches `pattern` to `replacement` (a regexp_replace one), in running runs. */
const rewriteIfs = (pattern: string, replacement: string) => `
  UPDATE playbook_runs r
     SET definition = jsonb_set(r.definition, '{steps}', (
           SELECT jsonb_agg(CASE WHEN s ->> 'if' ~ '${pattern}'
                                 THEN jsonb_set(s, '{if}', to_jsonb(regexp_replace(s ->> 'if', '${pattern}', '${replacement}')))
                                 ELSE s END ORDER BY n)
             FROM jsonb_array_elements(r.definition -> 'steps') WITH ORDINALITY AS e(s, n))),
         updated_at = now()
   WHERE r.status = 'running' AND jsonb_typeof(r.definition -> 'steps') = 'array'
     AND EXISTS (SELECT 1 FROM jsonb_array_elements(r.definition -> 'steps') s WHERE s ->> 'if' ~ '${pattern}')`;

export class ConditionsInCel1796300000000 implements MigrationInterface {
  name = 'ConditionsInCel1796300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(rewriteIfs(BARE, String.raw`\1 != null`));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(rewriteIfs(CEL, String.raw`\1`));
  }
}
