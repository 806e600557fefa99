import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { isIP } from 'node:net';
import { z } from 'zod';
import { limitSchema, parseQuery, uuidParam } from '../common/validation';
import { INCIDENT_STATUSES, PRIORITIES, SEVERITIES } from '../domain';
import { AuthGuard, RequireScope } from '../auth/auth.guard';
import { TaskQueriesService } from './task-queries.service';

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp with an offset' });

/** A text filter: a value longer than ingest ever stores (ingest/clip.ts) could match nothing, so it is refused by name. */
const textFilter = (max: number) => z.string().min(1).max(max, `must be at most ${max} characters`).optional();

const listSchema = z
  .object({
    status: z.enum(INCIDENT_STATUSES).optional(),
    severity: z.enum(SEVERITIES).optional(),
    priority: z.enum(PRIORITIES).optional(),
    type: textFilter(64),
    sourceIp: z
      .string()
      .refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address')
      .optional(),
    user: textFilter(200),
    host: textFilter(255),
    from: instant.optional(),
    to: instant.optional(),
    limit: limitSchema,
    cursor: z.string().optional(),
  })
  .strict();

@Controller('v1/incidents')
@UseGuards(AuthGuard)
@RequireScope('analyst')
export class IncidentsController {
  constructor(private readonly queries: TaskQueriesService) {}

  @Get()
  async list(@Query() query: unknown) {
    return this.queries.listIncidents(parseQuery(listSchema, query));
  }

  @Get(':id')
  async get(@Param('id', uuidParam('incident')) id: string) {
    return this.queries.incidentDetail(id);
  }
}
