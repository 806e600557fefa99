import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { pgPool } from '../database/pg';
import { DeliveryError } from '../notifications/notifier';
import type { IntegrationLink } from './integration-link.entity';
import type { Row } from '../database/rows';

export type { IntegrationLink } from './integration-link.entity';

type LinkRow = Row<'integration_links', { external: Record<string, unknown> }>;

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
   * finds it claimed throws a transient DeliveryError and comes back later to the stored id. A
   * `create` that throws releases the claim; a claim whose holder died runs out, and the next
   * `create` should look for an object a lost answer created (as Jira's label search does).
   */
  async ensure(
    channel: string,
    subjectId: string,
    create: () => Promise<{ externalId: string; external?: Record<string, unknown> }>,
    claimSeconds = 60,
  ): Promise<IntegrationLink> {
    const existing = await this.find(channel, subjectId);
    if (existing?.externalId) return existing;
    const pool = pgPool(this.dataSource);
    const { rows: claimed } = await pool.query<LinkRow>(
      `INSERT INTO integration_links (channel, subject_id, creating_until) VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (channel, subject_id) DO UPDATE SET creating_until = excluded.creating_until
         WHERE integration_links.external_id IS NULL AND (integration_links.creating_until IS NULL OR integration_links.creating_until < now())
       RETURNING *`,
      [channel, subjectId, claimSeconds],
    );
    if (claimed.length === 0) {
      const now = await this.find(channel, subjectId);
      if (now?.externalId) return now;
      throw new DeliveryError(`${channel}: another delivery is creating the object for ${subjectId}`, false, 2);
    }
    let made: { externalId: string; external?: Record<string, unknown> };
    try {
      made = await create();
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
