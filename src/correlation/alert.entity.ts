import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { AlertStatus } from '../domain';

/** Every raw alert, as received and normalized; repeats and suppressed ones included. */
@Entity({ name: 'alerts' })
// The repeat key (source, externalId) is the sending key's; (source, external_id) leads so one probe also finds rows stored before keys were recorded.
@Index('UQ_alerts_source_external_id_api_key', ['source', 'externalId', 'apiKeyId'], { unique: true, where: 'external_id IS NOT NULL' })
@Index('IDX_alerts_fingerprint', ['fingerprint', 'lastSeenAt'], { where: "status = 'new'" })
@Index('IDX_alerts_source_ip', ['sourceIp', 'receivedAt'])
@Index('IDX_alerts_destination_ip', ['destinationIp', 'receivedAt'], { where: 'destination_ip IS NOT NULL' })
@Index('IDX_alerts_user', ['user', 'receivedAt'], { where: '"user" IS NOT NULL' })
@Index('IDX_alerts_host', ['host', 'receivedAt'], { where: 'host IS NOT NULL' })
/** Only resolved alerts: an incident's resolved count reads this alone (migration 1796100000000-ResolvedAlerts). */
@Index('IDX_alerts_resolved', ['incidentId'], { where: 'resolved_at IS NOT NULL' })
export class Alert {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  source: string;

  @Column({ name: 'external_id', type: 'text', nullable: true })
  externalId: string | null;

  @Index('UQ_alerts_idempotency_key', { unique: true, where: 'idempotency_key IS NOT NULL' })
  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey: string | null;

  /** The API key that sent it; null for alerts stored before it was recorded. */
  @Column({ name: 'api_key_id', type: 'uuid', nullable: true })
  apiKeyId: string | null;

  /** Identifies the request body stored under the Idempotency-Key: a reuse with another body is refused (422). */
  @Column({ name: 'body_hash', type: 'text', nullable: true })
  bodyHash: string | null;

  @Column({ type: 'text' })
  type: string;

  @Column({ type: 'text' })
  severity: string;

  @Column({ type: 'text' })
  title: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'source_ip', type: 'inet', nullable: true })
  sourceIp: string | null;

  @Column({ name: 'destination_ip', type: 'inet', nullable: true })
  destinationIp: string | null;

  @Column({ type: 'text', nullable: true })
  user: string | null;

  @Column({ type: 'text', nullable: true })
  host: string | null;

  @Column({ name: 'occurred_at', type: 'timestamptz', nullable: true })
  occurredAt: Date | null;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags: string[];

  @Column({ type: 'jsonb', nullable: true })
  raw: unknown;

  /** What src/enrichment/ added at ingest (geo, ATT&CK, intel hits, assets); null when it did not run. */
  @Column({ type: 'jsonb', nullable: true })
  enrichment: unknown;

  @Column({ type: 'text' })
  fingerprint: string;

  @Column({ type: 'text' })
  status: AlertStatus;

  /** For a duplicate: the first alert of its fingerprint, which carries the count. */
  @Column({ name: 'duplicate_of', type: 'uuid', nullable: true })
  duplicateOf: string | null;

  @Column({ name: 'occurrence_count', type: 'integer', default: 1 })
  occurrenceCount: number;

  @Column({ name: 'last_seen_at', type: 'timestamptz', default: () => 'now()' })
  lastSeenAt: Date;

  @Index('IDX_alerts_incident_id')
  @Column({ name: 'incident_id', type: 'uuid', nullable: true })
  incidentId: string | null;

  @Column({ type: 'text' })
  rule: string;

  @Column({ type: 'text' })
  action: string;

  @Column({ type: 'text' })
  priority: string;

  @Index('IDX_alerts_silence_id', { where: 'silence_id IS NOT NULL' })
  @Column({ name: 'silence_id', type: 'uuid', nullable: true })
  silenceId: string | null;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt: Date | null;
}
