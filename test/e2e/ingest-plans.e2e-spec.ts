import { Client } from 'pg';
import { INGEST_PREPARE_SQL, INGEST_SETTINGS_SQL, INGEST_STATEMENTS } from '../../src/correlation/ingest-sql';
import { isolatedDatabase } from '../support/isolated';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

/**
 * A connection prepares the ingest statements once and keeps their generic plans, often made
 * on a young database: those plans must reach the tables that grow without bound by key,
 * whatever sizes the planner guessed, or each chunk would read a whole table.
 */
describe('the ingest transaction’s prepared plans', () => {
  let db: Awaited<ReturnType<typeof isolatedDatabase>>;
  let client: Client;

  beforeAll(async () => {
    db = await isolatedDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
    // A young database: a few rows, analyzed, so the planner knows how small the tables are.
    await client.query(`INSERT INTO incidents (id, correlation_key, title, severity, priority, action, rule, assign_role, opening_rule, first_seen_at, last_seen_at)
      SELECT gen_random_uuid(), 'sourceIp=10.0.0.' || n, 'young', 'low', 'P4', 'correlate', 'low', 'analyst', 'low', now(), now() FROM generate_series(1, 3) n`);
    await client.query(`INSERT INTO alerts (id, source, type, severity, title, fingerprint, status, incident_id, rule, action, priority, received_at, last_seen_at)
      SELECT gen_random_uuid(), 'ids', 'port_scan', 'low', 'young', md5(i.id::text), 'new', i.id, 'low', 'correlate', 'P4', now(), now() FROM incidents i`);
    await client.query(`INSERT INTO outbox (incident_id, kind) SELECT id, 'incident_opened' FROM incidents`);
    await client.query('ANALYZE');
    await client.query(INGEST_PREPARE_SQL);
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it.each(INGEST_STATEMENTS.map((s) => [s.name, s] as const))(
    '%s, planned on a young database, reads alerts and incidents only through an index condition',
    async (_name, statement) => {
      await client.query(`BEGIN; ${INGEST_SETTINGS_SQL}`);
      const args = statement.params.map(() => 'NULL').join(', ');
      const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (FORMAT JSON) EXECUTE ${statement.name}(${args})`,
      );
      await client.query('ROLLBACK');
      const scans = nodes(rows[0]['QUERY PLAN'][0].Plan).filter(
        (n) => (n['Relation Name'] === 'alerts' || n['Relation Name'] === 'incidents') && n['Node Type'] !== 'ModifyTable',
      );
      // A bitmap heap scan takes its condition from the bitmap index scans below it.
      const unbounded = scans.filter((n) =>
        n['Node Type'] === 'Bitmap Heap Scan'
          ? nodes(n).some((b) => b['Node Type'] === 'Bitmap Index Scan' && !b['Index Cond'])
          : !n['Index Cond'],
      );
      expect(unbounded.map((n) => `${n['Node Type']} on ${n['Relation Name']}`)).toEqual([]);
    },
  );
});
