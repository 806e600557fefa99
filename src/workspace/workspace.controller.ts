import { Controller, Inject } from '@nestjs/common';
import { StaticPageController, type PageAssets } from '../web/static-page';

/** The injection token of the files, loaded once by `WorkspaceModule`. */
export const WORKSPACE_ASSETS = Symbol('WORKSPACE_ASSETS');

/**
 * The analyst's workspace. The page reads the session (GET /v1/session) and calls the REST API
 * with it; signing in is the auth routes' business (/auth/login), which the page sends a person
 * to when there is no session.
 */
@Controller('app')
export class WorkspaceController extends StaticPageController {
  constructor(@Inject(WORKSPACE_ASSETS) files: PageAssets) {
    super(files);
  }
}
