import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { notFound } from '../domain/refusal';
import { decodeCursor, encodeCursor } from '../common/validation';
import { isOutOfOffice } from './assign';
import { ASSIGNMENT_CONFIG, type AnalystConfig, type AssignmentConfig } from './assignment.schema';
import { ANALYST_LOAD_SQL } from './assignment-sql';
import { AssignmentService } from './assignment.service';
import { applyOverride, freesCapacity } from './roster';
import type { Columns } from '../database/rows';

/** An analyst as the API shows them: the values assignment uses now, and their open load. */
export interface AnalystView {
  id: string;
  name: string;
  role: string;
  team: string | null;
  expertise: string[];
  /** assignment.yaml's value, or the run-time one when set. */
  capacity: number;
  available: boolean;
  /** Out of office now, from assignment.yaml's absences or `outOfOfficeUntil`. */
  outOfOffice: boolean;
  outOfOfficeUntil: string | null;
  /** Open tasks assigned to them now. */
  openTasks: number;
  /** The run-time settings; null: assignment.yaml's value holds. */
  overrides: { available: boolean | null; capacity: number | null };
}

/** A change through `PATCH /v1/analysts/{id}`: undefined leaves a setting as it is, null clears it. */
export interface AnalystChange {
  available?: boolean | null;
  capacity?: number | null;
  /** An instant with its offset. */
  outOfOfficeUntil?: string | null;
}

type AnalystRow = Columns<
  'analysts',
  | 'id'
  | 'name'
  | 'role'
  | 'team'
  | 'expertise'
  | 'capacity'
  | 'available'
  | 'available_override'
  | 'capacity_override'
  | 'out_of_office_until'
> & { open_tasks: number; now: Date };

const SELECT = `SELECT a.id, a.name, a.role, a.team, a.expertise, a.capacity, a.available, a.available_override, a.capacity_override,
       a.out_of_office_until, now() AS now,
       coalesce(l.open, 0) AS open_tasks
  FROM analysts a LEFT JOIN (${ANALYST_LOAD_SQL}) l ON l.analyst_id = a.id WHERE a.in_roster`;

/** The settings an audit entry records. */
const settings = (r: AnalystRow) => ({
  available: r.available_override,
  capacity: r.capacity_override,
  outOfOfficeUntil: r.out_of_office_until ? new Date(r.out_of_office_until).toISOString() : null,
});

/** The roster with each analyst's run-time availability, out-of-office and capacity, which assignment applies. */
@Injectable()
export class AnalystsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ASSIGNMENT_CONFIG) private readonly config: AssignmentConfig,
    private readonly assignment: AssignmentService,
    private readonly audit: AuditService,
  ) {}

  /** Analysts in the roster by id, in pages of `limit`. */
  async list(limit: number, cursor?: string): Promise<{ items: AnalystView[]; nextCursor: string | null }> {
    const after = cursor === undefined ? null : String(decodeCursor(cursor, 1)[0]);
    const rows = await this.dataSource.query<AnalystRow[]>(`${SELECT} AND ($1::text IS NULL OR a.id > $1) ORDER BY a.id LIMIT $2`, [
      after,
      limit + 1,
    ]);
    const page = rows.slice(0, limit);
    return { items: page.map((r) => this.view(r)), nextCursor: rows.length > limit ? encodeCursor([page[page.length - 1].id]) : null };
  }

  /**
   * Sets the analyst's run-time settings, audited with the actor. A change that frees capacity
   * gives it to the waiting tasks in the same transaction, under the assignment lock taken
   * first, as every path that assigns takes it.
   */
  async update(id: string, change: AnalystChange, actor: string): Promise<AnalystView> {
    const { after, drained } = await this.dataSource.transaction(async (m) => {
      await this.assignment.lock(m);
      const before = await this.read(m, id, true);
      const keep = (value: unknown, current: unknown) => (value === undefined ? current : value);
      await m.query(`UPDATE analysts SET available_override = $2, capacity_override = $3, out_of_office_until = $4 WHERE id = $1`, [
        id,
        keep(change.available, before.available_override),
        keep(change.capacity, before.capacity_override),
        keep(change.outOfOfficeUntil, before.out_of_office_until),
      ]);
      const after = await this.read(m, id);
      await this.audit.record(
        { actor, action: 'analyst.updated', subjectType: 'analyst', subjectId: id, before: settings(before), after: settings(after) },
        m,
      );
      if (!freesCapacity(this.effective(before), this.effective(after), new Date(after.now), this.config.working_hours.timezone))
        return { after, drained: [] };
      const drained = await this.assignment.drain(m);
      // Read again: the answer's open load counts the tasks the drain gave them.
      return { after: drained.length > 0 ? await this.read(m, id) : after, drained };
    });
    this.assignment.notifyDigests(drained);
    return this.view(after);
  }

  private async read(m: EntityManager, id: string, lock = false): Promise<AnalystRow> {
    const [row] = await m.query<AnalystRow[]>(`${SELECT} AND a.id = $1${lock ? ' FOR UPDATE OF a' : ''}`, [id]);
    if (!row) throw notFound(`No analyst ${id} in the roster.`, 'path:id', 'no such analyst');
    return row;
  }

  /** The analyst as assignment sees them: assignment.yaml's entry (its absences too) with the run-time settings on top. */
  private effective(row: AnalystRow): AnalystConfig {
    const base: AnalystConfig = this.config.analysts.find((a) => a.id === row.id) ?? {
      id: row.id,
      name: row.name,
      role: row.role,
      expertise: row.expertise,
      capacity: row.capacity,
      available: row.available,
      out_of_office: [],
    };
    return applyOverride(base, {
      available: row.available_override,
      capacity: row.capacity_override,
      out_of_office_until: settings(row).outOfOfficeUntil,
    });
  }

  private view(row: AnalystRow): AnalystView {
    const analyst = this.effective(row);
    return {
      id: row.id,
      name: row.name,
      role: row.role,
      team: row.team,
      expertise: row.expertise,
      capacity: analyst.capacity,
      available: analyst.available,
      outOfOffice: isOutOfOffice(analyst, new Date(row.now), this.config.working_hours.timezone),
      outOfOfficeUntil: settings(row).outOfOfficeUntil,
      openTasks: row.open_tasks,
      overrides: { available: row.available_override, capacity: row.capacity_override },
    };
  }
}
