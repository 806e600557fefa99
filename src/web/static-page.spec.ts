import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPageAssets, findPackageRoot, joinFiles } from './static-page';
import * as WardenFormat from './public/format';

describe('static pages', () => {
  describe(buildPageAssets.name, () => {
    it("versions the references under the page's own prefix only", () => {
      const built = buildPageAssets('/app/assets/', '<script src="/app/assets/a.js"></script><script src="/other/a.js"></script>', {
        'a.js': Buffer.from('1'),
      });
      const v = built.assets.get('a.js')!.version;
      expect(built.page.body.toString()).toBe(`<script src="/app/assets/a.js?v=${v}"></script><script src="/other/a.js"></script>`);
    });
  });

  describe(joinFiles.name, () => {
    it('serves several sources as one file, in order, each on lines of its own', () => {
      const dir = mkdtempSync(join(tmpdir(), 'warden-join-'));
      writeFileSync(join(dir, 'a.js'), '(function () {})()');
      writeFileSync(join(dir, 'b.js'), '(function () {})();\n');
      expect(joinFiles([join(dir, 'a.js'), join(dir, 'b.js')]).toString()).toBe('(function () {})()\n(function () {})();\n\n');
    });
  });

  describe(findPackageRoot.name, () => {
    it('finds the first ancestor holding package.json and the marker, from any depth', () => {
      const root = mkdtempSync(join(tmpdir(), 'warden-root-'));
      mkdirSync(join(root, 'src', 'page', 'public'), { recursive: true });
      mkdirSync(join(root, 'dist', 'src', 'page'), { recursive: true });
      writeFileSync(join(root, 'package.json'), '{}');
      writeFileSync(join(root, 'src', 'page', 'public', 'index.html'), '');
      const marker = join('src', 'page', 'public', 'index.html');
      expect([findPackageRoot(marker, join(root, 'src', 'page')), findPackageRoot(marker, join(root, 'dist', 'src', 'page'))]).toEqual([
        root,
        root,
      ]);
      expect(() => findPackageRoot(join('src', 'none.html'), root)).toThrow(/page files not found/);
    });
  });
});

describe('WardenFormat', () => {
  describe('countdown', () => {
    const now = '2026-11-24T10:00:00.000Z';

    it.each([
      ['2026-11-24T10:04:05.000Z', '4m 05s left'],
      ['2026-11-24T10:00:00.000Z', '0s left'],
      ['2026-11-24T12:07:00.000Z', '2h 07m left'],
      ['2026-11-24T09:56:50.000Z', 'overdue 3m 10s'],
      ['not a time', '\u2014'],
    ])('shows the deadline %s as %p', (deadline, shown) => {
      expect(WardenFormat.countdown(deadline, now)).toBe(shown);
    });
  });

  describe('hiddenCharacters', () => {
    it('names each invisible or direction-changing character once, and nothing for plain text', () => {
      expect([
        WardenFormat.hiddenCharacters('\u202Egnp.exe\u202C in\u200Bvoice\u200B'),
        WardenFormat.hiddenCharacters('Brute force on the VPN \u00e9\u4e2d'),
        WardenFormat.hiddenCharacters(null),
      ]).toEqual([['U+202E', 'U+202C', 'U+200B'], [], []]);
    });
  });

  describe('text', () => {
    it('shows nothing as a dash and anything else as its string', () => {
      expect([
        WardenFormat.text(null),
        WardenFormat.text(''),
        WardenFormat.text(undefined),
        WardenFormat.text(0),
        WardenFormat.text('<b>'),
      ]).toEqual(['\u2014', '\u2014', '\u2014', '0', '<b>']);
    });
  });

  describe('time', () => {
    it('shows a day and a time, nothing as a dash, and an unreadable value as it came', () => {
      expect(WardenFormat.time('2026-11-24T10:00:00.000Z')).toMatch(/^\d{2}\/\d{2}, \d{2}:\d{2}:\d{2}$/);
      expect([WardenFormat.time(null), WardenFormat.time('soon')]).toEqual(['\u2014', 'soon']);
    });
  });
});
