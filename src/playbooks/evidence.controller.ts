import { Readable } from 'node:stream';
import { Controller, Get, Module, Param, StreamableFile, UseGuards } from '@nestjs/common';
import { AuthGuard, RequireScope } from '../auth/auth.guard';
import { ProblemException } from '../common/problem';
import { uuidParam } from '../common/validation';
import { EvidenceModule } from './evidence.module';
import { EvidenceService, type EvidenceVerdict } from './evidence.service';

/**
 * `GET /v1/incidents/{id}/evidence`: every bundle of the incident with its manifest and items, as
 * NDJSON (evidence.service.ts names the lines). It streams: the next page is read from the
 * database only when the client has taken the last one, so the api's memory does not grow with
 * the incident. `/evidence/verification`: the chain checked now, as `warden evidence verify --incident` does.
 */
@Controller('v1/incidents')
@UseGuards(AuthGuard)
@RequireScope('analyst')
export class EvidenceController {
  constructor(private readonly evidence: EvidenceService) {}

  @Get(':id/evidence')
  async export(@Param('id', uuidParam('incident')) id: string): Promise<StreamableFile> {
    const lines = await this.evidence.export(id);
    if (!lines) throw new ProblemException(404, `No incident ${id}.`, [{ path: 'path:id', message: 'no such incident' }]);
    // A failure past the first line cannot become a problem answer: the connection is cut, and the missing `end` line says so.
    return new StreamableFile(Readable.from(lines, { objectMode: false }), {
      type: 'application/x-ndjson; charset=utf-8',
      disposition: `attachment; filename="evidence-${id}.ndjson"`,
    });
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
