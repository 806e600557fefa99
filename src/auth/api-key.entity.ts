import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const SCOPES = ['ingest', 'analyst', 'lead', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Only the SHA-256 of a key is stored; the key itself is shown once, at creation. */
@Entity({ name: 'api_keys' })
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'key_hash', type: 'text', unique: true })
  keyHash: string;

  @Column({ type: 'text', array: true })
  scopes: Scope[];

  /** The analyst acting with this key: `assignee=me`, and the actor of ack, resolve and comments. */
  @Column({ name: 'analyst_id', type: 'text', nullable: true })
  analystId: string | null;

  /** The alert sources this key may send (`warden keys create --source`); null: any source. */
  @Column({ type: 'text', array: true, nullable: true })
  sources: string[] | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
