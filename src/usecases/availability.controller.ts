import { Body, Controller, Param, Patch, Req, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { AuthenticatedRequest, AuthGuard, RequireScope } from '../auth/auth.guard';
import { parseBody } from '../common/validation';
import { SetAvailability } from './set-availability';

/** Each setting: a value sets it, null clears it back to assignment.yaml's, absent leaves it. */
const changeSchema = z
  .object({
    available: z.boolean().nullable().optional(),
    capacity: z.number().int().min(0).max(1000).nullable().optional(),
    outOfOfficeUntil: z.iso
      .datetime({ offset: true, message: 'must be a date-time with an offset, such as 2025-06-02T18:00:00Z' })
      .nullable()
      .optional(),
  })
  .strict()
  .refine((c) => Object.values(c).some((v) => v !== undefined), { message: 'give at least one of available, capacity, outOfOfficeUntil' });
/** An analyst's own availability, or a lead's change to anyone's, over REST; `/warden away` runs the same use case. */
@Controller('v1/analysts')
@UseGuards(AuthGuard)
@RequireScope('analyst')
export class AvailabilityController {
  constructor(private readonly setAvailability: SetAvailability) {}

  @Patch(':id')
  update(@Param('id') id: string, @Body() body: unknown, @Req() req: AuthenticatedRequest) {
    return this.setAvailability.execute({ analystId: id, actor: { principal: req.principal }, change: parseBody(changeSchema, body) });
  }
}
