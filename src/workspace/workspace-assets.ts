import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPageAssets, findPackageRoot, joinFiles, sharedFiles, sharedStylePath, type PageAssets } from '../web/static-page';

/** Where the workspace's own files live, relative to the package root. */
export const WORKSPACE_PUBLIC_DIR = join('src', 'workspace', 'public');
export const WORKSPACE_ASSET_PREFIX = '/app/assets/';

/**
 * The workspace's script, joined from its sources in order: the API and session, the views' shared parts, each view, then
 * the router that starts them. Every one is a self-contained IIFE.
 */
export const WORKSPACE_SCRIPT_PARTS = ['api.js', 'ui.js', 'queue.js', 'incident.js', 'search.js', 'reports.js', 'main.js'];

/** Reads the page, the shared script, its own script and styles (each joined into one file). */
export function loadWorkspaceAssets(root: string = findPackageRoot(join(WORKSPACE_PUBLIC_DIR, 'index.html'), __dirname)): PageAssets {
  const dir = join(root, WORKSPACE_PUBLIC_DIR);
  return buildPageAssets(WORKSPACE_ASSET_PREFIX, readFileSync(join(dir, 'index.html'), 'utf8'), {
    ...sharedFiles(root),
    'workspace.js': joinFiles(WORKSPACE_SCRIPT_PARTS.map((name) => join(dir, name))),
    'workspace.css': joinFiles([sharedStylePath(root), join(dir, 'workspace.css')]),
  });
}
