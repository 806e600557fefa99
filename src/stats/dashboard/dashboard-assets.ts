import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One file the dashboard serves, read once at start-up. */
export interface Asset {
  name: string;
  body: Buffer;
  contentType: string;
  /** A strong ETag: the content's hash. */
  etag: string;
  /** The short hash the page puts in the asset's URL (`?v=`), so a new build is never served from a stale cache. */
  version: string;
}

export interface DashboardAssets {
  page: Asset;
  assets: ReadonlyMap<string, Asset>;
}

/** Where the page's own files live, relative to the package root. */
export const PUBLIC_DIR = join('src', 'stats', 'dashboard', 'public');
/** The chart library's browser build (UMD: defines `window.Chart`), from the chart.js npm package. */
export const CHART_JS = 'chart.umd.min.js';
const OWN_FILES = ['dashboard.js', 'dashboard.css', 'format.js'];

/**
 * The dashboard's headers. The page loads only its own scripts and styles (no inline script,
 * no inline style, no other host), talks only to this api, and may not be framed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

function contentType(name: string): string {
  const type = CONTENT_TYPES[name.slice(name.lastIndexOf('.'))];
  if (!type) throw new Error(`dashboard asset ${name} has no known content type`);
  return type;
}

function asset(name: string, body: Buffer): Asset {
  const hash = createHash('sha256').update(body).digest('base64url');
  return { name, body, contentType: contentType(name), etag: `"${hash}"`, version: hash.slice(0, 12) };
}

/**
 * The page and its assets from their contents: each `/dashboard/assets/<name>` reference in the
 * page gets its version, so browsers may cache assets for a year and still see a new build.
 */
export function buildDashboardAssets(html: string, files: Readonly<Record<string, Buffer>>): DashboardAssets {
  const assets = new Map(Object.entries(files).map(([name, body]) => [name, asset(name, body)]));
  let page = html;
  for (const a of assets.values()) page = page.split(`/dashboard/assets/${a.name}"`).join(`/dashboard/assets/${a.name}?v=${a.version}"`);
  return { page: asset('index.html', Buffer.from(page, 'utf8')), assets };
}

/**
 * `Cache-Control` for a response: an asset asked for at its current version never changes;
 * anything else (the page, an unversioned URL) is revalidated with its ETag each time.
 */
export const cacheControl = (a: Asset, requestedVersion: string | undefined): string =>
  requestedVersion === a.version ? 'public, max-age=31536000, immutable' : 'no-cache';

/** Whether the client's `If-None-Match` already names this content. */
export function notModified(a: Asset, ifNoneMatch: string | undefined): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim().replace(/^W\//, '');
    return t === '*' || t === a.etag;
  });
}

/**
 * The package root that holds the public files: walk up from here. From `src/stats/dashboard`
 * (ts-node, jest) and from `dist/src/stats/dashboard` (after tsc, which copies no .html/.js/.css)
 * alike, the first ancestor with `src/stats/dashboard/public/index.html` is the package root.
 */
export function findPackageRoot(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, PUBLIC_DIR, 'index.html'))) return dir;
    if (dirname(dir) === dir) throw new Error(`dashboard files not found: no ${join(PUBLIC_DIR, 'index.html')} above ${start}`);
  }
}

/** chart.js's UMD build; its package exports only the module builds, so resolve the package and look beside it. */
export function chartJsPath(): string {
  const path = join(dirname(require.resolve('chart.js')), CHART_JS);
  if (!existsSync(path)) throw new Error(`chart.js has no ${CHART_JS} beside ${require.resolve('chart.js')}`);
  return path;
}

/** Reads the page, its own files and the chart library. */
export function loadDashboardAssets(root: string = findPackageRoot()): DashboardAssets {
  const dir = join(root, PUBLIC_DIR);
  const files: Record<string, Buffer> = { [CHART_JS]: readFileSync(chartJsPath()) };
  for (const name of OWN_FILES) files[name] = readFileSync(join(dir, name));
  return buildDashboardAssets(readFileSync(join(dir, 'index.html'), 'utf8'), files);
}
