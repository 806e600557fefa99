import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { EntityManager } from 'typeorm';
import { connect } from './pg';

/**
 * A transaction sent as a few round trips of several statements each, over PostgreSQL's
 * simple protocol. When it owns the transaction, BEGIN rides with the first round trip and
 * COMMIT can ride with the last, so a lock taken at the start is held for as few round
 * trips as the work needs. Inside a caller's transaction it only sends the statements.
 */
export class RoundTrips {
  private begun = false;
  private committed = false;

  private constructor(
    private readonly client: PoolClient,
    private readonly owned: boolean,
  ) {}

  /** Runs `work` inside `manager`'s transaction when given, otherwise in one of its own that commits when `work` returns. */
  static async run<T>(pool: Pool, manager: EntityManager | undefined, work: (tx: RoundTrips) => Promise<T>): Promise<T> {
    if (manager) {
      // TypeORM's query runner hands out its pg connection, which carries the caller's transaction.
      const client = (await manager.queryRunner!.connect()) as PoolClient;
      return work(new RoundTrips(client, false));
    }
    const client = await connect(pool);
    const tx = new RoundTrips(client, true);
    let broken: Error | undefined;
    try {
      const result = await work(tx);
      if (tx.begun && !tx.committed) await tx.query<never>([], { commit: true });
      return result;
    } catch (err) {
      // A connection that cannot even roll back is destroyed rather than returned to the pool.
      if (tx.begun && !tx.committed)
        broken = await client.query('ROLLBACK').then(
          () => undefined,
          (e: Error) => e,
        );
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Sends the statements in one round trip and returns the last one's rows. An owned
   * transaction begins with the first call (a lock wait is bounded, so a stalled holder
   * cannot exhaust the pool); `commit` ends it in the same round trip.
   */
  async query<Row>(statements: readonly string[], { commit = false } = {}): Promise<Row[]> {
    const before = this.owned && !this.begun ? ['BEGIN ISOLATION LEVEL READ COMMITTED', `SET LOCAL lock_timeout = '10s'`] : [];
    const after = this.owned && commit ? ['COMMIT'] : [];
    const all = [...before, ...statements, ...after];
    if (all.length === 0) return [];
    this.begun = this.begun || before.length > 0;
    const raw = (await this.client.query<QueryResultRow>(all.join(';\n'))) as unknown as QueryResult | QueryResult[];
    this.committed = after.length > 0;
    const results = Array.isArray(raw) ? raw : [raw];
    return statements.length > 0 ? (results[before.length + statements.length - 1].rows as Row[]) : [];
  }
}
