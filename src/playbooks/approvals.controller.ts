import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { AuthGuard, RequireScope } from '../auth/auth.guard';
import { limitSchema, parseQuery } from '../common/validation';
import { ApprovalsService } from './approvals.service';

const listSchema = z
  .object({
    status: z.enum(['pending', 'approved', 'denied', 'timed_out', 'cancelled']).optional(),
    incidentId: z.uuid({ message: 'must be a UUID' }).optional(),
    limit: limitSchema,
  })
  .strict();

/** What waits for approval. Deciding is a use case (usecases/approval-decisions.controller.ts). */
@Controller('v1/approvals')
@UseGuards(AuthGuard)
@RequireScope('analyst')
export class ApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Get()
  async list(@Query() query: unknown) {
    return { items: await this.approvals.list(parseQuery(listSchema, query)) };
  }
}
