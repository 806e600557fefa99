import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { AuthenticatedRequest, AuthGuard, RequireScope } from '../auth/auth.guard';
import { limitSchema, parseBody, parseQuery, uuidParam } from '../common/validation';
import { ApprovalsService } from './approvals.service';

const listSchema = z
  .object({
    status: z.enum(['pending', 'approved', 'denied', 'timed_out', 'cancelled']).optional(),
    incidentId: z.uuid({ message: 'must be a UUID' }).optional(),
    limit: limitSchema,
  })
  .strict();

const decideSchema = z
  .object({
    decision: z.enum(['approve', 'deny']),
    reason: z.string().trim().min(1, 'a decision needs a reason').max(2000),
  })
  .strict();

@Controller('v1/approvals')
@UseGuards(AuthGuard)
@RequireScope('analyst')
export class ApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Get()
  async list(@Query() query: unknown) {
    return { items: await this.approvals.list(parseQuery(listSchema, query)) };
  }

  @Post(':id')
  @HttpCode(200)
  async decide(@Param('id', uuidParam('approval')) id: string, @Body() body: unknown, @Req() req: AuthenticatedRequest) {
    const input = parseBody(decideSchema, body);
    return this.approvals.decide(id, req.principal, input.decision, input.reason);
  }
}
