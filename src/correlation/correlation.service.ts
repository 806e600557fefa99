import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { Pool, QueryResult } from 'pg';
import { DataSource } from 'typeorm';
import { NO_METRICS, WARDEN_METRICS, type WardenMetrics } from '../common/metrics';
import { pgPool } from '../database/pg';
import type { Priority, SecurityAlert } from '../domain';
import { NotificationsService } from '../notifications/notifications.service';
import { enqueue } from '../outbox/outbox';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher.service';
import type { ChangeSet, Snapshot } from './engine';
import { IngestInterrupted, IngestPath, type IngestStore, type Resolved } from './ingest-path';
import { beginAndReadSql, SnapshotRequest, SnapshotRow, toSnapshot, writeAndCommitSql } from './ingest-sql';
import type { AcceptedAlert, ItemResult } from './items';
import { rulesResolvingWhenCleared, type RecentAlertCounter } from './rules';
import { RULES, type CorrelationField, type RulesFile } from './rules.schema';

export { IdempotencyConflict, IngestInterrupted } from './ingest-path';

const COLUMN: Record<CorrelationField, string> = { sourceIp: 'source_ip', destinationIp: 'destination_ip', user: '"user"', host: 'host' };

/**
 * The ingest path's store in PostgreSQL. Each chunk is one transaction of two round trips:
 * BEGIN with advisory locks on every fingerprint and correlation key of the chunk
 * (serializing racing replicas in PostgreSQL itself) and a snapshot read; then every write
 * plus COMMIT. Nothing is acknowledged before that COMMIT.
 */
class PgIngestStore implements IngestStore {
  constructor(
    private readonly pool: Pool,
    private readonly outbox: OutboxDispatcher,
    /** Tells the channels (Slack thread, Jira issue) which incidents alerts joined, after the commit. */
    private readonly alertsAdded: (incidentIds: string[]) => Promise<void>,
    private readonly metrics: WardenMetrics,
    /** Rules with `resolve_when_cleared`: resolving the last firing alert of their incident tells its workflow. */
    private readonly clearingRules: readonly string[],
  ) {}

  newId = randomUUID;

  async transact<T>(request: SnapshotRequest, decide: (snapshot: Snapshot, now: Date) => { changes?: ChangeSet; value: T }): Promise<T> {
    const client = await this.pool.connect();
    let released = false;
    try {
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
      // Batched incidents have no thread or ticket of their own: their digest task does.
      const joined = [...changes.updated.values()].filter((u) => u.incident.action !== 'batch').map((u) => u.incident.id);
      if (joined.length > 0) await this.alertsAdded(joined);
      return value;
    } catch (err) {
      // A connection that cannot even roll back is destroyed rather than returned to the pool.
      const broken = await client.query('ROLLBACK').then(
        () => undefined,
        (e: Error) => e,
      );
      client.release(broken);
      released = true;
      throw err;
    } finally {
      if (!released) client.release();
    }
  }

  readonly countStored: RecentAlertCounter = async ({ type, by, withinSeconds }) => {
    const fields = Object.keys(by) as CorrelationField[];
    const { rows } = await this.pool.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM alerts
        WHERE type = $1 AND received_at > now() - make_interval(secs => $2) AND ${fields.map((f, i) => `${COLUMN[f]} = $${i + 3}`).join(' AND ')}`,
      [type, withinSeconds, ...fields.map((f) => by[f])],
    );
    return rows[0].count;
  };

  async resolve(alert: SecurityAlert): Promise<Resolved> {
    const params = [alert.source, alert.externalId ?? null];
    if (this.clearingRules.length === 0) return resolvedAnswer((await this.pool.query<MarkedRow>(MARK_RESOLVED, params)).rows[0]);
    const client = await this.pool.connect();
    let released = false;
    try {
      await client.query(`BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = '10s'`);
      // The incident row before the alert's, as ingest takes them: two resolves of one incident's alerts
      // queue here, so the later one sees the earlier as resolved and exactly one finds the incident cleared.
      await client.query(
        `SELECT 1 FROM incidents WHERE id = (SELECT incident_id FROM alerts WHERE source = $1 AND external_id = $2) FOR NO KEY UPDATE`,
        params,
      );
      const marked = (await client.query<MarkedRow>(MARK_RESOLVED, params)).rows[0];
      // A repeated resolved notice tells the workflow nothing new.
      const cleared =
        marked?.newly === true &&
        marked.incident_id !== null &&
        (await client.query<{ id: string }>(CLEARED, [marked.incident_id, this.clearingRules])).rows.length > 0;
      if (cleared) await enqueue(client, [{ incidentId: marked.incident_id!, kind: 'alerts_cleared', payload: { alertId: marked.id } }]);
      await client.query('COMMIT');
      if (cleared) this.outbox.nudge();
      return resolvedAnswer(marked);
    } catch (err) {
      const broken = await client.query('ROLLBACK').then(
        () => undefined,
        (e: Error) => e,
      );
      client.release(broken);
      released = true;
      throw err;
    } finally {
      if (!released) client.release();
    }
  }
}

interface MarkedRow {
  id: string;
  incident_id: string | null;
  priority: Priority;
  /** It was firing until now (a repeated notice keeps the first resolved_at). */
  newly: boolean;
}

/** Alertmanager's `resolved`: marks the alert with the same source and externalId. */
const MARK_RESOLVED = `WITH prev AS (SELECT id, resolved_at IS NULL AS newly FROM alerts WHERE source = $1 AND external_id = $2)
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
    notifications: NotificationsService,
    @Optional() @Inject(WARDEN_METRICS) metrics: WardenMetrics = NO_METRICS,
  ) {
    // The alerts are committed by then: a channel update that cannot be recorded is logged, never a failed ingest.
    const alertsAdded = (ids: string[]) =>
      notifications
        .alertsAdded(ids)
        .catch((err: Error) => this.logger.warn(`channel update for ${ids.length} incidents not recorded: ${err.message}`));
    const store = new PgIngestStore(pgPool(dataSource), outbox, alertsAdded, metrics, rulesResolvingWhenCleared(rules));
    this.path = new IngestPath(store, rules, (index, err) =>
      this.logger.warn(`item ${index} refused by the database (${(err as { code?: string }).code ?? '?'}): ${err.message}`),
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
