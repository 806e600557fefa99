import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { EvidenceService } from './evidence.service';

/**
 * Evidence bundles: the service the worker's `collect_evidence` activity adapts. The api's
 * routes are EvidenceApiModule (evidence.controller.ts), kept apart so the worker never
 * reaches a controller or the auth guard.
 */
@Module({
  imports: [AuditModule],
  providers: [EvidenceService],
  exports: [EvidenceService],
})
export class EvidenceModule {}
