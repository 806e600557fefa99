import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Alerts received per hour, by severity, type, status, and whether they joined a storm
 * incident. Ingest appends a row per transaction, so concurrent ingests never wait on a
 * shared row; readers sum; delta-fold.ts compacts the current buckets.
 */
@Entity({ name: 'alert_rollups' })
@Index('IDX_alert_rollups_bucket', ['bucket'])
export class AlertRollup {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ type: 'timestamptz' })
  bucket: Date;

  @Column({ type: 'text' })
  severity: string;

  @Column({ type: 'text' })
  type: string;

  @Column({ type: 'text' })
  status: string;

  /** A `new` alert that joined a storm incident: folded into the storm. */
  @Column({ type: 'boolean' })
  storm: boolean;

  @Column({ type: 'bigint' })
  alerts: string;
}

/** Alerts received per day (UTC) from one source address, every status: what the top sources add up. Appended like AlertRollup. */
@Entity({ name: 'alert_source_rollups' })
@Index('IDX_alert_source_rollups_bucket', ['bucket', 'sourceIp'])
export class AlertSourceRollup {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ type: 'timestamptz' })
  bucket: Date;

  @Column({ name: 'source_ip', type: 'inet' })
  sourceIp: string;

  @Column({ type: 'bigint' })
  alerts: string;
}

/**
 * Alerts received per day (UTC) by the country (`kind` country, `value` its ISO code) or the
 * ASN (`kind` asn, `value` its number) of their source address, as enrichment found it; every
 * status. `label` is the country's or the organisation's name. Appended like AlertRollup.
 */
@Entity({ name: 'alert_geo_rollups' })
@Index('IDX_alert_geo_rollups_bucket', ['bucket', 'kind'])
export class AlertGeoRollup {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Column({ type: 'timestamptz' })
  bucket: Date;

  @Column({ type: 'text' })
  kind: string;

  @Column({ type: 'text' })
  value: string;

  @Column({ type: 'text', nullable: true })
  label: string | null;

  @Column({ type: 'bigint' })
  alerts: string;
}
