import { Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { assetOf, sendAsset, type PageAssets } from '../web/static-page';

/** The injection token of the files, loaded once by `WorkspaceModule`. */
export const WORKSPACE_ASSETS = Symbol('WORKSPACE_ASSETS');

/**
 * The analyst's workspace: a static page and its files, open to anyone (they hold no data). The
 * page reads the session (GET /v1/session) and calls the REST API with it; signing in is the
 * auth routes' business (/auth/login), which the page sends a person to when there is no session.
 */
@Controller('app')
export class WorkspaceController {
  constructor(@Inject(WORKSPACE_ASSETS) private readonly files: PageAssets) {}

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
