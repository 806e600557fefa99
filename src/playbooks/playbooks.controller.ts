import { Body, Controller, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { AuthGuard, RequireScope } from '../auth/auth.guard';
import { ProblemException } from '../common/problem';
import { parseBody } from '../common/validation';
import { CONTAINMENT_CONFIG, type ContainmentConfig } from '../containment/containment.schema';
import { dryRun } from './dry-run';
import { PLAYBOOKS, type LoadedPlaybook } from './playbook';
import { containmentRefusal } from './refusal';

const dryRunSchema = z.object({ incidentId: z.uuid({ message: 'must be a UUID' }) }).strict();

@Controller('v1/playbooks')
@UseGuards(AuthGuard)
@RequireScope('analyst')
export class PlaybooksController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(PLAYBOOKS) private readonly playbooks: Record<string, LoadedPlaybook>,
    @Inject(CONTAINMENT_CONFIG) private readonly containment: ContainmentConfig,
  ) {}

  /** Which steps would run against the incident, with their rendered inputs; touches nothing. */
  @Post(':name/dry-run')
  @HttpCode(200)
  async dryRun(@Param('name') name: string, @Body() body: unknown) {
    const { incidentId } = parseBody(dryRunSchema, body);
    const loaded = Object.hasOwn(this.playbooks, name) ? this.playbooks[name] : undefined;
    if (!loaded)
      throw new ProblemException(404, `No playbook ${JSON.stringify(name.slice(0, 200))}.`, [
        { path: 'path:name', message: 'no such playbook' },
      ]);
    const report = await dryRun({
      loaded,
      incidentId,
      db: this.dataSource,
      refuse: (action, input) => containmentRefusal(this.containment.allow_list, action, input),
    });
    if (!report) throw new ProblemException(404, `No incident ${incidentId}.`, [{ path: '/incidentId', message: 'no such incident' }]);
    return report;
  }
}
