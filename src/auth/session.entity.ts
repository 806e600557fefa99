import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Scope } from './api-key.entity';

/** How a person signed in: single sign-on, or an API key that acts for them. */
export type SignInMethod = 'oidc' | 'key';

/**
 * A person signed in to the workspace. The cookie carries a random token (signed); only its
 * SHA-256 is stored, as for API keys. Sign-out sets `ended_at`, so a copied cookie stops working
 * at once; the worker's retention deletes ended and expired rows.
 */
@Entity({ name: 'sessions' })
@Check('CHK_sessions_via', `"via" IN ('oidc', 'key')`)
export class Session {
  /** Names the session in the audit log; not the cookie's token. */
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('IDX_sessions_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'text' })
  tokenHash: string;

  @Column({ name: 'analyst_id', type: 'text' })
  analystId: string;

  /** Fixed at sign-in: the roster role's (or the roles claim's), or the API key's. */
  @Column({ type: 'text', array: true })
  scopes: Scope[];

  @Column({ type: 'text' })
  via: SignInMethod;

  /** The API key of a key sign-in: revoking it ends the session. */
  @Column({ name: 'api_key_id', type: 'uuid', nullable: true })
  apiKeyId: string | null;

  /** The secret the session's CSRF tokens are made from and checked against (@fastify/csrf). */
  @Column({ name: 'csrf_secret', type: 'text' })
  csrfSecret: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz', default: () => 'now()' })
  lastSeenAt: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt: Date | null;
}
