import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { IncidentStatus } from '../domain';

/**
 * Correlated alerts. At most one incident per correlation key accepts alerts at a time:
 * the unique partial index makes that hold across any number of api replicas. It covers
 * md5(correlation_key), since a key can outgrow a btree entry (migration
 * 1795500000004-HashedKeys; TypeORM cannot declare an expression index, so it leaves it be).
 */
@Entity({ name: 'incidents' })
@Index('IDX_incidents_digest_pending', ['createdAt'], { where: "action = 'batch' AND digest_task_id IS NULL" })
@Index('UQ_incidents_open_correlation_key', { synchronize: false })
// md5(storm_kind), first_seen_at: a kind holds monitor-supplied text (migration 1796000000000-StormKinds).
@Index('IDX_incidents_storm_openings', { synchronize: false })
@Index('IDX_incidents_source_ip', ['sourceIp', 'createdAt'], { where: 'source_ip IS NOT NULL' })
export class Incident {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'correlation_key', type: 'text' })
  correlationKey: string;

  /** Set when the incident stops accepting alerts: its correlation window passed. */
  @Column({ name: 'correlation_closed_at', type: 'timestamptz', nullable: true })
  correlationClosedAt: Date | null;

  @Index('IDX_incidents_status')
  @Column({ type: 'text', default: 'open' })
  status: IncidentStatus;

  @Column({ type: 'text' })
  title: string;

  @Column({ type: 'text' })
  severity: string;

  @Column({ type: 'text' })
  priority: string;

  @Column({ type: 'text' })
  action: string;

  @Column({ type: 'text' })
  rule: string;

  /** The rule that opened it (`rule` follows priority rises): storm thresholds count incidents by it. */
  @Column({ name: 'opening_rule', type: 'text' })
  openingRule: string;

  /** A storm incident: a storming rule's alerts across correlation keys, counted per source in storm_sources. */
  /**
   * The storm kind (rule, type and monitor; correlation.ts stormKind) of its first alert,
   * when its rule folds storms: a kind's threshold counts its ordinary incidents by it.
   */
  @Column({ name: 'storm_kind', type: 'text', nullable: true })
  stormKind: string | null;

  @Column({ type: 'boolean', default: false })
  storm: boolean;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  playbooks: string[];

  @Column({ name: 'assign_role', type: 'text' })
  assignRole: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  types: string[];

  @Column({ name: 'source_ip', type: 'inet', nullable: true })
  sourceIp: string | null;

  @Column({ type: 'text', nullable: true })
  user: string | null;

  @Column({ type: 'text', nullable: true })
  host: string | null;

  /** Every alert that joined, repeats included. */
  /** Folded from incident_deltas (delta-fold.ts); the ingest snapshot adds those not yet folded. */
  @Column({ name: 'alert_count', type: 'integer', default: 1 })
  alertCount: number;

  @Column({ name: 'first_seen_at', type: 'timestamptz' })
  firstSeenAt: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt: Date;

  /** For `batch` incidents: the digest task that gathered them. */
  @Column({ name: 'digest_task_id', type: 'uuid', nullable: true })
  digestTaskId: string | null;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt: Date | null;

  @Index('IDX_incidents_created_at')
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
