import { Body, Controller, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { AuthenticatedRequest, AuthGuard, RequireScope } from '../auth/auth.guard';
import { parseBody, uuidParam } from '../common/validation';
import { DecideApproval } from './decide-approval';

const decideSchema = z
  .object({
    decision: z.enum(['approve', 'deny']),
    reason: z.string().trim().min(1, 'a decision needs a reason').max(2000),
  })
  .strict();
/** An approver's decision on a gated playbook step, over REST; Slack's buttons run the same use case. */
@Controller('v1/approvals')
@UseGuards(AuthGuard)
@RequireScope('analyst')
export class ApprovalDecisionsController {
  constructor(private readonly decideApproval: DecideApproval) {}

  @Post(':id')
  @HttpCode(200)
  decide(@Param('id', uuidParam('approval')) id: string, @Body() body: unknown, @Req() req: AuthenticatedRequest) {
    const input = parseBody(decideSchema, body);
    return this.decideApproval.execute({ approvalId: id, actor: { principal: req.principal }, ...input });
  }
}
