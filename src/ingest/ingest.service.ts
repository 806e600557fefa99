import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { FieldError } from '../common/problem';
import { ENV, WARDEN_CONFIG } from '../config/config.module';
import type { Env } from '../config/env';
import type { WardenConfig } from '../config/warden-config';
import { correlationKey, isWithinDedupWindow, OpenIncident, planCorrelation } from '../correlation/correlation';
import { fingerprint } from '../correlation/fingerprint';
import { evaluateRules, RecentAlertCounter, RuleDecision } from '../correlation/rules';
import type { CorrelationField, Priority } from '../correlation/rules.schema';
import { Matcher, silenceMatches } from '../correlation/silences';
import { inTransaction, pgPool } from '../database/pg';
import { OutboxDispatcher } from '../temporal/outbox-dispatcher.service';
import type { NormalizedItem } from './normalizers/types';
import { SecurityAlert, validateAlert } from './security-alert';

export type ItemStatus = 'new' | 'duplicate' | 'suppressed' | 'resolved' | 'rejected';

export interface ItemResult {
  index: number;
  status: ItemStatus;
  alertId?: string;
  incidentId?: string | null;
  priority?: Priority;
  errors?: FieldError[];
  /** True when this repeats an earlier request (same Idempotency-Key, or same source and externalId). */
  repeat?: boolean;
}

type Outcome = { result: Omit<ItemResult, 'index'>; wroteOutbox?: boolean };

/** Everything the decision needs, read in one statement once the locks are held. */
interface IngestState {
  now: Date;
  repeat: { id: string; incident_id: string | null; status: ItemStatus; priority: Priority } | null;
  /** The newest first-of-fingerprint alert, and whether its incident still accepts alerts. */
  first: { id: string; incident_id: string; last_seen_at: string; accepting: boolean } | null;
  open: { id: string; severity: OpenIncident['severity']; priority: Priority; types: string[]; alert_count: number; last_seen_at: string } | null;
  silences: { id: string; matchers: Matcher[] }[];
}

const COLUMN: Record<CorrelationField, string> = { sourceIp: 'source_ip', destinationIp: 'destination_ip', user: '"user"', host: 'host' };

/** Storage failed at `index`; other items of the request may or may not be committed (retries are idempotent). */
export class IngestInterrupted extends Error {
  constructor(readonly index: number, readonly cause: Error) {
    super(`storage failed at item ${index}: ${cause.message}`);
  }
}

/** Raised when the incident a duplicate would join closed between read and write; the retry takes the new-alert path. */
class IncidentClosedMeanwhile extends Error {}

const READ_STATE = `
  SELECT now() AS now,
    (SELECT row_to_json(r) FROM (
       SELECT id, incident_id, status, priority FROM alerts
        WHERE ($1::text IS NOT NULL AND idempotency_key = $1) OR ($3::text IS NOT NULL AND source = $2 AND external_id = $3)
        LIMIT 1) r) AS repeat,
    (SELECT row_to_json(f) FROM (
       SELECT a.id, a.incident_id, a.last_seen_at, i.correlation_closed_at IS NULL AS accepting
         FROM alerts a JOIN incidents i ON i.id = a.incident_id
        WHERE a.fingerprint = $4 AND a.status = 'new' ORDER BY a.last_seen_at DESC LIMIT 1) f) AS first,
    (SELECT row_to_json(i) FROM (
       SELECT id, severity, priority, types, alert_count, last_seen_at FROM incidents
        WHERE correlation_key = $5 AND correlation_closed_at IS NULL) i) AS open,
    (SELECT coalesce(json_agg(json_build_object('id', id, 'matchers', matchers)), '[]'::json)
       FROM silences WHERE starts_at <= now() AND ends_at > now()) AS silences`;

const INCIDENT_ID_COLUMN = 17;
const ALERT_COLUMNS = `source, external_id, idempotency_key, type, severity, title, description, source_ip, destination_ip,
  "user", host, occurred_at, tags, raw, fingerprint, status, duplicate_of, incident_id, rule, action, priority, silence_id`;

const INSERT_ALERT = `INSERT INTO alerts (${ALERT_COLUMNS}) VALUES (${Array.from({ length: 22 }, (_, i) => `$${i + 1}`).join(', ')}) RETURNING id`;

/**
 * The AnomalyToAction engine's write path. Each alert is one transaction: BEGIN with
 * advisory locks on its fingerprint and correlation key (serializing racing replicas in
 * PostgreSQL itself), one read of the state, the pure decisions, one write (alert,
 * incident, and an outbox row when the workflow must hear of it), COMMIT.
 */
@Injectable()
export class IngestService {
  private readonly pool: Pool;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(ENV) private readonly env: Env,
    private readonly outbox: OutboxDispatcher,
  ) {
    this.pool = pgPool(dataSource);
  }

  /**
   * Validates and stores each item; a rejected item never blocks the others. Items are
   * grouped by source IP (else user, else host) and groups run concurrently, so repeats
   * and correlated alerts keep their input order while unrelated ones overlap.
   */
  async ingest(items: NormalizedItem[], idempotencyKey?: string, pathPrefix = ''): Promise<ItemResult[]> {
    const results: ItemResult[] = new Array(items.length);
    const groups = new Map<string, { index: number; alert: SecurityAlert; resolves: boolean; prefix: string }[]>();
    for (const [index, item] of items.entries()) {
      const prefix = items.length > 1 || pathPrefix ? `${pathPrefix}/${index}` : '';
      if (item.errors?.length) {
        results[index] = { index, status: 'rejected', errors: item.errors.map((e) => ({ ...e, path: joinPath(prefix, e.path) })) };
        continue;
      }
      const validation = validateAlert(item.alert, prefix);
      if (!validation.ok) {
        results[index] = { index, status: 'rejected', errors: validation.errors };
        continue;
      }
      const a = validation.alert;
      const group = a.sourceIp ?? a.user ?? a.host ?? `#${index}`;
      groups.set(group, [...(groups.get(group) ?? []), { index, alert: a, resolves: !!item.resolves, prefix }]);
    }

    let wroteOutbox = false;
    let failure: IngestInterrupted | undefined;
    const queue = [...groups.values()];
    const storeGroup = async () => {
      for (let group = queue.shift(); group && !failure; group = queue.shift()) {
        for (const { index, alert, resolves, prefix } of group) {
          if (failure) return;
          const key = idempotencyKey ? (items.length > 1 ? `${idempotencyKey}:${index}` : idempotencyKey) : undefined;
          try {
            const outcome = resolves ? await this.resolve(alert) : await this.withRetry(() => this.store(alert, key));
            wroteOutbox ||= outcome.wroteOutbox ?? false;
            results[index] = { index, ...outcome.result };
          } catch (err) {
            // Data the database refuses (class 22/23) rejects this item only; anything else stops the request.
            if (!/^2[23]/.test((err as { code?: string }).code ?? '')) {
              failure ??= new IngestInterrupted(index, err as Error);
              return;
            }
            results[index] = { index, status: 'rejected', errors: [{ path: prefix || '/', message: `the database refused this alert: ${(err as Error).message}` }] };
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.env.INGEST_CONCURRENCY, queue.length) }, storeGroup));
    if (wroteOutbox) this.outbox.nudge();
    if (failure) throw failure;
    return results;
  }

  /**
   * A racing insert of the same idempotency key loses with 23505, and a duplicate may find
   * its incident closed meanwhile; either way the retry reads the state again.
   */
  private async withRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const retryable = (err as { code?: string }).code === '23505' || err instanceof IncidentClosedMeanwhile;
        if (!retryable || attempt >= 3) throw err;
      }
    }
  }

  private async store(alert: SecurityAlert, idempotencyKey: string | undefined): Promise<Outcome> {
    const decision = await evaluateRules(this.config.rules, alert, this.countRecent);
    const fp = fingerprint(alert, decision.dedupFields);
    const key = correlationKey(decision, alert, fp);
    return inTransaction(this.pool, [`fingerprint:${fp}`, `correlation:${key}`], async (c) => {
      const state = await this.readState(c, alert, idempotencyKey, fp, key);
      if (state.repeat) {
        const r = state.repeat;
        return { result: { status: r.status, alertId: r.id, incidentId: r.incident_id, priority: r.priority, repeat: true } };
      }
      const row = { alert, idempotencyKey, decision, fp };

      const silence = state.silences.find((s) => silenceMatches(s.matchers, alert));
      if (silence || decision.action === 'suppress') {
        const alertId = await this.insertAlert(c, { ...row, status: 'suppressed', silenceId: silence?.id });
        return { result: { status: 'suppressed', alertId, incidentId: null, priority: decision.priority } };
      }

      const first = state.first;
      if (first?.accepting && isWithinDedupWindow(new Date(first.last_seen_at), decision, state.now)) {
        return { result: await this.writeDuplicate(c, row, first) };
      }

      const open: OpenIncident | null = state.open && {
        id: state.open.id,
        severity: state.open.severity,
        priority: state.open.priority,
        types: state.open.types,
        alertCount: state.open.alert_count,
        lastSeenAt: new Date(state.open.last_seen_at),
      };
      const plan = planCorrelation(open, alert, decision, state.now);
      if (plan.kind === 'join') {
        const notify = plan.notify;
        const payload = { severity: plan.severity, priority: plan.priority, types: plan.types, alertCount: open!.alertCount + 1, changes: plan.changes };
        const [{ alert_id }] = await this.write(
          c,
          'ingest-join',
          `inc AS (UPDATE incidents SET severity = $1, priority = $2, types = $3, alert_count = alert_count + 1,
                          last_seen_at = now(), updated_at = now() WHERE id = $4 RETURNING id),
           ob AS (INSERT INTO outbox (incident_id, kind, payload) SELECT id, 'alerts_changed', $5 FROM inc WHERE $6::boolean)`,
          [plan.severity, plan.priority, plan.types, plan.incidentId, payload, notify],
          { ...row, status: 'new' },
          '(SELECT id FROM inc)',
        );
        return { result: { status: 'new', alertId: alert_id, incidentId: plan.incidentId, priority: plan.priority }, wroteOutbox: notify };
      }

      if (plan.closeStale) await c.query(`UPDATE incidents SET correlation_closed_at = now(), updated_at = now() WHERE id = $1`, [plan.closeStale]);
      // Batched incidents wait for the digest instead of starting a workflow each.
      const notify = decision.action !== 'batch';
      const payload = { severity: alert.severity, priority: decision.priority, types: [alert.type], alertCount: 1 };
      const [{ alert_id, incident_id }] = await this.write(
        c,
        'ingest-create',
        `inc AS (INSERT INTO incidents (correlation_key, title, severity, priority, action, rule, playbooks, assign_role, types,
                                        source_ip, "user", host, first_seen_at, last_seen_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now(), now()) RETURNING id),
         ob AS (INSERT INTO outbox (incident_id, kind, payload) SELECT id, 'incident_opened', $13 FROM inc WHERE $14::boolean)`,
        [key, alert.title, alert.severity, decision.priority, decision.action, decision.rule, decision.playbooks, decision.assignRole,
          [alert.type], alert.sourceIp ?? null, alert.user ?? null, alert.host ?? null, payload, notify],
        { ...row, status: 'new' },
        '(SELECT id FROM inc)',
      );
      return { result: { status: 'new', alertId: alert_id, incidentId: incident_id!, priority: decision.priority }, wroteOutbox: notify };
    });
  }

  private async readState(c: PoolClient, alert: SecurityAlert, idempotencyKey: string | undefined, fp: string, key: string): Promise<IngestState> {
    const { rows } = await c.query({ name: 'ingest-read-state', text: READ_STATE, values: [idempotencyKey ?? null, alert.source, alert.externalId ?? null, fp, key] });
    return rows[0];
  }

  /** A repeat inside the dedup window: bump the first alert's count and its incident's, store the raw alert. */
  private async writeDuplicate(c: PoolClient, row: AlertRow, first: NonNullable<IngestState['first']>): Promise<Omit<ItemResult, 'index'>> {
    const written = await this.write(
      c,
      'ingest-duplicate',
      `inc AS (UPDATE incidents SET alert_count = alert_count + 1, last_seen_at = now(), updated_at = now()
                WHERE id = $1 AND correlation_closed_at IS NULL RETURNING id, priority),
       firsts AS (UPDATE alerts SET occurrence_count = occurrence_count + 1, last_seen_at = now()
                   WHERE id = $2 AND EXISTS (SELECT 1 FROM inc))`,
      [first.incident_id, first.id],
      { ...row, status: 'duplicate', duplicateOf: first.id },
      '(SELECT id FROM inc)',
      ', (SELECT priority FROM inc) AS priority',
    );
    if (!written[0].incident_id) throw new IncidentClosedMeanwhile();
    return { status: 'duplicate', alertId: written[0].alert_id, incidentId: written[0].incident_id, priority: written[0].priority };
  }

  /**
   * One statement: the given CTEs (defining `inc`), then the alert insert linked to
   * `incidentExpr`. A rollback undoes all of it, so a failed condition is thrown, not patched.
   */
  private async write(c: PoolClient, name: string, ctes: string, params: unknown[], row: AlertRow & AlertExtras, incidentExpr: string, extraSelect = '') {
    const values = alertValues(row).filter((_, i) => i !== INCIDENT_ID_COLUMN);
    const placeholders = values.map((_, i) => `$${params.length + i + 1}`);
    placeholders.splice(INCIDENT_ID_COLUMN, 0, incidentExpr);
    // Named, so each connection parses and plans the statement once.
    const { rows } = await c.query({
      name,
      text: `WITH ${ctes},
         al AS (INSERT INTO alerts (${ALERT_COLUMNS}) VALUES (${placeholders.join(', ')}) RETURNING id)
       SELECT (SELECT id FROM al) AS alert_id, ${incidentExpr} AS incident_id${extraSelect}`,
      values: [...params, ...values],
    });
    return rows as { alert_id: string; incident_id: string | null; priority?: Priority }[];
  }

  private async insertAlert(c: PoolClient, row: AlertRow & AlertExtras): Promise<string> {
    const values = alertValues(row);
    const { rows } = await c.query({ name: 'ingest-insert-alert', text: INSERT_ALERT, values });
    return rows[0].id;
  }

  /** Stored alerts of the type with the same fields inside the window; a threshold is a rate, so this reads outside the transaction. */
  private readonly countRecent: RecentAlertCounter = async ({ type, by, withinSeconds }) => {
    const fields = Object.keys(by) as CorrelationField[];
    const { rows } = await this.pool.query(
      `SELECT count(*)::int AS count FROM alerts
        WHERE type = $1 AND received_at > now() - make_interval(secs => $2) AND ${fields.map((f, i) => `${COLUMN[f]} = $${i + 3}`).join(' AND ')}`,
      [type, withinSeconds, ...fields.map((f) => by[f])],
    );
    return rows[0].count;
  };

  /** Alertmanager's `resolved`: marks the firing alert with the same source and externalId. */
  private async resolve(alert: SecurityAlert): Promise<Outcome> {
    const { rows } = await this.pool.query(
      `UPDATE alerts SET resolved_at = coalesce(resolved_at, now())
        WHERE source = $1 AND external_id = $2 RETURNING id, incident_id, priority`,
      [alert.source, alert.externalId ?? null],
    );
    const r = rows[0];
    return { result: r ? { status: 'resolved', alertId: r.id, incidentId: r.incident_id, priority: r.priority } : { status: 'resolved' } };
  }
}

interface AlertRow {
  alert: SecurityAlert;
  idempotencyKey?: string;
  decision: RuleDecision;
  fp: string;
}
interface AlertExtras {
  status: 'new' | 'duplicate' | 'suppressed';
  duplicateOf?: string;
  incidentId?: string | null;
  silenceId?: string;
}

/** Values in ALERT_COLUMNS order. */
function alertValues({ alert, idempotencyKey, decision, fp, status, duplicateOf, incidentId, silenceId }: AlertRow & AlertExtras): unknown[] {
  return [alert.source, alert.externalId ?? null, idempotencyKey ?? null, alert.type, alert.severity, alert.title, alert.description ?? null,
    alert.sourceIp ?? null, alert.destinationIp ?? null, alert.user ?? null, alert.host ?? null, alert.occurredAt ?? null, alert.tags ?? [],
    alert.raw === undefined ? null : JSON.stringify(alert.raw), fp, status, duplicateOf ?? null, incidentId ?? null, decision.rule,
    decision.action, decision.priority, silenceId ?? null];
}

/** `/3` + `/alert/severity`; a record-level error (`/` or empty) names the item itself. */
const joinPath = (prefix: string, path: string) => (path === '/' || path === '' ? prefix || '/' : `${prefix}${path}`);
