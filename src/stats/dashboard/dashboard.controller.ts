import { Controller, Inject } from '@nestjs/common';
import { StaticPageController } from '../../web/static-page';
import type { DashboardAssets } from './dashboard-assets';

/** The injection token of the files, loaded once by `DashboardModule`. */
export const DASHBOARD_ASSETS = Symbol('DASHBOARD_ASSETS');

/** The team lead dashboard; the page asks for a lead key and sends it with every API call it makes. */
@Controller('dashboard')
export class DashboardController extends StaticPageController {
  constructor(@Inject(DASHBOARD_ASSETS) files: DashboardAssets) {
    super(files);
  }
}
