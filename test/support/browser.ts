import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page, Request } from 'playwright-core';

// What the workspace's browser tests share: Debian's chromium driven by playwright-core, a page
// that records its script errors, CSP violations, dialogs and refusals, and the waits and
// screenshots the tests take of Warden's pages.

export const CHROMIUM = '/usr/bin/chromium';
const ENSURE_CHROMIUM = join(__dirname, '..', '..', 'scripts', 'ensure-chromium.sh');

/** Installs chromium through scripts/ensure-chromium.sh when it is missing, or says why it cannot. */
export function ensureChromium(): void {
  if (!existsSync(CHROMIUM)) execFileSync(ENSURE_CHROMIUM, [], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(CHROMIUM))
    throw new Error(
      `chromium is not installed at ${CHROMIUM} and scripts/ensure-chromium.sh could not install it (it needs root and apt-get)`,
    );
}

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });

/** What every page of every context did wrong, for one assertion at the end. */
export interface PageWatch {
  /** Script errors, console errors and CSP violations. */
  problems: string[];
  /** Every answer of 400 or more, as `STATUS METHOD PATH`. */
  failures: string[];
  dialogs: string[];
}

export interface Opened {
  context: BrowserContext;
  page: Page;
  /** Requests that left the page, for the headers they carried. */
  requests: Request[];
  /** Each answer's status and path. */
  answers: [number, string][];
}

/**
 * A browser context of its own (its own cookies) with one page, watched into `watch`. Pages of an
 * origin in `ignoreOrigins` are not checked (a site that is not Warden's, such as a provider's sign-in page).
 */
export async function watchedPage(browser: Browser, watch: PageWatch, ignoreOrigins: string[] = []): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const ignored = (url: string) => {
    try {
      return ignoreOrigins.includes(new URL(url).origin);
    } catch {
      return false;
    }
  };
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  const requests: Request[] = [];
  const answers: [number, string][] = [];
  page.on('request', (r) => requests.push(r));
  page.on('response', (r) => answers.push([r.status(), new URL(r.url()).pathname]));
  page.on('pageerror', (err) => {
    if (!ignored(page.url())) watch.problems.push(`pageerror: ${err.message}`);
  });
  page.on('console', (msg) => {
    // A refused request is logged by chromium as a failed load; those are checked as `failures`.
    if (
      msg.type() === 'error' &&
      // A page of an ignored site, or a load it started (its own fonts, say).
      !ignored(page.url()) &&
      !ignored(msg.location().url) &&
      !/^Failed to load resource: the server responded with a status of \d+/.test(msg.text())
    )
      watch.problems.push(`console: ${msg.text()}`);
  });
  page.on('dialog', (dialog) => {
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !ignored(res.url()))
      watch.failures.push(`${res.status()} ${res.request().method()} ${new URL(res.url()).pathname}`);
  });
  return { context, page, requests, answers };
}

/** The CSP violations the current document of the page saw (the init script's record). */
export const cspViolations = (page: Page): Promise<string[]> => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);

/** Waits until the workspace's view is loaded (at least `loads` times, for a live update). */
export async function loaded(page: Page, view: string, loads = 1): Promise<void> {
  await page.waitForFunction(
    ([v, n]) => Number(document.querySelector<HTMLElement>(`section.view[data-view="${v}"]`)?.dataset.loads ?? 0) >= Number(n),
    [view, loads] as const,
    { timeout: 20_000 },
  );
}

/** Saves a full-page screenshot as `<dir>/<name>.png` and checks it holds a picture. */
export async function screenshot(page: Page, dir: string, name: string): Promise<void> {
  const path = join(dir, `${name}.png`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: true });
  expect(statSync(path).size).toBeGreaterThan(10_000);
}
