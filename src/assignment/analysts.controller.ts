import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { AuthGuard, RequireScope } from '../auth/auth.guard';
import { limitSchema, parseQuery } from '../common/validation';
import { AnalystsService } from './analysts.service';

const listSchema = z.object({ limit: limitSchema, cursor: z.string().optional() }).strict();

/**
 * The roster with run-time availability and open load. Any analyst reads it (to see who is
 * free before a reassignment); changing it is a use case (usecases/availability.controller.ts).
 */
@Controller('v1/analysts')
@UseGuards(AuthGuard)
@RequireScope('analyst')
export class AnalystsController {
  constructor(private readonly analysts: AnalystsService) {}

  @Get()
  async list(@Query() query: unknown) {
    const q = parseQuery(listSchema, query);
    return this.analysts.list(q.limit, q.cursor);
  }
}
