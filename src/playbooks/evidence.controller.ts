import { Controller, Get, Module, Param, UseGuards } from '@nestjs/common';
import { AuthGuard, RequireScope } from '../auth/auth.guard';
import { ProblemException } from '../common/problem';
import { uuidParam } from '../common/validation';
import { EvidenceModule } from './evidence.module';
import { EvidenceExport, EvidenceService, EvidenceVerdict } from './evidence.service';

/**
 * `GET /v1/incidents/{id}/evidence`: every bundle of the incident, with its manifest and items;
 * `/evidence/verification`: the chain checked now, as `warden evidence verify --incident` does.
 */
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

  /** Recomputes every hash and link of the incident's chain against the audit log's seals; asked for, never polled. */
  @Get(':id/evidence/verification')
  async verify(@Param('id', uuidParam('incident')) id: string): Promise<EvidenceVerdict> {
    const verdict = await this.evidence.verify(id);
    if (!verdict) throw new ProblemException(404, `No incident ${id}.`, [{ path: 'path:id', message: 'no such incident' }]);
    return verdict;
  }
}

/** The evidence routes, in the api only (the worker imports EvidenceModule without them). */
@Module({
  imports: [EvidenceModule],
  controllers: [EvidenceController],
})
export class EvidenceApiModule {}
