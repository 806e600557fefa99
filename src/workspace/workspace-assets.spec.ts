import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTENT_SECURITY_POLICY, findPackageRoot, SECURITY_HEADERS, SHARED_SCRIPT_PARTS, WEB_PUBLIC_DIR } from '../web/static-page';
import { loadWorkspaceAssets, WORKSPACE_PUBLIC_DIR, WORKSPACE_SCRIPT_PARTS } from './workspace-assets';

describe('workspace assets', () => {
  const { page, assets } = loadWorkspaceAssets();
  const html = page.body.toString();
  const root = findPackageRoot(join(WORKSPACE_PUBLIC_DIR, 'index.html'), __dirname);

  describe('the page', () => {
    it('loads only its own versioned scripts, none inline', () => {
      const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => ({ attrs: m[1], body: m[2] }));
      expect(scripts.map((s) => /src="(\/app\/assets\/[\w.]+)\?v=([\w-]+)"/.exec(s.attrs)?.[1])).toEqual([
        '/app/assets/warden.js',
        '/app/assets/workspace.js',
      ]);
      expect(scripts.every((s) => s.body.trim() === '')).toBe(true);
    });

    it('has no inline style and no inline event handler', () => {
      expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    });

    it('references nothing on another host', () => {
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    });

    it('serves every asset it references, at the version it names', () => {
      for (const [, name, version] of html.matchAll(/"\/app\/assets\/([\w.]+)\?v=([\w-]+)"/g)) {
        expect(assets.get(name)?.version).toBe(version);
      }
      expect([...assets.keys()].sort()).toEqual(['warden.js', 'workspace.css', 'workspace.js']);
    });
  });

  describe('the headers it is served with', () => {
    it('allow scripts and styles from this origin only: no inline, no eval, no framing', () => {
      expect(SECURITY_HEADERS['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(CONTENT_SECURITY_POLICY.split('; ')).toEqual(
        expect.arrayContaining([
          "default-src 'self'",
          "script-src 'self'",
          "style-src 'self'",
          "object-src 'none'",
          "frame-ancestors 'none'",
        ]),
      );
      expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
      expect(SECURITY_HEADERS).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
      });
    });
  });

  describe('the scripts', () => {
    const sources = [
      ...SHARED_SCRIPT_PARTS.map((name) => join(root, WEB_PUBLIC_DIR, name)),
      ...WORKSPACE_SCRIPT_PARTS.map((name) => join(root, WORKSPACE_PUBLIC_DIR, name)),
    ].map((path) => ({ path, text: readFileSync(path, 'utf8') }));

    it('join the sources in order, the shared script first', () => {
      const joined = assets.get('workspace.js')!.body.toString();
      const at = WORKSPACE_SCRIPT_PARTS.map((name) => joined.indexOf(readFileSync(join(root, WORKSPACE_PUBLIC_DIR, name), 'utf8')));
      expect(at.every((i, n) => i >= 0 && (n === 0 || i > at[n - 1]))).toBe(true);
      expect(assets.get('warden.js')!.body.toString()).toContain(readFileSync(join(root, WEB_PUBLIC_DIR, 'dom.js'), 'utf8'));
    });

    it('never write markup: no innerHTML, outerHTML, insertAdjacentHTML, document.write, eval or new Function', () => {
      const offending = sources.filter((s) => /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/.test(s.text));
      expect(offending.map((s) => s.path)).toEqual([]);
    });

    it('send every request to this origin with the session cookie only', () => {
      const fetches = sources.flatMap((s) => [...s.text.matchAll(/\bfetch\(([\s\S]*?)\);/g)].map((m) => m[1]));
      expect(fetches.length).toBeGreaterThan(0);
      for (const options of fetches) expect(options).toContain("credentials: 'same-origin'");
    });
  });
});
