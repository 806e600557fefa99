import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { pgPool } from '../database/pg';
import { DeliveryError } from '../notifications/notifier';
import type { IntegrationLink } from './integration-link.entity';
import type { Row } from '../database/rows';

export type { IntegrationLink } from './integration-link.entity';

type LinkRow = Row<'integration_links', { external: Record<string, unknown> }>;

/** A stable UUID for a key, so an object keyed by a notice (a reply, a comment) has a subject id in `integration_links`. */
export function subjectIdOf(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * What `ensure` tells `create`. An earlier attempt whose outcome is unknown (it failed, timed out or
 * its worker died) may have made the object: a create that can look for it should, from `earlierSince`.
 */
export interface CreateAttempt {
  /** When the first attempt to create this object began, if this is not the first; null on the first. */
  earlierSince: Date | null;
  /** What the first attempt recorded about its target (`intent`), so every attempt aims at the same place. */
  intent: Record<string, unknown>;
}

export type Created = { externalId: string; external?: Record<string, unknown> };

const toLink = (r: LinkRow): IntegrationLink => ({
  channel: r.channel,
  subjectId: r.subject_id,
  externalId: r.external_id,
  external: r.external,
  creatingUntil: r.creating_until,
  syncedAt: r.synced_at,
  createdAt: r.created_at,
});

/**
 * The external object of each incident or task per channel (Slack thread, Jira issue), created
 * at most once across every worker (`ensure`).
 */
@Injectable()
export class IntegrationLinks {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async find(channel: string, subjectId: string): Promise<IntegrationLink | null> {
    const [row] = await this.dataSource.query<LinkRow[]>(`SELECT * FROM integration_links WHERE channel = $1 AND subject_id = $2`, [
      channel,
      subjectId,
    ]);
    return row ? toLink(row) : null;
  }

  async findByExternal(channel: string, externalId: string): Promise<IntegrationLink | null> {
    const [row] = await this.dataSource.query<LinkRow[]>(`SELECT * FROM integration_links WHERE channel = $1 AND external_id = $2`, [
      channel,
      externalId,
    ]);
    return row ? toLink(row) : null;
  }

  /**
   * The link, creating the external object first when none is stored. A delivery claims the
   * creation for `claimSeconds` (no connection is held while the channel answers); another that
   * finds it claimed throws a transient DeliveryError and comes back later to the stored id. The
   * claim's row, written before `create` runs, is the record of the attempt: it stays when `create`
   * throws (only the claim is released) and a claim whose holder died runs out, so a later attempt
   * is told (`CreateAttempt.earlierSince`) that the object may exist already (a call applied while
   * answering 500, a lost answer) and should look for it before creating, as Jira's label search
   * and Slack's metadata search do. The first attempt's `intent` is kept for the later ones.
   */
  async ensure(
    channel: string,
    subjectId: string,
    create: (attempt: CreateAttempt) => Promise<Created>,
    options: { claimSeconds?: number; intent?: Record<string, unknown> } = {},
  ): Promise<IntegrationLink> {
    const existing = await this.find(channel, subjectId);
    if (existing?.externalId) return existing;
    const pool = pgPool(this.dataSource);
    // A row made by this statement has created_at = now(); an older one is an earlier attempt's.
    const { rows: claimed } = await pool.query<LinkRow & { earlier: boolean }>(
      `INSERT INTO integration_links (channel, subject_id, creating_until, external) VALUES ($1, $2, now() + make_interval(secs => $3), $4)
       ON CONFLICT (channel, subject_id) DO UPDATE SET creating_until = excluded.creating_until
         WHERE integration_links.external_id IS NULL AND (integration_links.creating_until IS NULL OR integration_links.creating_until < now())
       RETURNING *, created_at < now() AS earlier`,
      [channel, subjectId, options.claimSeconds ?? 60, options.intent ?? {}],
    );
    if (claimed.length === 0) {
      const now = await this.find(channel, subjectId);
      if (now?.externalId) return now;
      throw new DeliveryError(`${channel}: another delivery is creating the object for ${subjectId}`, false, 2);
    }
    const [claim] = claimed;
    let made: Created;
    try {
      made = await create({ earlierSince: claim.earlier ? claim.created_at : null, intent: claim.external });
    } catch (err) {
      await pool.query(
        `UPDATE integration_links SET creating_until = NULL WHERE channel = $1 AND subject_id = $2 AND external_id IS NULL`,
        [channel, subjectId],
      );
      throw err;
    }
    const {
      rows: [stored],
    } = await pool.query<LinkRow>(
      `UPDATE integration_links SET external_id = $3, external = $4, creating_until = NULL, synced_at = now()
        WHERE channel = $1 AND subject_id = $2 RETURNING *`,
      [channel, subjectId, made.externalId, made.external ?? {}],
    );
    return toLink(stored);
  }

  async synced(channel: string, subjectId: string): Promise<void> {
    await this.dataSource.query(`UPDATE integration_links SET synced_at = now() WHERE channel = $1 AND subject_id = $2`, [
      channel,
      subjectId,
    ]);
  }
}
