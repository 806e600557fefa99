import { Controller, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { AuthenticatedRequest, AuthGuard, RequireScope } from '../auth/auth.guard';
import { uuidParam } from '../common/validation';
import { RedriveCompensations } from './redrive-compensations';

/** Operations on a playbook run; `warden playbooks redrive --run ID` calls this. */
@Controller('v1/playbooks/runs')
@UseGuards(AuthGuard)
@RequireScope('lead')
export class PlaybookRunsController {
  constructor(private readonly redriveCompensations: RedriveCompensations) {}

  /** 202 with the steps whose undo runs again; 404 for no such run, 409 when none of its compensations failed. */
  @Post(':id/redrive')
  @HttpCode(202)
  redrive(@Param('id', uuidParam('playbook run')) id: string, @Req() req: AuthenticatedRequest) {
    return this.redriveCompensations.execute({ runId: id, actor: { principal: req.principal } });
  }
}
