import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Get, Headers, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { etagMatches } from '../common/etag';
import { ProblemException } from '../common/problem';

/** One file a page serves, read once at start-up. */
export interface Asset {
  name: string;
  body: Buffer;
  contentType: string;
  /** A strong ETag: the content's hash. */
  etag: string;
  /** The short hash the page puts in the asset's URL (`?v=`), so a new build is never served from a stale cache. */
  version: string;
}

/** A page and the files it loads, by the name in their URL. */
export interface PageAssets {
  page: Asset;
  assets: ReadonlyMap<string, Asset>;
}

/** Where the files every page shares live (format.js, dom.js, the incident sections, base.css), relative to the package root. */
export const WEB_PUBLIC_DIR = join('src', 'web', 'public');

/**
 * The script every page loads first, and the sources it joins, in order: the number formats,
 * the text-only DOM builders, and the incident sections the dashboard and the workspace both show.
 */
export const SHARED_SCRIPT = 'warden.js';
export const SHARED_SCRIPT_PARTS = ['format.js', 'dom.js', 'incident-sections.js'];
/** The styles every page starts from; a page's own stylesheet is joined after them. */
export const SHARED_STYLE = 'base.css';

/**
 * The pages' policy. A page loads only its own scripts and styles (no inline script, no inline
 * style, no other host), talks only to this api, and may not be framed.
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
  if (!type) throw new Error(`page asset ${name} has no known content type`);
  return type;
}

function asset(name: string, body: Buffer): Asset {
  const hash = createHash('sha256').update(body).digest('base64url');
  return { name, body, contentType: contentType(name), etag: `"${hash}"`, version: hash.slice(0, 12) };
}

/**
 * The page and its assets from their contents: each `<prefix><name>"` reference in the page
 * (`/dashboard/assets/dashboard.js"`) gets its version, so browsers may cache assets for a year
 * and still see a new build.
 */
export function buildPageAssets(prefix: string, html: string, files: Readonly<Record<string, Buffer>>): PageAssets {
  const assets = new Map(Object.entries(files).map(([name, body]) => [name, asset(name, body)]));
  let page = html;
  for (const a of assets.values()) page = page.split(`${prefix}${a.name}"`).join(`${prefix}${a.name}?v=${a.version}"`);
  return { page: asset('index.html', Buffer.from(page, 'utf8')), assets };
}

/**
 * `Cache-Control` for a response: an asset asked for at its current version never changes;
 * anything else (the page, an unversioned URL) is revalidated with its ETag each time.
 */
export const cacheControl = (a: Asset, requestedVersion: string | undefined): string =>
  requestedVersion === a.version ? 'public, max-age=31536000, immutable' : 'no-cache';

/** Whether the client's `If-None-Match` already names this content. */
export const notModified = (a: Asset, ifNoneMatch: string | undefined): boolean => etagMatches(ifNoneMatch, a.etag);

/**
 * Several source files served as one (a page's scripts, or its styles after the shared ones), in
 * order: the sources stay small and separate, the page makes one request. Each script is a
 * self-contained IIFE, so joining them changes nothing but the number of requests.
 */
export const joinFiles = (paths: readonly string[]): Buffer => Buffer.concat(paths.flatMap((p) => [readFileSync(p), Buffer.from('\n')]));

/** The shared script and stylesheet, read from the package root. */
export function sharedFiles(root: string): Record<string, Buffer> {
  const dir = join(root, WEB_PUBLIC_DIR);
  return { [SHARED_SCRIPT]: joinFiles(SHARED_SCRIPT_PARTS.map((name) => join(dir, name))) };
}

/** The shared styles' path, for a page to join its own stylesheet after. */
export const sharedStylePath = (root: string): string => join(root, WEB_PUBLIC_DIR, SHARED_STYLE);

/**
 * The package root that holds the public files: walk up from `start` to the first ancestor with
 * `package.json` and `marker` (a page's index.html, relative to the root). From `src/...` (ts-node,
 * jest) and from `dist/src/...` (after tsc, which copies no .html/.js/.css) alike.
 */
export function findPackageRoot(marker: string, start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, marker))) return dir;
    if (dirname(dir) === dir) throw new Error(`page files not found: no ${marker} above ${start}`);
  }
}

/** Answers one file with the pages' security headers, its cache policy and ETag, or an empty 304. */
export function sendAsset(reply: FastifyReply, file: Asset, version: string | undefined, ifNoneMatch: string | undefined) {
  void reply.headers(SECURITY_HEADERS).header('cache-control', cacheControl(file, version)).header('etag', file.etag);
  if (notModified(file, ifNoneMatch)) return reply.status(304).send();
  return reply.status(200).type(file.contentType).send(file.body);
}

/** A name the page does not serve: nothing in the request ever becomes a path. */
export function assetOf(files: PageAssets, name: string): Asset {
  const file = files.assets.get(name);
  if (!file) throw new ProblemException(404, 'No such page asset.', [{ path: 'path:name', message: 'no such asset' }]);
  return file;
}

/**
 * A static page and its files, open to anyone (they hold no data): `GET <path>` and
 * `GET <path>/assets/:name`. A subclass gives the path (`@Controller`) and injects its files.
 */
export abstract class StaticPageController {
  constructor(private readonly files: PageAssets) {}

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
