import { Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ProblemException } from '../../common/problem';
import { Asset, cacheControl, DashboardAssets, notModified, SECURITY_HEADERS } from './dashboard-assets';

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
    return send(reply, this.files.page, undefined, ifNoneMatch);
  }

  @Get('assets/:name')
  asset(
    @Param('name') name: string,
    @Query('v') version: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    // A fixed table of names: nothing in the request ever becomes a path.
    const file = this.files.assets.get(name);
    if (!file) throw new ProblemException(404, 'No such dashboard asset.', [{ path: 'path:name', message: 'no such asset' }]);
    return send(reply, file, typeof version === 'string' ? version : undefined, ifNoneMatch);
  }
}

function send(reply: FastifyReply, file: Asset, version: string | undefined, ifNoneMatch: string | undefined) {
  void reply.headers(SECURITY_HEADERS).header('cache-control', cacheControl(file, version)).header('etag', file.etag);
  if (notModified(file, ifNoneMatch)) return reply.status(304).send();
  return reply.status(200).type(file.contentType).send(file.body);
}
