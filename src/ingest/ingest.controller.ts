import { Body, Controller, Headers, HttpCode, Inject, Optional, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { NO_METRICS, WARDEN_METRICS, type WardenMetrics } from '../common/metrics';
import { ProblemException, problem } from '../common/problem';
import type { Principal } from '../auth/principal';
import { AuthenticatedRequest, AuthGuard, RequireScope } from '../auth/auth.guard';
import { IdempotencyConflict, IngestInterrupted } from '../correlation/correlation.service';
import type { ItemResult } from '../correlation/items';
import { IngestService } from './ingest.service';
import { formatIntake, Intake, MAX_BATCH_ALERTS, nativeIntake } from './intake';
import { FORMAT_TABLES, FORMATS, isFormatName, normalizers, type FormatTables } from './normalizers';

@Controller('v1/alerts')
@UseGuards(AuthGuard)
@RequireScope('ingest')
export class IngestController {
  constructor(
    private readonly ingest: IngestService,
    @Inject(FORMAT_TABLES) private readonly formats: FormatTables,
    @Optional() @Inject(WARDEN_METRICS) private readonly metrics: WardenMetrics = NO_METRICS,
  ) {}

  @Post()
  @HttpCode(202)
  async native(
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.answer(nativeIntake(body), key, req.principal, reply, 'native');
  }

  @Post(':format')
  @HttpCode(202)
  async format(
    @Param('format') format: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (!isFormatName(format)) {
      throw new ProblemException(404, `Unknown alert format "${format}". Known formats: ${FORMATS.join(', ')}.`, [
        { path: 'path:format', message: `must be one of ${FORMATS.join(', ')}` },
      ]);
    }
    return this.answer(formatIntake(body, normalizers[format], this.formats), key, req.principal, reply, format);
  }

  private async answer(intake: Intake, idempotencyKey: string | undefined, caller: Principal, reply: FastifyReply, format: string) {
    if (intake.items.length === 0)
      throw new ProblemException(422, 'The request contains no alerts.', [
        { path: intake.pathPrefix || '/', message: 'must contain at least one alert' },
      ]);
    if (intake.items.length > MAX_BATCH_ALERTS) {
      throw new ProblemException(413, `A request may carry at most ${MAX_BATCH_ALERTS} alerts; this one has ${intake.items.length}.`, [
        { path: intake.pathPrefix || '/', message: `must contain at most ${MAX_BATCH_ALERTS} alerts` },
      ]);
    }
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 200)) {
      throw new ProblemException(400, 'The Idempotency-Key header must be 1 to 200 characters.', [
        { path: 'header:idempotency-key', message: 'must be 1 to 200 characters' },
      ]);
    }
    let results: ItemResult[];
    try {
      results = await this.ingest.ingest(intake.items, {
        idempotencyKey,
        caller: caller.keyId,
        sources: caller.sources,
        batch: intake.batch,
      });
    } catch (err) {
      if (err instanceof IdempotencyConflict) {
        throw new ProblemException(
          422,
          'This Idempotency-Key was already used with a different request body; use a new key for a new request.',
          [{ path: 'header:idempotency-key', message: 'was already used with a different body' }],
        );
      }
      if (!(err instanceof IngestInterrupted)) throw err;
      throw new ProblemException(
        503,
        'Storage is unavailable; some items may have been stored. ' +
          'Retry with the same Idempotency-Key (or externalIds): stored items are answered with their first result.',
        [{ path: intake.items[err.index]?.pointer || '/', message: 'not stored' }],
      );
    }
    this.metrics.alertsIngested(format, results);
    if (!intake.batch) return this.single(results[0], reply);
    return this.batch(results, reply);
  }

  private single(result: ItemResult, reply: FastifyReply) {
    if (result.status === 'rejected') throw new ProblemException(422, 'The alert is invalid.', result.errors);
    // A repeat answers with the first result; 200 tells the client nothing new was stored.
    if (result.repeat) reply.status(200);
    const answer = { alertId: result.alertId, incidentId: result.incidentId ?? null, status: result.status, priority: result.priority };
    // `warnings` only when a field was clipped: the shape clients rely on stays as it was otherwise.
    return result.warnings?.length ? { ...answer, warnings: result.warnings } : answer;
  }

  private batch(results: ItemResult[], reply: FastifyReply) {
    const count = (status: ItemResult['status']) => results.filter((r) => r.status === status).length;
    const summary = {
      accepted: count('new'),
      duplicates: count('duplicate'),
      suppressed: count('suppressed'),
      resolved: count('resolved'),
      rejected: count('rejected'),
      results,
    };
    if (summary.rejected === results.length) {
      // Nothing was stored: answer as a problem, still listing every item's errors.
      const body = {
        ...problem(
          422,
          'Every alert in the batch is invalid.',
          results.flatMap((r) => r.errors ?? []),
        ),
        ...summary,
      };
      reply.status(422).header('content-type', 'application/problem+json; charset=utf-8');
      return body;
    }
    return summary;
  }
}
