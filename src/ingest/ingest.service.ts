import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import type { FieldError } from '../common/problem';
import { WARDEN_CONFIG } from '../config/config.module';
import type { WardenConfig } from '../config/warden-config';
import { correlationKey, isWithinDedupWindow, OpenIncident, planCorrelation } from '../correlation/correlation';
import { fingerprint } from '../correlation/fingerprint';
import { evaluateRules, RecentAlertCounter, RuleDecision } from '../correlation/rules';
import type { CorrelationField, Priority } from '../correlation/rules.schema';
import { ActiveSilence, SilencesService } from '../correlation/silences.service';
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
  /** True when this is a repeat of an earlier request (same Idempotency-Key or source and externalId). */
  repeat?: boolean;
}

const COLUMN: Record<CorrelationField, string> = { sourceIp: 'source_ip', destinationIp: 'destination_ip', user: '"user"', host: 'host' };
const IDEMPOTENCY_CONSTRAINTS = new Set(['UQ_alerts_source_external_id', 'UQ_alerts_idempotency_key']);

/**
 * The AnomalyToAction engine's write path. Each alert is one transaction: store it,
 * deduplicate by fingerprint, correlate into the open incident for its key and, on a
 * meaningful change, write an outbox row for the workflow. Advisory locks on the
 * fingerprint and the correlation key serialize racing replicas in PostgreSQL itself.
 */
@Injectable()
export class IngestService {
  private readonly logger = new Logger(IngestService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    private readonly silences: SilencesService,
    private readonly outbox: OutboxDispatcher,
  ) {}

  /**
   * Validates and stores each item in input order. Rejected items never block the
   * others; every stored item is committed before this returns.
   */
  async ingest(items: NormalizedItem[], idempotencyKey?: string, pathPrefix = ''): Promise<ItemResult[]> {
    const active = await this.silences.active();
    const results: ItemResult[] = [];
    let wroteOutbox = false;
    for (const [index, item] of items.entries()) {
      const prefix = items.length > 1 || pathPrefix ? `${pathPrefix}/${index}` : '';
      if (item.errors?.length) {
        results.push({ index, status: 'rejected', errors: item.errors.map((e) => ({ ...e, path: `${prefix}${e.path}` || '/' })) });
        continue;
      }
      const validation = validateAlert(item.alert, prefix);
      if (!validation.ok) {
        results.push({ index, status: 'rejected', errors: validation.errors });
        continue;
      }
      const key = idempotencyKey ? (items.length > 1 ? `${idempotencyKey}:${index}` : idempotencyKey) : undefined;
      const outcome = item.resolves
        ? await this.resolve(validation.alert)
        : await this.withRetry(() => this.store(validation.alert, key, active));
      wroteOutbox ||= outcome.wroteOutbox ?? false;
      results.push({ index, ...outcome.result });
    }
    if (wroteOutbox) this.outbox.nudge();
    return results;
  }

  /** A concurrent insert of the same idempotency key loses the race with 23505; the retry then finds the winner. */
  private async withRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const constraint = (err as { constraint?: string }).constraint;
        const retryable = err instanceof QueryFailedError && (err as { code?: string }).code === '23505';
        if (!retryable || attempt >= 3) throw err;
        this.logger.debug(`retrying after unique violation on ${constraint}`);
      }
    }
  }

  private store(alert: SecurityAlert, idempotencyKey: string | undefined, active: ActiveSilence[]) {
    return this.dataSource.transaction(async (m) => {
      const previous = await this.findRepeat(m, alert, idempotencyKey);
      if (previous) return { result: { ...previous, repeat: true } };

      const decision = await evaluateRules(this.config.rules, alert, this.counter(m));
      const fp = fingerprint(alert, decision.dedupFields);
      const silence = active.find((s) => s.matches(alert));
      if (silence || decision.action === 'suppress') {
        const alertId = await this.insertAlert(m, alert, { idempotencyKey, decision, fp, status: 'suppressed', silenceId: silence?.id });
        return { result: { status: 'suppressed' as const, alertId, incidentId: null, priority: decision.priority } };
      }

      await this.lock(m, `fingerprint:${fp}`);
      const duplicate = await this.joinAsDuplicate(m, alert, idempotencyKey, decision, fp);
      if (duplicate) return { result: duplicate };

      const key = correlationKey(decision, alert, fp);
      await this.lock(m, `correlation:${key}`);
      const { incidentId, priority, wroteOutbox } = await this.correlate(m, alert, decision, key);
      const alertId = await this.insertAlert(m, alert, { idempotencyKey, decision, fp, status: 'new', incidentId });
      return { result: { status: 'new' as const, alertId, incidentId, priority }, wroteOutbox };
    });
  }

  private async findRepeat(m: EntityManager, alert: SecurityAlert, idempotencyKey?: string): Promise<Omit<ItemResult, 'index'> | null> {
    if (!idempotencyKey && !alert.externalId) return null;
    const rows = await m.query(
      `SELECT id, incident_id, status, priority FROM alerts
        WHERE ($1::text IS NOT NULL AND idempotency_key = $1) OR ($3::text IS NOT NULL AND source = $2 AND external_id = $3)
        LIMIT 1`,
      [idempotencyKey ?? null, alert.source, alert.externalId ?? null],
    );
    if (!rows.length) return null;
    const [r] = rows;
    return { status: r.status, alertId: r.id, incidentId: r.incident_id, priority: r.priority };
  }

  private counter(m: EntityManager): RecentAlertCounter {
    return async ({ type, by, withinSeconds }) => {
      const fields = Object.keys(by) as CorrelationField[];
      const where = fields.map((f, i) => `${COLUMN[f]} = $${i + 3}`).join(' AND ');
      const [{ count }] = await m.query(
        `SELECT count(*)::int AS count FROM alerts
          WHERE type = $1 AND received_at > now() - make_interval(secs => $2) AND ${where}`,
        [type, withinSeconds, ...fields.map((f) => by[f])],
      );
      return count;
    };
  }

  private async lock(m: EntityManager, key: string): Promise<void> {
    await m.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
  }

  /** A repeat of a recent alert bumps the first one's count and joins its incident, if that still accepts alerts. */
  private async joinAsDuplicate(
    m: EntityManager,
    alert: SecurityAlert,
    idempotencyKey: string | undefined,
    decision: RuleDecision,
    fp: string,
  ): Promise<Omit<ItemResult, 'index'> | null> {
    const [first] = await m.query(
      `SELECT id, incident_id, last_seen_at, now() AS now FROM alerts
        WHERE fingerprint = $1 AND status = 'new' ORDER BY last_seen_at DESC LIMIT 1`,
      [fp],
    );
    if (!first || !isWithinDedupWindow(first.last_seen_at, decision, first.now)) return null;
    const [[incident]] = await m.query(
      `UPDATE incidents SET alert_count = alert_count + 1, last_seen_at = now(), updated_at = now()
        WHERE id = $1 AND correlation_closed_at IS NULL RETURNING priority`,
      [first.incident_id],
    );
    if (!incident) return null;
    await m.query(`UPDATE alerts SET occurrence_count = occurrence_count + 1, last_seen_at = now() WHERE id = $1`, [first.id]);
    const alertId = await this.insertAlert(m, alert, { idempotencyKey, decision, fp, status: 'duplicate', incidentId: first.incident_id, duplicateOf: first.id });
    return { status: 'duplicate', alertId, incidentId: first.incident_id, priority: incident.priority };
  }

  private async correlate(m: EntityManager, alert: SecurityAlert, decision: RuleDecision, key: string) {
    const [row] = await m.query(
      `SELECT id, severity, priority, types, alert_count, last_seen_at, now() AS now FROM incidents
        WHERE correlation_key = $1 AND correlation_closed_at IS NULL FOR UPDATE`,
      [key],
    );
    const open: OpenIncident | null = row
      ? { id: row.id, severity: row.severity, priority: row.priority, types: row.types, alertCount: row.alert_count, lastSeenAt: row.last_seen_at }
      : null;
    const plan = planCorrelation(open, alert, decision, row?.now ?? new Date());

    if (plan.kind === 'join') {
      await m.query(
        `UPDATE incidents SET severity = $2, priority = $3, types = $4, alert_count = alert_count + 1,
                last_seen_at = now(), updated_at = now() WHERE id = $1`,
        [plan.incidentId, plan.severity, plan.priority, plan.types],
      );
      if (plan.notify) {
        await this.enqueue(m, plan.incidentId, 'alerts_changed', {
          severity: plan.severity,
          priority: plan.priority,
          types: plan.types,
          alertCount: row.alert_count + 1,
          changes: plan.changes,
        });
      }
      return { incidentId: plan.incidentId, priority: plan.priority, wroteOutbox: plan.notify };
    }

    if (plan.closeStale) {
      await m.query(`UPDATE incidents SET correlation_closed_at = now(), updated_at = now() WHERE id = $1`, [plan.closeStale]);
    }
    const [created] = await m.query(
      `INSERT INTO incidents (correlation_key, title, severity, priority, action, rule, playbooks, assign_role, types,
                              source_ip, "user", host, first_seen_at, last_seen_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now(), now()) RETURNING id`,
      [key, alert.title, alert.severity, decision.priority, decision.action, decision.rule, decision.playbooks, decision.assignRole,
        [alert.type], alert.sourceIp ?? null, alert.user ?? null, alert.host ?? null],
    );
    // Batched incidents wait for the digest instead of starting a workflow each.
    const notify = decision.action !== 'batch';
    if (notify) {
      await this.enqueue(m, created.id, 'incident_opened', {
        severity: alert.severity,
        priority: decision.priority,
        types: [alert.type],
        alertCount: 1,
      });
    }
    return { incidentId: created.id as string, priority: decision.priority, wroteOutbox: notify };
  }

  private async enqueue(m: EntityManager, incidentId: string, kind: string, payload: Record<string, unknown>): Promise<void> {
    await m.query(`INSERT INTO outbox (incident_id, kind, payload) VALUES ($1, $2, $3)`, [incidentId, kind, payload]);
  }

  private async insertAlert(
    m: EntityManager,
    alert: SecurityAlert,
    o: { idempotencyKey?: string; decision: RuleDecision; fp: string; status: string; incidentId?: string | null; duplicateOf?: string; silenceId?: string },
  ): Promise<string> {
    const [row] = await m.query(
      `INSERT INTO alerts (source, external_id, idempotency_key, type, severity, title, description, source_ip, destination_ip,
                           "user", host, occurred_at, tags, raw, fingerprint, status, duplicate_of, incident_id, rule, action,
                           priority, silence_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
       RETURNING id`,
      [alert.source, alert.externalId ?? null, o.idempotencyKey ?? null, alert.type, alert.severity, alert.title,
        alert.description ?? null, alert.sourceIp ?? null, alert.destinationIp ?? null, alert.user ?? null, alert.host ?? null,
        alert.occurredAt ?? null, alert.tags ?? [], alert.raw === undefined ? null : JSON.stringify(alert.raw), o.fp, o.status,
        o.duplicateOf ?? null, o.incidentId ?? null, o.decision.rule, o.decision.action, o.decision.priority, o.silenceId ?? null],
    );
    return row.id;
  }

  /** Alertmanager's `resolved`: marks the firing alert with the same source and externalId. */
  private async resolve(alert: SecurityAlert): Promise<{ result: Omit<ItemResult, 'index'>; wroteOutbox?: boolean }> {
    const [rows] = await this.dataSource.query(
      `UPDATE alerts SET resolved_at = coalesce(resolved_at, now())
        WHERE source = $1 AND external_id = $2 RETURNING id, incident_id, priority`,
      [alert.source, alert.externalId ?? null],
    );
    const row = rows?.[0];
    return { result: row ? { status: 'resolved', alertId: row.id, incidentId: row.incident_id, priority: row.priority } : { status: 'resolved' } };
  }
}
