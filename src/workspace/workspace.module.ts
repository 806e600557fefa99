import { Module } from '@nestjs/common';
import { WORKSPACE_ASSETS, WorkspaceController } from './workspace.controller';
import { loadWorkspaceAssets } from './workspace-assets';

/** `GET /app` and `/app/assets/*`, in the api only. The files are read once, at start-up. */
@Module({
  controllers: [WorkspaceController],
  providers: [{ provide: WORKSPACE_ASSETS, useFactory: () => loadWorkspaceAssets() }],
})
export class WorkspaceModule {}
