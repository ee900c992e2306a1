/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), and pages that fail
 * the test on console errors, uncaught exceptions, CSP violations and 5xx answers.
 * Set BULWARK_E2E_TRACE=1 to print each page's navigations, API answers and console messages.
 *
 * @example
 * const browser = await launchBrowser();            // beforeAll
 * const page = await newPage(browser);              // in a test: checked when the test ends
 * await page.goto(server.url);
 * await browser.close();                            // afterAll
 */
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { onTestFinished } from 'vitest';

export const CHROMIUM = process.env.BULWARK_E2E_CHROMIUM ?? '/usr/bin/chromium';

/** Headless Chromium with the flags the CI machine needs. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export type PageOptions = {
  /** Console error texts that are expected in this test (e.g. an API refusal the test provokes). */
  allow?: RegExp[];
  /** Viewport; default 1280x900. */
  viewport?: { width: number; height: number };
};

const problemsOf = new WeakMap<Page, string[]>();

// The browser logs every non-2xx fetch as a console error. 4xx answers are the API doing its job
// (401 from /v1/me when signed out, a refused code); the test asserts on what the screen shows.
const EXPECTED = [/^Failed to load resource: the server responded with a status of 4\d\d/];

/**
 * A page in a fresh browser context (own cookies). Collects console errors, page errors (uncaught
 * exceptions), CSP violations and 5xx responses; when called inside a test, the test fails at its
 * end if any were seen. Close it with `page.context().close()` (or let the browser close).
 */
export async function newPage(browser: Browser, options: PageOptions = {}): Promise<Page> {
  const context: BrowserContext = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  problemsOf.set(page, problems);
  const allowed = [...EXPECTED, ...(options.allow ?? [])];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (allowed.some((re) => re.test(text))) return;
    problems.push(`console error: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught exception: ${err.message}`));
  page.on('response', (res) => {
    if (res.status() >= 500)
      problems.push(`HTTP ${res.status()} from ${res.request().method()} ${res.url()}`);
  });
  if (process.env.BULWARK_E2E_TRACE) {
    const trace = (line: string) => process.stderr.write(`[page] ${line}\n`);
    // Debugging aid: BULWARK_E2E_TRACE=1 prints navigations, API answers and console messages.
    page.on('framenavigated', (f) => f === page.mainFrame() && trace(`navigated to ${f.url()}`));
    page.on('response', (r) => {
      if (new URL(r.url()).pathname.startsWith('/v1/'))
        trace(`${r.status()} ${r.request().method()} ${r.url()}`);
    });
    page.on('console', (m) => trace(`console.${m.type()}: ${m.text()}`));
  }
  try {
    onTestFinished(async () => {
      await context.close().catch(() => {});
      expectNoPageProblems(page);
    });
  } catch {
    // Not inside a test (e.g. beforeAll): the caller checks with expectNoPageProblems().
  }
  return page;
}

/** What the page reported so far (console errors, exceptions, CSP violations, 5xx). */
export function pageProblems(page: Page): string[] {
  return [...(problemsOf.get(page) ?? [])];
}

/** Throws a readable list when the page reported any problem. */
export function expectNoPageProblems(page: Page): void {
  const problems = pageProblems(page);
  if (problems.length > 0) throw new Error(`The page reported problems:\n  ${problems.join('\n  ')}`);
}
