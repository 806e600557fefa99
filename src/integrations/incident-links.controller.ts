import { Controller, Get, Module, Param, UseGuards } from '@nestjs/common';
import { AuthGuard, RequireScope } from '../auth/auth.guard';
import { uuidParam } from '../common/validation';
import { IncidentLinksReader, type IncidentLinksView } from './incident-links';

/** `GET /v1/incidents/{id}/links`: the incident's page, Slack thread and Jira issue (the workspace links to them). */
@Controller('v1/incidents')
@UseGuards(AuthGuard)
@RequireScope('analyst')
export class IncidentLinksController {
  constructor(private readonly links: IncidentLinksReader) {}

  @Get(':id/links')
  async get(@Param('id', uuidParam('incident')) id: string): Promise<IncidentLinksView> {
    return this.links.read(id);
  }
}

/** The integrations' read routes, in the api only (the worker has IntegrationsModule without them). */
@Module({
  controllers: [IncidentLinksController],
  providers: [IncidentLinksReader],
})
export class IntegrationsApiModule {}
