import { Body, Controller, Get, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { AuthGuard, RequireScope, type AuthenticatedRequest } from '../../auth/auth.guard';
import { actorOf } from '../../auth/principal';
import { ProblemException } from '../../common/problem';
import { limitSchema, parseBody, parseQuery, uuidParam } from '../../common/validation';
import { localDay, REPORT_KINDS, requestedPeriod } from './period';
import { REPORT_HTML_CSP } from './render-html';
import { ReportsService, type ReportRecord } from './reports.service';

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp with an offset' });

const createSchema = z
  .object({
    kind: z.enum(REPORT_KINDS, { message: `must be one of ${REPORT_KINDS.join(', ')}` }),
    from: instant.optional(),
    to: instant.optional(),
  })
  .strict();

const listSchema = z
  .object({
    kind: z.enum(REPORT_KINDS, { message: `must be one of ${REPORT_KINDS.join(', ')}` }).optional(),
    limit: limitSchema,
    cursor: z.string().optional(),
  })
  .strict();

@Controller('v1/reports')
@UseGuards(AuthGuard)
@RequireScope('lead')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  /** Builds the report now: 201 with it, or 200 with the one already stored for that kind and period. */
  @Post()
  async create(
    @Body() body: unknown,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReportRecord> {
    const input = parseBody(createSchema, body);
    const period = requestedPeriod(input.kind, input, new Date(), this.reports.timeZone);
    if ('field' in period)
      throw new ProblemException(422, 'The request body is invalid.', [{ path: period.field, message: period.message }]);
    const { duplicate, record } = await this.reports.create(input.kind, period, 'manual', actorOf(req.principal));
    void reply.status(duplicate ? 200 : 201);
    return record;
  }

  @Get()
  async list(@Query() query: unknown) {
    return this.reports.list(parseQuery(listSchema, query));
  }

  @Get(':id')
  async get(@Param('id', uuidParam('report')) id: string): Promise<ReportRecord> {
    return this.reports.get(id);
  }

  /** The stored HTML, under a policy that lets it load nothing and run nothing. */
  @Get(':id/html')
  async html(@Param('id', uuidParam('report')) id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const { kind, from, html } = await this.reports.html(id);
    void reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', REPORT_HTML_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .header('content-disposition', `inline; filename="warden-${kind}-report-${localDay(from, this.reports.timeZone)}.html"`);
    return html;
  }
}
