import Tokens from '@fastify/csrf';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ENV, type Env } from '../common/env';
import type { Columns } from '../database/rows';
import type { Scope } from './api-key.entity';
import type { SignInMethod } from './session.entity';
import { needsTouch, sessionLimits, sessionVerdict, type SessionLimits, type SessionVerdict } from './sessions';

/** A session as the guard and the sign-in routes see it. */
export interface SessionRecord {
  id: string;
  analystId: string;
  scopes: Scope[];
  via: SignInMethod;
  csrfSecret: string;
}

/** A session looked up by its cookie's token, with the database's verdict on it. */
export type FoundSession = SessionRecord & { verdict: SessionVerdict };

type SessionRow = Columns<
  'sessions',
  'id' | 'analyst_id' | 'scopes' | 'via' | 'csrf_secret' | 'created_at' | 'last_seen_at' | 'ended_at',
  { scopes: Scope[]; via: SignInMethod }
> & { key_revoked: boolean; now: Date };

/** The cookie's token: 256 random bits, so a fast hash is enough to store it (as for API keys). */
const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * CSRF tokens bound to a session: each session has its own secret (in its row), and a token is a
 * salted HMAC of it (@fastify/csrf, the engine of @fastify/csrf-protection). A token from another
 * session, or from before sign-in, never verifies.
 */
const csrf = new Tokens({});

/**
 * Server-side sessions (the `sessions` table): opened at sign-in, checked on every request that
 * carries the cookie, ended by sign-out. Times are the database's, so replicas agree.
 */
@Injectable()
export class SessionsService {
  readonly limits: SessionLimits;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ENV) env: Env,
  ) {
    this.limits = sessionLimits(env);
  }

  /** Opens a session; returns the token for the cookie (shown nowhere else) and the session. */
  async start(input: {
    analystId: string;
    scopes: Scope[];
    via: SignInMethod;
    apiKeyId?: string | null;
  }): Promise<{ token: string; session: SessionRecord; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const csrfSecret = csrf.secretSync();
    const [row] = await this.dataSource.query<Columns<'sessions', 'id' | 'created_at' | 'last_seen_at'>[]>(
      `INSERT INTO sessions (token_hash, analyst_id, scopes, via, api_key_id, csrf_secret) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, created_at, last_seen_at`,
      [hashToken(token), input.analystId, input.scopes, input.via, input.apiKeyId ?? null, csrfSecret],
    );
    const verdict = sessionVerdict({ createdAt: row.created_at, lastSeenAt: row.last_seen_at, endedAt: null }, row.created_at, this.limits);
    if (!verdict.live) throw new Error('a new session is not live: SESSION_IDLE_SECONDS or SESSION_MAX_HOURS is zero');
    return {
      token,
      session: { id: row.id, analystId: input.analystId, scopes: input.scopes, via: input.via, csrfSecret },
      expiresAt: verdict.expiresAt,
    };
  }

  /**
   * The session a cookie's token names, with whether it is still live; a live one's last use moves
   * to now (at most once a minute, see needsTouch). Null: no such session (never issued, or pruned).
   */
  async find(token: string): Promise<FoundSession | null> {
    const [row] = await this.dataSource.query<SessionRow[]>(
      `SELECT s.id, s.analyst_id, s.scopes, s.via, s.csrf_secret, s.created_at, s.last_seen_at, s.ended_at,
              (s.api_key_id IS NOT NULL AND (k.id IS NULL OR k.revoked_at IS NOT NULL)) AS key_revoked, now() AS now
         FROM sessions s LEFT JOIN api_keys k ON k.id = s.api_key_id
        WHERE s.token_hash = $1`,
      [hashToken(token)],
    );
    if (!row) return null;
    const times = { createdAt: row.created_at, lastSeenAt: row.last_seen_at, endedAt: row.ended_at };
    let verdict = sessionVerdict(times, row.now, this.limits, row.key_revoked);
    if (verdict.live && needsTouch(row.last_seen_at, row.now, this.limits)) {
      await this.dataSource.query(`UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND ended_at IS NULL AND last_seen_at < $2`, [
        row.id,
        row.now,
      ]);
      verdict = sessionVerdict({ ...times, lastSeenAt: row.now }, row.now, this.limits);
    }
    return { id: row.id, analystId: row.analyst_id, scopes: row.scopes, via: row.via, csrfSecret: row.csrf_secret, verdict };
  }

  /** Ends the session now; false when it had already ended. */
  async end(id: string): Promise<boolean> {
    const ended = await this.dataSource.query<Columns<'sessions', 'id'>[]>(
      `UPDATE sessions SET ended_at = now() WHERE id = $1 AND ended_at IS NULL RETURNING id`,
      [id],
    );
    return ended.length > 0;
  }

  /** A fresh CSRF token for the session (every token made from its secret is valid while it lives). */
  csrfToken(session: Pick<SessionRecord, 'csrfSecret'>): string {
    return csrf.create(session.csrfSecret);
  }

  csrfValid(session: Pick<SessionRecord, 'csrfSecret'>, token: unknown): boolean {
    return typeof token === 'string' && token.length > 0 && token.length <= 200 && csrf.verify(session.csrfSecret, token);
  }
}
