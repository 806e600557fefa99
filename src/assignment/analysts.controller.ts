import { Body, Controller, Get, Param, Patch, Query, Req, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { mayEditAnalyst } from '../auth/access';
import { assertAllowed } from '../auth/access.service';
import { AuthenticatedRequest, AuthGuard, RequireScope } from '../auth/auth.guard';
import { actorOf } from '../auth/principal';
import { limitSchema, parseBody, parseQuery } from '../common/validation';
import { AnalystsService } from './analysts.service';

const listSchema = z.object({ limit: limitSchema, cursor: z.string().optional() }).strict();

/** Each setting: a value sets it, null clears it back to assignment.yaml's, absent leaves it. */
const changeSchema = z
  .object({
    available: z.boolean().nullable().optional(),
    capacity: z.number().int().min(0).max(1000).nullable().optional(),
    outOfOfficeUntil: z.iso
      .datetime({ offset: true, message: 'must be a date-time with an offset, such as 2025-06-02T18:00:00Z' })
      .nullable()
      .optional(),
  })
  .strict()
  .refine((c) => Object.values(c).some((v) => v !== undefined), { message: 'give at least one of available, capacity, outOfOfficeUntil' });

/**
 * The roster with run-time availability and open load. Any analyst reads it (to see who is
 * free before a reassignment); an analyst changes their own settings, a lead anyone's.
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

  @Patch(':id')
  async update(@Param('id') id: string, @Body() body: unknown, @Req() req: AuthenticatedRequest) {
    const change = parseBody(changeSchema, body);
    assertAllowed(mayEditAnalyst(req.principal, id), `This API key may not change analyst ${id}`);
    return this.analysts.update(id, change, actorOf(req.principal));
  }
}
