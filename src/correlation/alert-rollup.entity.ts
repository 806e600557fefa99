import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Alerts received per hour, by severity, type, status, and whether they joined a storm incident. Kept by ingest. */
@Entity({ name: 'alert_rollups' })
export class AlertRollup {
  @PrimaryColumn({ type: 'timestamptz' })
  bucket: Date;

  @PrimaryColumn({ type: 'text' })
  severity: string;

  @PrimaryColumn({ type: 'text' })
  type: string;

  @PrimaryColumn({ type: 'text' })
  status: string;

  /** A `new` alert that joined a storm incident: folded into the storm. */
  @PrimaryColumn({ type: 'boolean' })
  storm: boolean;

  @Column({ type: 'bigint' })
  alerts: string;
}

/** Alerts received per day (UTC) from one source address, every status: what the top sources add up. Kept by ingest. */
@Entity({ name: 'alert_source_rollups' })
export class AlertSourceRollup {
  @PrimaryColumn({ type: 'timestamptz' })
  bucket: Date;

  @PrimaryColumn({ name: 'source_ip', type: 'inet' })
  sourceIp: string;

  @Column({ type: 'bigint' })
  alerts: string;
}
