import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Silence } from './silence.entity';
import type { Matcher } from './silences';
import type { Row } from '../database/rows';

export interface SilenceView {
  id: string;
  matchers: Matcher[];
  comment: string;
  createdBy: string;
  startsAt: Date;
  endsAt: Date;
  createdAt: Date;
  state: 'pending' | 'active' | 'expired';
  suppressedCount: number;
}

type SilenceRow = Row<'silences', { matchers: Matcher[] }> & { now: Date; suppressed_count: number };

@Injectable()
export class SilencesService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(input: { matchers: Matcher[]; comment: string; createdBy: string; startsAt: Date; endsAt: Date }): Promise<SilenceView> {
    const saved = await this.dataSource.getRepository(Silence).save(this.dataSource.getRepository(Silence).create(input));
    return (await this.get(saved.id))!;
  }

  async list(includeExpired: boolean): Promise<SilenceView[]> {
    return this.views(includeExpired ? '' : 'WHERE s.ends_at > now()');
  }

  async get(id: string): Promise<SilenceView | null> {
    const [view] = await this.views('WHERE s.id = $1', [id]);
    return view ?? null;
  }

  /** Expiring keeps the record (and its count) for the audit trail. */
  async expire(id: string): Promise<SilenceView | null> {
    await this.dataSource.query(`UPDATE silences SET ends_at = least(ends_at, now()) WHERE id = $1`, [id]);
    return this.get(id);
  }

  private async views(where: string, params: unknown[] = []): Promise<SilenceView[]> {
    const rows = await this.dataSource.query<SilenceRow[]>(
      `SELECT s.*, now() AS now, (SELECT count(*)::int FROM alerts a WHERE a.silence_id = s.id) AS suppressed_count
         FROM silences s ${where} ORDER BY s.created_at DESC`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      matchers: r.matchers,
      comment: r.comment,
      createdBy: r.created_by,
      startsAt: r.starts_at,
      endsAt: r.ends_at,
      createdAt: r.created_at,
      state: r.starts_at > r.now ? 'pending' : r.ends_at > r.now ? 'active' : 'expired',
      suppressedCount: r.suppressed_count,
    }));
  }
}
