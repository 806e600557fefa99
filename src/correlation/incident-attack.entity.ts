import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The ATT&CK matrix cells an incident's alerts fall in (src/enrichment/attack/cells.ts): a
 * technique under a tactic, or (technique null) the tactic itself. The ingest transaction adds
 * a cell the incident does not have yet, without waiting on anyone: two transactions adding the
 * same new cell at once may both add it, so readers count distinct incidents.
 */
@Entity({ name: 'incident_attack' })
@Index('IDX_incident_attack_incident', ['incidentId', 'tactic', 'technique'])
export class IncidentAttack {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ name: 'incident_id', type: 'uuid' })
  incidentId: string;

  @Column({ type: 'text' })
  tactic: string;

  @Column({ type: 'text', nullable: true })
  technique: string | null;
}
