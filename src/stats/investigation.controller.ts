import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { AuthGuard, RequireScope } from '../auth/auth.guard';
import { limitSchema, parseQuery } from '../common/validation';
import type { InvestigationView } from './investigation';
import { InvestigationService } from './investigation.service';

const pageSchema = z.object({ limit: limitSchema, cursor: z.string().min(1).optional() }).strict();

/** `GET /v1/investigations/ip/{ip}`: the IP's alerts (paged), incidents, tasks, playbook actions, evidence and storm counts. */
@Controller('v1/investigations')
@UseGuards(AuthGuard)
@RequireScope('analyst')
export class InvestigationController {
  constructor(private readonly investigations: InvestigationService) {}

  @Get('ip/:ip')
  async ip(@Param('ip') ip: string, @Query() query: unknown): Promise<InvestigationView> {
    return this.investigations.investigateIp(ip, parseQuery(pageSchema, query));
  }
}
