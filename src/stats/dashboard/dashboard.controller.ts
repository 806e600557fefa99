import { Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { assetOf, sendAsset } from '../../web/static-page';
import type { DashboardAssets } from './dashboard-assets';

/** The injection token of the files, loaded once by `DashboardModule`. */
export const DASHBOARD_ASSETS = Symbol('DASHBOARD_ASSETS');

/**
 * The team lead dashboard: a static page and its files, open to anyone (they hold no data);
 * the page asks for a lead key and sends it with every API call it makes.
 */
@Controller('dashboard')
export class DashboardController {
  constructor(@Inject(DASHBOARD_ASSETS) private readonly files: DashboardAssets) {}

  @Get()
  page(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply) {
    return sendAsset(reply, this.files.page, undefined, ifNoneMatch);
  }

  @Get('assets/:name')
  asset(
    @Param('name') name: string,
    @Query('v') version: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    return sendAsset(reply, assetOf(this.files, name), typeof version === 'string' ? version : undefined, ifNoneMatch);
  }
}
