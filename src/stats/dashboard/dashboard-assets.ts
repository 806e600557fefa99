import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  buildPageAssets,
  findPackageRoot as findRootOf,
  joinFiles,
  sharedFiles,
  sharedStylePath,
  type PageAssets,
} from '../../web/static-page';

export { cacheControl, notModified, type Asset } from '../../web/static-page';

export type DashboardAssets = PageAssets;

/** Where the page's own files live, relative to the package root. */
export const PUBLIC_DIR = join('src', 'stats', 'dashboard', 'public');
/** The chart library's browser build (UMD: defines `window.Chart`), from the chart.js npm package. */
export const CHART_JS = 'chart.umd.min.js';
/** The dashboard's script, joined from its sources: the charts, then the page. */
const SCRIPT_PARTS = ['dashboard-charts.js', 'dashboard.js'];
const ASSET_PREFIX = '/dashboard/assets/';

/**
 * The page and its assets from their contents: each `/dashboard/assets/<name>` reference in the
 * page gets its version, so browsers may cache assets for a year and still see a new build.
 */
export const buildDashboardAssets = (html: string, files: Readonly<Record<string, Buffer>>): DashboardAssets =>
  buildPageAssets(ASSET_PREFIX, html, files);

/** The package root that holds the dashboard's files (see web/static-page.ts). */
export const findPackageRoot = (start: string = __dirname): string => findRootOf(join(PUBLIC_DIR, 'index.html'), start);

/** chart.js's UMD build; its package exports only the module builds, so resolve the package and look beside it. */
export function chartJsPath(): string {
  const path = join(dirname(require.resolve('chart.js')), CHART_JS);
  if (!existsSync(path)) throw new Error(`chart.js has no ${CHART_JS} beside ${require.resolve('chart.js')}`);
  return path;
}

/** Reads the page, the shared script, its own script and styles (each joined into one file), and the chart library. */
export function loadDashboardAssets(root: string = findPackageRoot()): DashboardAssets {
  const dir = join(root, PUBLIC_DIR);
  return buildDashboardAssets(readFileSync(join(dir, 'index.html'), 'utf8'), {
    [CHART_JS]: readFileSync(chartJsPath()),
    ...sharedFiles(root),
    'dashboard.js': joinFiles(SCRIPT_PARTS.map((name) => join(dir, name))),
    'dashboard.css': joinFiles([sharedStylePath(root), join(dir, 'dashboard.css')]),
  });
}
