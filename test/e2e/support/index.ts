/**
 * Shared support for the console's browser tests (test/e2e/*.e2e.test.ts). Typical spec:
 *
 * @example
 * import { adminSession, createUser, launchBrowser, newPage, signIn, startBulwark,
 *   expectNoSeriousA11yViolations, saveScreenshot } from './support/index.ts';
 *
 * let server: RunningBulwark; let browser: Browser;
 * beforeAll(async () => { server = await startBulwark(); browser = await launchBrowser(); });
 * afterAll(async () => { await browser?.close(); await server?.stop(); });
 *
 * it('shows the keys to it_admin', async () => {
 *   const admin = await adminSession(server);
 *   const it = await createUser(admin, { username: 'it1', roles: ['it_admin'] });
 *   const page = await newPage(browser);        // fails the test on console errors / CSP / 5xx
 *   await signIn(page, server.url, it);
 *   await page.getByRole('link', { name: 'Keys' }).click();
 *   await expectNoSeriousA11yViolations(page, 'keys');
 *   await saveScreenshot(page, 'keys');
 * });
 *
 * Or `startBulwark({ demo: true })` and `demoUser(server, 'qa_analyst')` for seeded content.
 */
export * from './api.ts';
export * from './browser.ts';
export * from './server.ts';
export * from './totp.ts';
export * from './ui.ts';
export * from './webauthn.ts';
