import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { AuthGuard, RequireScope } from '../auth/auth.guard';
import { ProblemException } from '../common/problem';
import { decodeCursor, limitSchema, parseQuery } from '../common/validation';
import { isTacticId, isTechniqueId } from '../enrichment/attack/attack-table';
import { alertCursorValues } from './investigation';
import { statsRange } from './stats';
import { StatsService } from './stats.service';
import type { AttackIncidentView, StatsView } from './stats-view';

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp with an offset' });
const range = { from: instant.optional(), to: instant.optional() };
const rangeSchema = z.object(range).strict();
const attackSchema = z
  .object({
    ...range,
    tactic: z.string().refine(isTacticId, 'must be an ATT&CK tactic id such as TA0002').optional(),
    technique: z.string().refine(isTechniqueId, 'must be an ATT&CK technique id such as T1059 or T1059.001').optional(),
    limit: limitSchema,
    cursor: z.string().max(500).optional(),
  })
  .strict()
  .refine((q) => q.tactic !== undefined || q.technique !== undefined, { path: ['tactic'], message: 'give a tactic, a technique or both' });

const badRange = (field: string, message: string) =>
  new ProblemException(400, 'The query parameters are invalid.', [{ path: field, message }]);

@Controller('v1/stats')
@UseGuards(AuthGuard)
@RequireScope('lead')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get()
  async get(@Query() query: unknown): Promise<StatsView> {
    const range = statsRange(parseQuery(rangeSchema, query), new Date());
    if ('field' in range) throw badRange(range.field, range.message);
    return this.stats.stats(range.from, range.to);
  }

  /** The incidents of one ATT&CK tactic or matrix cell over the range (the dashboard's matrix, clicked). */
  @Get('attack/incidents')
  async attackIncidents(@Query() query: unknown): Promise<{ items: AttackIncidentView[]; nextCursor: string | null }> {
    const q = parseQuery(attackSchema, query);
    const range = statsRange(q, new Date());
    if ('field' in range) throw badRange(range.field, range.message);
    let after: { createdAt: string; id: string } | undefined;
    if (q.cursor) {
      const values = alertCursorValues(decodeCursor(q.cursor, 2));
      if (!values)
        throw new ProblemException(400, 'The cursor is not one this API gave out.', [{ path: 'query:cursor', message: 'invalid cursor' }]);
      after = { createdAt: values.receivedAt, id: values.id };
    }
    return this.stats.attackIncidents({ ...range, tactic: q.tactic, technique: q.technique, limit: q.limit, after });
  }
}
