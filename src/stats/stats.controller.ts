import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { AuthGuard, RequireScope } from '../auth/auth.guard';
import { ProblemException } from '../common/problem';
import { parseQuery } from '../common/validation';
import { statsRange } from './stats';
import { StatsService } from './stats.service';
import type { StatsView } from './stats-view';

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp with an offset' });
const rangeSchema = z.object({ from: instant.optional(), to: instant.optional() }).strict();

@Controller('v1/stats')
@UseGuards(AuthGuard)
@RequireScope('lead')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get()
  async get(@Query() query: unknown): Promise<StatsView> {
    const range = statsRange(parseQuery(rangeSchema, query), new Date());
    if ('field' in range)
      throw new ProblemException(400, 'The query parameters are invalid.', [{ path: range.field, message: range.message }]);
    return this.stats.stats(range.from, range.to);
  }
}
