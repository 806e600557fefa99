import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { Pool, QueryResult } from 'pg';
import { DataSource } from 'typeorm';
import { pgPool } from '../database/pg';
import type { Priority, SecurityAlert } from '../domain';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher.service';
import { CorrelationEngine, EngineResult } from './engine';
import { beginAndReadSql, SnapshotRow, toSnapshot, writeAndCommitSql } from './ingest-sql';
import type { AcceptedAlert, ItemResult } from './items';
import { evaluateRules, RecentAlertCounter, RuleDecision } from './rules';
import { RULES, type CorrelationField, type RulesFile } from './rules.schema';

/** Storage failed at `index`; other items of the request may or may not be committed (retries are idempotent). */
export class IngestInterrupted extends Error {
  constructor(
    readonly index: number,
    readonly cause: Error,
  ) {
    super(`storage failed at item ${index}: ${cause.message}`);
  }
}

interface Pending extends AcceptedAlert {
  decision: RuleDecision;
}

const COLUMN: Record<CorrelationField, string> = { sourceIp: 'source_ip', destinationIp: 'destination_ip', user: '"user"', host: 'host' };
/** Held while a chunk opens incidents for a storm-folding rule, so its threshold counts exactly across replicas. */
const ruleLock = (rule: string) => `storm-rule:${rule}`;

/** Alerts per transaction: large enough to amortize round trips, small enough to keep locks short. */
const CHUNK = 100;
const isDataError = (err: unknown) => /^2[23]/.test((err as { code?: string }).code ?? '');

/**
 * The AnomalyToAction engine's write path. Alerts are stored in chunks, each one
 * transaction of two round trips: BEGIN with advisory locks on every fingerprint and
 * correlation key of the chunk (serializing racing replicas in PostgreSQL itself) and a
 * snapshot read; then the pure CorrelationEngine decides, and every write plus COMMIT
 * goes in the second round trip. Nothing is acknowledged before that COMMIT.
 */
@Injectable()
export class CorrelationService {
  private readonly pool: Pool;
  /** Storm-folding rules that opened incidents within their window, until when (ms): their chunks lock the rule up front. */
  private readonly openingRules = new Map<string, number>();

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(RULES) private readonly rules: RulesFile,
    private readonly outbox: OutboxDispatcher,
  ) {
    this.pool = pgPool(dataSource);
  }

  /** Decides and stores each alert in input order; the results come back in that order too. */
  async store(alerts: readonly AcceptedAlert[]): Promise<ItemResult[]> {
    const results: ItemResult[] = [];
    const pending: Pending[] = [];
    // Thresholds count stored alerts plus the earlier alerts of this same request. The
    // stored count is a rate read outside any transaction, so one read per question and
    // request is enough: a batch of a thousand failed logins asks once, not a thousand times.
    const stored = new Map<string, Promise<number>>();
    const countRecent: RecentAlertCounter = async (q) => {
      const key = JSON.stringify([q.type, q.by, q.withinSeconds]);
      if (!stored.has(key)) stored.set(key, this.countStored(q));
      const earlier = pending.filter(
        (p) => p.alert.type === q.type && Object.entries(q.by).every(([f, v]) => p.alert[f as CorrelationField] === v),
      ).length;
      return (await stored.get(key)!) + earlier;
    };
    for (const accepted of alerts) {
      if (accepted.resolves) {
        results.push({ index: accepted.index, ...(await this.resolve(accepted.alert)) });
        continue;
      }
      pending.push({ ...accepted, decision: await evaluateRules(this.rules, accepted.alert, countRecent) });
    }

    let wroteOutbox = false;
    try {
      for (let i = 0; i < pending.length; i += CHUNK) {
        wroteOutbox = (await this.storeChunkIsolating(pending.slice(i, i + CHUNK), results)) || wroteOutbox;
      }
    } finally {
      if (wroteOutbox) this.outbox.nudge();
    }
    return results.sort((a, b) => a.index - b.index);
  }

  /**
   * Stores a chunk; if the database refuses some item's data, retries the items one by one
   * so only that item is rejected. A racing insert of the same idempotency key (23505)
   * is simply retried: the second attempt finds the winner's result.
   */
  private async storeChunkIsolating(chunk: Pending[], results: ItemResult[]): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.storeChunk(chunk, results);
      } catch (err) {
        if ((err as { code?: string }).code === '23505' && attempt < 3) continue;
        if (!isDataError(err)) throw new IngestInterrupted(chunk[0].index, err as Error);
        if (chunk.length === 1) {
          const { index, pointer } = chunk[0];
          results.push({
            index,
            status: 'rejected',
            errors: [{ path: pointer || '/', message: `the database refused this alert: ${(err as Error).message}` }],
          });
          return false;
        }
        let wrote = false;
        for (const item of chunk) wrote = (await this.storeChunkIsolating([item], results)) || wrote;
        return wrote;
      }
    }
  }

  /**
   * Storm state is read without its locks, so alerts of a rule that is not storming never
   * contend on it. When the engine routes alerts to a storm key, or opens incidents for a
   * storm-folding rule (whose threshold counts them), the chunk runs again holding those
   * locks; rules that opened incidents lately take theirs up front.
   */
  private async storeChunk(chunk: Pending[], results: ItemResult[]): Promise<boolean> {
    const now = Date.now();
    let stormLocks = [
      ...new Set(chunk.flatMap((p) => ((this.openingRules.get(p.decision.rule) ?? 0) > now ? [ruleLock(p.decision.rule)] : []))),
    ];
    for (;;) {
      const outcome = await this.runChunk(chunk, stormLocks);
      if ('relockWith' in outcome) {
        stormLocks = outcome.relockWith;
        continue;
      }
      chunk.forEach((p, i) => results.push({ index: p.index, ...outcome.results[i] }));
      for (const p of chunk) {
        if (outcome.openingRules.has(p.decision.rule)) this.openingRules.set(p.decision.rule, now + p.decision.storm!.withinSeconds * 1000);
      }
      return outcome.wroteOutbox;
    }
  }

  private async runChunk(
    chunk: Pending[],
    stormLocks: string[],
  ): Promise<{ results: EngineResult[]; wroteOutbox: boolean; openingRules: Set<string> } | { relockWith: string[] }> {
    const keys = chunk.map((p) => CorrelationEngine.keys(p.alert, p.decision));
    const stormRules = new Map(chunk.flatMap((p) => (p.decision.storm ? [[p.decision.rule, p.decision.storm] as const] : [])));
    const client = await this.pool.connect();
    let released = false;
    try {
      const read = (await client.query<SnapshotRow>(
        beginAndReadSql({
          lockNames: [...keys.flatMap((k) => [`fingerprint:${k.fingerprint}`, `correlation:${k.correlationKey}`]), ...stormLocks],
          fingerprints: keys.map((k) => k.fingerprint),
          correlationKeys: keys.flatMap((k) => (k.stormKey ? [k.correlationKey, k.stormKey] : [k.correlationKey])),
          idempotencyKeys: chunk.flatMap((p) => (p.idempotencyKey ? [p.idempotencyKey] : [])),
          externalIds: chunk.flatMap((p) => (p.alert.externalId ? [{ source: p.alert.source, externalId: p.alert.externalId }] : [])),
          stormRules: [...stormRules].map(([rule, s]) => ({ rule, withinSeconds: s.withinSeconds, threshold: s.threshold })),
        }),
      )) as unknown as QueryResult<SnapshotRow>[];
      const { now, snapshot } = toSnapshot(read[read.length - 1].rows[0]);
      const engine = new CorrelationEngine(snapshot, randomUUID);
      const results: EngineResult[] = chunk.map((p) => engine.apply(p.alert, p.decision, now, p.idempotencyKey));
      const needed = [...[...engine.stormKeys].map((k) => `correlation:${k}`), ...[...engine.openingRules].map(ruleLock)];
      const unlocked = needed.filter((k) => !stormLocks.includes(k));
      if (unlocked.length > 0) {
        await client.query('ROLLBACK');
        return { relockWith: [...stormLocks, ...unlocked] };
      }
      await client.query(writeAndCommitSql(engine.changes, now));
      return { results, wroteOutbox: engine.changes.outbox.length > 0, openingRules: engine.openingRules };
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

  /** Stored alerts of the type with the same fields inside the window; a threshold is a rate, so this reads outside the transaction. */
  private readonly countStored: RecentAlertCounter = async ({ type, by, withinSeconds }) => {
    const fields = Object.keys(by) as CorrelationField[];
    const { rows } = await this.pool.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM alerts
        WHERE type = $1 AND received_at > now() - make_interval(secs => $2) AND ${fields.map((f, i) => `${COLUMN[f]} = $${i + 3}`).join(' AND ')}`,
      [type, withinSeconds, ...fields.map((f) => by[f])],
    );
    return rows[0].count;
  };

  /** Alertmanager's `resolved`: marks the firing alert with the same source and externalId. */
  private async resolve(alert: SecurityAlert): Promise<Omit<ItemResult, 'index'>> {
    const { rows } = await this.pool.query<{ id: string; incident_id: string | null; priority: Priority }>(
      `UPDATE alerts SET resolved_at = coalesce(resolved_at, now())
        WHERE source = $1 AND external_id = $2 RETURNING id, incident_id, priority`,
      [alert.source, alert.externalId ?? null],
    );
    const r = rows[0];
    return r ? { status: 'resolved', alertId: r.id, incidentId: r.incident_id, priority: r.priority } : { status: 'resolved' };
  }
}
