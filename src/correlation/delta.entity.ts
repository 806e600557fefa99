import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Append-only deltas written by the ingest transaction instead of updating a row that every
 * alert of a busy incident or storm would write (and lock across its commit). delta-fold.ts
 * folds them into `incidents` and `storm_sources` soon after.
 */

/** Alerts that joined an incident in one ingest transaction. */
@Entity({ name: 'incident_deltas' })
@Index('IDX_incident_deltas_incident', ['incidentId'])
export class IncidentDelta {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ name: 'incident_id', type: 'uuid' })
  incidentId: string;

  @Column({ type: 'integer' })
  alerts: number;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt: Date;
}

/** Alerts from one source that joined a storm incident in one ingest transaction. */
@Entity({ name: 'storm_source_deltas' })
@Index('IDX_storm_source_deltas_incident', ['incidentId'])
export class StormSourceDelta {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ name: 'incident_id', type: 'uuid' })
  incidentId: string;

  @Column({ type: 'text' })
  source: string;

  @Column({ type: 'integer' })
  alerts: number;

  @Column({ name: 'seen_at', type: 'timestamptz' })
  seenAt: Date;
}
