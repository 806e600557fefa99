import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEvent } from './audit-event.entity';

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
