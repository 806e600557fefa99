import { join } from 'node:path';
import { buildDashboardAssets, cacheControl, CHART_JS, findPackageRoot, loadDashboardAssets, notModified } from './dashboard-assets';
import * as WardenFormat from '../../web/public/format';

describe('dashboard assets', () => {
  describe(buildDashboardAssets.name, () => {
    const html = '<script src="/dashboard/assets/app.js" defer></script><link rel="stylesheet" href="/dashboard/assets/app.css" />';
    const built = buildDashboardAssets(html, { 'app.js': Buffer.from('1'), 'app.css': Buffer.from('body{}') });

    it('versions every asset reference in the page by its content hash', () => {
      const js = built.assets.get('app.js')!;
      const css = built.assets.get('app.css')!;
      expect(built.page.body.toString()).toBe(
        `<script src="/dashboard/assets/app.js?v=${js.version}" defer></script><link rel="stylesheet" href="/dashboard/assets/app.css?v=${css.version}" />`,
      );
    });

    it('gives each file its content type and a strong ETag of its content', () => {
      expect(built.page.contentType).toBe('text/html; charset=utf-8');
      expect(built.assets.get('app.js')).toMatchObject({
        contentType: 'text/javascript; charset=utf-8',
        etag: expect.stringMatching(/^"[\w-]{43}"$/),
      });
      expect(built.assets.get('app.css')!.contentType).toBe('text/css; charset=utf-8');
    });

    it('refuses a file it cannot type, rather than serving it as something else', () => {
      expect(() => buildDashboardAssets('', { 'x.svg': Buffer.from('') })).toThrow(/no known content type/);
    });
  });

  describe(cacheControl.name, () => {
    const [a] = buildDashboardAssets('', { 'a.js': Buffer.from('a') }).assets.values();

    it('caches an asset asked for at its current version for a year', () => {
      expect(cacheControl(a, a.version)).toBe('public, max-age=31536000, immutable');
    });

    it('revalidates an unversioned or stale URL', () => {
      expect(cacheControl(a, undefined)).toBe('no-cache');
      expect(cacheControl(a, 'old')).toBe('no-cache');
    });
  });

  describe(notModified.name, () => {
    const [a] = buildDashboardAssets('', { 'a.js': Buffer.from('a') }).assets.values();

    it('matches the ETag among several, weak or strong', () => {
      expect(notModified(a, `"x", W/${a.etag}`)).toBe(true);
      expect(notModified(a, '"x"')).toBe(false);
      expect(notModified(a, undefined)).toBe(false);
    });
  });

  describe(loadDashboardAssets.name, () => {
    it('finds the package root from src/ and from dist/ alike', () => {
      const root = join(__dirname, '..', '..', '..');
      expect(findPackageRoot(__dirname)).toBe(root);
      expect(findPackageRoot(join(root, 'dist', 'src', 'stats', 'dashboard'))).toBe(root);
    });

    it('serves the chart library from the chart.js package, and a page that loads nothing from another host', () => {
      const { page, assets } = loadDashboardAssets();
      expect(assets.get(CHART_JS)!.body.toString('utf8', 0, 200)).toMatch(/Chart\.js v4/);
      const html = page.body.toString();
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
      // Every script is a file of ours, none inline.
      const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
      expect(scripts.length).toBe(3);
      for (const attrs of scripts) expect(attrs).toMatch(/ src="\/dashboard\/assets\/[\w.]+\?v=[\w-]+"/);
    });
  });
});

describe('WardenFormat', () => {
  const stats = { alerts: { received: 1234, compressionRatio: null }, incidents: { byStatus: { resolved: 2 } } };

  describe('valueAt', () => {
    it('reads a path, a zero for a key a count map omits, and null for a missing branch', () => {
      expect(WardenFormat.valueAt(stats, 'alerts.received')).toBe(1234);
      expect(WardenFormat.valueAt(stats, 'alerts.compressionRatio')).toBeNull();
      expect(WardenFormat.valueAt(stats, 'incidents.byStatus.open')).toBe(0);
      expect(WardenFormat.valueAt(stats, 'tasks.mtta.p50Seconds')).toBeNull();
    });

    it('never reads inherited properties', () => {
      expect(WardenFormat.valueAt(stats, 'alerts.constructor')).toBe(0);
    });
  });

  describe('format', () => {
    it.each([
      ['count', 0, '0'],
      ['count', 1234567, '1,234,567'],
      ['count', null, '\u2014'],
      ['duration', 0, '0s'],
      ['duration', 42.4, '42s'],
      ['duration', 245, '4m 05s'],
      ['duration', 3 * 3600 + 7 * 60 + 30, '3h 07m'],
      ['duration', 2 * 86400 + 4 * 3600, '2d 04h'],
      ['duration', null, '\u2014'],
      ['ratio', 8.26, '8.3\u00d7'],
      ['ratio', 1, '1.0\u00d7'],
      ['ratio', null, '\u2014'],
    ] as const)('shows %s %p as %p', (kind, value, shown) => {
      expect(WardenFormat.format(kind, value)).toBe(shown);
    });

    it('refuses an unknown kind', () => {
      expect(() => WardenFormat.format('percent' as never, 1)).toThrow(/unknown stat kind/);
    });
  });
});
