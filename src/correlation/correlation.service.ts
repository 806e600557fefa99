import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { Pool, QueryResult } from 'pg';
import { DataSource } from 'typeorm';
import { ENV, type Env } from '../common/env';
import { NO_METRICS, WARDEN_METRICS, type WardenMetrics } from '../common/metrics';
import { pgPool, withClient } from '../database/pg';
import { EnrichmentHolder } from '../enrichment/tables';
import type { Priority, SecurityAlert } from '../domain';
import { enqueue } from '../outbox/outbox';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher.service';
import type { ChangeSet, Snapshot } from './engine';
import { DeltaFolder } from './delta-folder.service';
import { IngestInterrupted, IngestPath, type IngestStore, type OwnAlerts, type Resolved } from './ingest-path';
import { beginAndReadSql, INGEST_PREPARE_SQL, SnapshotRequest, SnapshotRow, toSnapshot, writeAndCommitSql } from './ingest-sql';
import type { AcceptedAlert, ItemResult } from './items';
import { rulesResolvingWhenCleared, type ThresholdQuery } from './rules';
import { RULES, type CorrelationField, type RulesFile } from './rules.schema';
import type { Columns } from '../database/rows';

export { IdempotencyConflict, IngestInterrupted } from './ingest-path';

const COLUMN: Record<CorrelationField, string> = { sourceIp: 'source_ip', destinationIp: 'destination_ip', user: '"user"', host: 'host' };

/** Connections that have prepared the ingest transaction's statements (a prepared statement lives as long as its connection). */
const PREPARED = new WeakSet<object>();

/**
 * The ingest path's store in PostgreSQL. Each chunk is one transaction of two round trips:
 * BEGIN with the advisory locks the chunk needs (serializing racing replicas in PostgreSQL
 * itself; ingest-path.ts decides which) and a snapshot read; then every write plus COMMIT.
 * Nothing is acknowledged before that COMMIT.
 */
class PgIngestStore implements IngestStore {
  constructor(
    private readonly pool: Pool,
    private readonly outbox: OutboxDispatcher,
    private readonly metrics: WardenMetrics,
    /**
     * Told after a commit that appended count deltas, so they are folded soon; the fold also
     * tells the channels (Slack thread, Jira issue) which incidents alerts joined.
     */
    private readonly appended: () => void,
    /** Rules with `resolve_when_cleared`: resolving the last firing alert of their incident tells its workflow. */
    private readonly clearingRules: readonly string[],
  ) {}

  newId = randomUUID;

  transact<T>(request: SnapshotRequest, decide: (snapshot: Snapshot, now: Date) => { changes?: ChangeSet; value: T }): Promise<T> {
    return withClient(this.pool, async (client) => {
      if (!PREPARED.has(client)) {
        await client.query(INGEST_PREPARE_SQL);
        PREPARED.add(client);
      }
      const read = (await client.query<SnapshotRow>(beginAndReadSql(request))) as unknown as QueryResult<SnapshotRow>[];
      const { now, snapshot } = toSnapshot(read[read.length - 1].rows[0]);
      const { changes, value } = decide(snapshot, now);
      if (!changes) {
        await client.query('ROLLBACK');
        return value;
      }
      await client.query(writeAndCommitSql(changes, now));
      this.metrics.correlated(changes);
      if (changes.outbox.length > 0) this.outbox.nudge();
      if (changes.updated.size > 0 || changes.stormSources.size > 0) this.appended();
      return value;
    });
  }

  async countStored({ type, by, withinSeconds }: ThresholdQuery, own: OwnAlerts): Promise<number> {
    const fields = Object.keys(by) as CorrelationField[];
    // Named, so each connection parses and plans it once per set of fields.
    const { rows } = await this.pool.query<{ count: number }>({
      name: `warden_count_stored:${fields.join(',')}`,
      text: `SELECT count(*)::int AS count FROM alerts
        WHERE type = $1 AND received_at > now() - make_interval(secs => $2) AND ${fields.map((f, i) => `${COLUMN[f]} = $${i + 7}`).join(' AND ')}
          AND (idempotency_key IS NULL OR idempotency_key <> ALL($3::text[]))
          AND (external_id IS NULL OR NOT EXISTS (SELECT 1 FROM unnest($4::text[], $5::text[], $6::text[]) AS u(key_id, source, external_id)
                WHERE u.source = alerts.source AND u.external_id = alerts.external_id AND u.key_id IS NOT DISTINCT FROM alerts.api_key_id::text))`,
      values: [
        type,
        withinSeconds,
        own.idempotencyKeys,
        own.externalIds.map((e) => e.apiKeyId),
        own.externalIds.map((e) => e.source),
        own.externalIds.map((e) => e.externalId),
        ...fields.map((f) => by[f]),
      ],
    });
    return rows[0].count;
  }

  /** Only the key that sent the firing alert resolves it (or any key, for alerts stored before keys were recorded). */
  async resolve(alert: SecurityAlert, apiKeyId?: string): Promise<Resolved> {
    const params = [alert.source, alert.externalId ?? null, apiKeyId ?? null];
    if (this.clearingRules.length === 0) return resolvedAnswer((await this.pool.query<MarkedRow>(MARK_RESOLVED, params)).rows[0]);
    return withClient(this.pool, async (client) => {
      await client.query(`BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = '10s'`);
      // The incident row before the alert's, as ingest takes them, when its rule clears: two resolves of
      // one incident's alerts queue here, so the later one sees the earlier as resolved and exactly one
      // finds the incident cleared. Other incidents' resolves lock nothing more than the alert.
      const clearing = await client.query<never>(
        `SELECT 1 FROM incidents WHERE id = (SELECT incident_id FROM alerts WHERE ${SENT_BY}) AND rule = ANY($4::text[]) FOR NO KEY UPDATE`,
        [...params, this.clearingRules],
      );
      const marked = (await client.query<MarkedRow>(MARK_RESOLVED, params)).rows[0];
      // A repeated resolved notice tells the workflow nothing new.
      const cleared =
        clearing.rowCount === 1 &&
        marked?.newly === true &&
        marked.incident_id !== null &&
        (await client.query<{ id: string }>(CLEARED, [marked.incident_id, this.clearingRules])).rows.length > 0;
      if (cleared) await enqueue(client, [{ incidentId: marked.incident_id!, kind: 'alerts_cleared', payload: {} }]);
      await client.query('COMMIT');
      if (cleared) this.outbox.nudge();
      return resolvedAnswer(marked);
    });
  }
}

type MarkedRow = Columns<'alerts', 'id' | 'incident_id' | 'priority', { priority: Priority }> & {
  /** It was firing until now (a repeated notice keeps the first resolved_at). */
  newly: boolean;
};

/** The alert with the same source and externalId sent by the same key (or by none recorded). */
const SENT_BY = `source = $1 AND external_id = $2 AND (api_key_id = $3 OR api_key_id IS NULL)`;

/** Alertmanager's `resolved`: marks the alert with the same source and externalId. */
const MARK_RESOLVED = `WITH prev AS (SELECT id, resolved_at IS NULL AS newly FROM alerts WHERE ${SENT_BY})
  UPDATE alerts a SET resolved_at = coalesce(a.resolved_at, now()) FROM prev WHERE a.id = prev.id
  RETURNING a.id, a.incident_id, a.priority, prev.newly`;

/** The incident, when its rule resolves its task once cleared, that task is still open, and none of its alerts fires. */
const CLEARED = `SELECT i.id FROM incidents i
  WHERE i.id = $1 AND i.rule = ANY($2::text[]) AND i.action <> 'batch' AND i.resolved_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.incident_id = i.id AND a.resolved_at IS NULL)`;

const resolvedAnswer = (r: MarkedRow | undefined): Resolved =>
  r ? { status: 'resolved', alertId: r.id, incidentId: r.incident_id, priority: r.priority } : { status: 'resolved' };

/** The AnomalyToAction engine's write path: ingest's per-item path (ingest-path.ts) over PostgreSQL. */
@Injectable()
export class CorrelationService {
  private readonly logger = new Logger(CorrelationService.name);
  private readonly path: IngestPath;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(RULES) rules: RulesFile,
    outbox: OutboxDispatcher,
    folder: DeltaFolder,
    @Inject(ENV) env: Env,
    @Optional() @Inject(WARDEN_METRICS) metrics: WardenMetrics = NO_METRICS,
    @Optional() enrichment?: EnrichmentHolder,
  ) {
    this.path = new IngestPath(
      new PgIngestStore(pgPool(dataSource), outbox, metrics, () => folder.nudge(), rulesResolvingWhenCleared(rules)),
      rules,
      (index, err) => this.logger.warn(`item ${index} refused by the database (${(err as { code?: string }).code ?? '?'}): ${err.message}`),
      env.INGEST_TRANSACTIONS,
      env.ENRICHMENT_ENABLED ? enrichment?.enrich : undefined,
    );
  }

  /** Decides and stores each alert in input order; the results come back in that order too. */
  async store(alerts: readonly AcceptedAlert[]): Promise<ItemResult[]> {
    try {
      return await this.path.ingest(alerts);
    } catch (err) {
      // The client is told only that storage is unavailable; the cause stays here.
      if (err instanceof IngestInterrupted) this.logger.warn(err.message);
      throw err;
    }
  }
}
