import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { IncidentsService } from '../correlation/incidents.service';
import { advisoryLocksSql } from '../database/locks';
import { isMoreUrgent } from '../domain';
import { checklistFor } from './checklists';
import { SLA_CONFIG, type SlaConfig } from './sla.schema';
import { slaDeadlines } from './sla';
import { TaskView } from './task-view';
import { TasksService } from './tasks.service';

/** Most incidents in one digest; the rest wait for the next interval. */
export const DIGEST_LIMIT = 500;

/** Gathers the open `batch` incidents not yet in a digest into one task per interval. */
@Injectable()
export class DigestService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SLA_CONFIG) private readonly sla: SlaConfig,
    private readonly tasks: TasksService,
    private readonly incidents: IncidentsService,
    private readonly audit: AuditService,
  ) {}

  /** `digestKey` names the interval (the scheduled run); a repeat returns the same task. Null when nothing waits. */
  async gather(digestKey: string): Promise<TaskView | null> {
    return this.dataSource.transaction(async (m) => {
      await m.query(advisoryLocksSql(['warden:digest']));
      const [existing] = await m.query<{ id: string }[]>(`SELECT id FROM tasks WHERE digest_key = $1`, [digestKey]);
      if (existing) return this.tasks.get(existing.id, m);

      const incidents = await this.incidents.awaitingDigest(m, DIGEST_LIMIT);
      if (incidents.length === 0) return null;
      // The most urgent incident sets the digest's priority and role.
      const lead = incidents.reduce((a, b) => (isMoreUrgent(b.priority, a.priority) ? b : a));
      const types = [...new Set(incidents.flatMap((i) => i.types))].sort();
      const alerts = incidents.reduce((n, i) => n + i.alert_count, 0);
      const [{ now }] = await m.query<{ now: Date }[]>(`SELECT now()`);
      const deadlines = slaDeadlines(lead.priority, now, this.sla);
      const [{ id }] = await m.query<{ id: string }[]>(
        `INSERT INTO tasks (kind, digest_key, title, priority, assign_role, checklist, opened_at, ack_deadline, resolve_deadline)
         VALUES ('digest', $1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [
          digestKey,
          `Digest: ${incidents.length} low-priority incidents, ${alerts} alerts (${types.join(', ')})`,
          lead.priority,
          lead.assign_role,
          JSON.stringify(checklistFor(types)),
          now,
          deadlines.ackBy,
          deadlines.resolveBy,
        ],
      );
      await this.incidents.attachToDigest(
        m,
        incidents.map((i) => i.id),
        id,
      );
      await this.audit.record(
        {
          actor: 'workflow',
          action: 'task.created',
          subjectType: 'task',
          subjectId: id,
          after: { kind: 'digest', digestKey, incidents: incidents.length },
          idempotencyKey: `task-${id}:created`,
        },
        m,
      );
      return this.tasks.get(id, m);
    });
  }
}
