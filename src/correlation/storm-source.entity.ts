import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A storm incident's alerts from one source (what its own incident would have been keyed by). */
@Entity({ name: 'storm_sources' })
@Index('IDX_storm_sources_source', ['source'])
export class StormSource {
  @PrimaryColumn({ name: 'incident_id', type: 'uuid' })
  incidentId: string;

  @PrimaryColumn({ type: 'text' })
  source: string;

  /** Every alert from the source that joined, repeats included. */
  @Column({ type: 'integer' })
  alerts: number;

  @Column({ name: 'first_seen_at', type: 'timestamptz' })
  firstSeenAt: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt: Date;
}
