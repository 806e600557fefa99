import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { lit } from '../database/sql-literal';
import { AuditEvent } from './audit-event.entity';
import type { Columns } from '../database/rows';

export interface AuditRecord {
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  before?: object;
  after?: object;
  idempotencyKey?: string;
}

@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Appends one event; a repeat of the same idempotency key is a no-op. */
  async record(event: AuditRecord, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(AuditEvent)
      .values({
        actor: event.actor,
        action: event.action,
        subjectType: event.subjectType,
        subjectId: event.subjectId,
        before: event.before ?? null,
        after: event.after ?? null,
        idempotencyKey: event.idempotencyKey ?? null,
      })
      .orIgnore()
      .execute();
  }
}

/** The columns `auditValuesSql` fills, for writers that append audit rows inside a statement of their own. */
export const AUDIT_COLUMNS = 'actor, action, subject_type, subject_id, before, after, idempotency_key';

/** One audit row's values as literals in `AUDIT_COLUMNS` order, for the caller's VALUES tuple. */
export function auditValuesSql(e: AuditRecord): string {
  const json = (v: object | undefined) => (v === undefined ? 'NULL::jsonb' : lit(JSON.stringify(v), 'jsonb'));
  return [
    lit(e.actor),
    lit(e.action),
    lit(e.subjectType),
    lit(e.subjectId),
    json(e.before),
    json(e.after),
    lit(e.idempotencyKey, 'text'),
  ].join(', ');
}

/** One audit entry as a timeline shows it (the incident detail, evidence bundles). */
export interface TimelineEntry {
  id: string;
  at: Date;
  actor: string;
  action: string;
  subject: { type: string; id: string };
  before: unknown;
  after: unknown;
}

type AuditRow = Columns<
  'audit_log',
  'id' | 'occurred_at' | 'actor' | 'action' | 'subject_type' | 'subject_id' | 'before' | 'after',
  { before: unknown; after: unknown }
>;

/** The audit entries about these subjects, oldest first (at most `limit`). */
export async function readTimeline(
  db: { query<T>(sql: string, parameters?: unknown[]): Promise<T> },
  subjectIds: readonly string[],
  limit: number | null = null,
): Promise<TimelineEntry[]> {
  const rows = await db.query<AuditRow[]>(
    `SELECT id, occurred_at, actor, action, subject_type, subject_id, before, after FROM audit_log
      WHERE subject_id = ANY($1::text[]) ORDER BY occurred_at, id LIMIT $2`,
    [subjectIds, limit],
  );
  return rows.map((e) => ({
    id: String(e.id),
    at: e.occurred_at,
    actor: e.actor,
    action: e.action,
    subject: { type: e.subject_type, id: e.subject_id },
    before: e.before ?? null,
    after: e.after ?? null,
  }));
}
