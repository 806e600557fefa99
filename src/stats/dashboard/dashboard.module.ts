import { Module } from '@nestjs/common';
import { DASHBOARD_ASSETS, DashboardController } from './dashboard.controller';
import { loadDashboardAssets } from './dashboard-assets';

/** `GET /dashboard` and `/dashboard/assets/*`, in the api only. The files are read once, at start-up. */
@Module({
  controllers: [DashboardController],
  providers: [{ provide: DASHBOARD_ASSETS, useFactory: () => loadDashboardAssets() }],
})
export class DashboardModule {}
