import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

// Roles, teams and analysts are defined in config/assignment.yaml; these tables mirror it
// (synced at start-up) so tasks, audit and the API can join on them. Analysts also carry
// their run-time settings, which the sync leaves alone.

@Entity({ name: 'roles' })
export class Role {
  @PrimaryColumn({ type: 'text' })
  name: string;

  /** Position in the escalation chain, 0 = lowest. */
  @Column({ type: 'integer' })
  rank: number;
}

@Entity({ name: 'teams' })
export class Team {
  @PrimaryColumn({ type: 'text' })
  name: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  members: string[];
}

@Entity({ name: 'analysts' })
export class Analyst {
  @PrimaryColumn({ type: 'text' })
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  role: string;

  @Column({ type: 'text', nullable: true })
  team: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  expertise: string[];

  @Column({ type: 'integer' })
  capacity: number;

  @Column({ type: 'boolean', default: true })
  available: boolean;

  // Run-time settings (PATCH /v1/analysts/{id}): the roster sync never writes them; null means
  // assignment.yaml's value holds. Every assignment decision applies them (roster.ts).

  @Column({ name: 'available_override', type: 'boolean', nullable: true })
  availableOverride: boolean | null;

  @Column({ name: 'capacity_override', type: 'integer', nullable: true })
  capacityOverride: number | null;

  /** Out of office until then, on top of assignment.yaml's absences. */
  @Column({ name: 'out_of_office_until', type: 'timestamptz', nullable: true })
  outOfOfficeUntil: Date | null;

  /** false once the analyst leaves assignment.yaml; kept so old tasks still name them. */
  @Column({ name: 'in_roster', type: 'boolean', default: true })
  inRoster: boolean;

  @UpdateDateColumn({ name: 'synced_at', type: 'timestamptz' })
  syncedAt: Date;
}

/** The last analyst assigned per role, for round robin across every worker replica. */
@Entity({ name: 'assignment_cursors' })
export class AssignmentCursor {
  @PrimaryColumn({ type: 'text' })
  role: string;

  @Column({ name: 'analyst_id', type: 'text' })
  analystId: string;
}
