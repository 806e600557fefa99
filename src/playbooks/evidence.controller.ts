import { Controller, Get, Module, Param, UseGuards } from '@nestjs/common';
import { AuthGuard, RequireScope } from '../auth/auth.guard';
import { ProblemException } from '../common/problem';
import { uuidParam } from '../common/validation';
import { EvidenceModule } from './evidence.module';
import { EvidenceExport, EvidenceService } from './evidence.service';

/** `GET /v1/incidents/{id}/evidence`: every bundle of the incident, with its manifest and items. */
@Controller('v1/incidents')
@UseGuards(AuthGuard)
@RequireScope('analyst')
export class EvidenceController {
  constructor(private readonly evidence: EvidenceService) {}

  @Get(':id/evidence')
  async export(@Param('id', uuidParam('incident')) id: string): Promise<EvidenceExport> {
    const exported = await this.evidence.export(id);
    if (!exported) throw new ProblemException(404, `No incident ${id}.`, [{ path: 'path:id', message: 'no such incident' }]);
    return exported;
  }
}

/** The evidence routes, in the api only (the worker imports EvidenceModule without them). */
@Module({
  imports: [EvidenceModule],
  controllers: [EvidenceController],
})
export class EvidenceApiModule {}
