import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { ProblemException } from '../common/problem';
import { AuthenticatedRequest, AuthGuard, RequireScope } from '../auth/auth.guard';
import { parseBody, uuidParam } from '../common/validation';
import { matcherSchema } from './silences';
import { SilencesService } from './silences.service';

const isoDate = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp' });

const createSilenceSchema = z
  .object({
    matchers: z.array(matcherSchema).min(1, 'must have at least one matcher').max(20),
    comment: z.string().max(2000).default(''),
    startsAt: isoDate.optional(),
    endsAt: isoDate.optional(),
    /** Alternative to endsAt, in seconds. */
    durationSeconds: z
      .number()
      .int()
      .positive()
      .max(365 * 86400)
      .optional(),
  })
  .strict()
  .refine((s) => (s.endsAt === undefined) !== (s.durationSeconds === undefined), {
    message: 'give exactly one of endsAt or durationSeconds',
    path: ['endsAt'],
  });

/** Analysts read silences; creating or expiring one mutes or unmutes alerts for the whole team, so it takes a lead. */
@Controller('v1/silences')
@UseGuards(AuthGuard)
@RequireScope('analyst')
export class SilencesController {
  constructor(private readonly silences: SilencesService) {}

  @Post()
  @RequireScope('lead')
  @HttpCode(201)
  async create(@Body() body: unknown, @Req() req: AuthenticatedRequest) {
    const input = parseBody(createSilenceSchema, body);
    const startsAt = input.startsAt ? new Date(input.startsAt) : new Date();
    const endsAt = input.endsAt ? new Date(input.endsAt) : new Date(startsAt.getTime() + input.durationSeconds! * 1000);
    if (endsAt <= startsAt)
      throw new ProblemException(422, 'The silence ends before it starts.', [{ path: '/endsAt', message: 'must be after startsAt' }]);
    return this.silences.create({
      matchers: input.matchers,
      comment: input.comment,
      createdBy: `key:${req.principal.name}`,
      startsAt,
      endsAt,
    });
  }

  @Get()
  async list(@Query('expired') expired?: string) {
    return { items: await this.silences.list(expired === 'true'), nextCursor: null };
  }

  @Get(':id')
  async get(@Param('id', uuidParam('silence')) id: string) {
    return (await this.silences.get(id)) ?? notFound(id);
  }

  /** Expires the silence now; the record stays for the audit trail. */
  @Delete(':id')
  @RequireScope('lead')
  async expire(@Param('id', uuidParam('silence')) id: string) {
    return (await this.silences.expire(id)) ?? notFound(id);
  }
}

function notFound(id: string): never {
  throw new ProblemException(404, `No silence with id ${id}.`, [{ path: 'path:id', message: 'not found' }]);
}
