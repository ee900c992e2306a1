/**
 * Driving the console like a person: sign-in through the real form (labels "Username",
 * "Password", "Authentication code"), first-sign-in enrolment, the forced password change,
 * accessibility checks with axe-core, and screenshots for reviewers.
 *
 * @example
 * await signIn(page, server.url, qa);                 // lands on the first screen qa may use
 * await expectNoSeriousA11yViolations(page, 'recordings');
 * await saveScreenshot(page, 'recordings');           // test/e2e/screenshots/recordings.png
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { freshPassword } from './api.ts';
import type { Credentials } from './server.ts';
import { nextTotpCode } from './totp.ts';

export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../screenshots');

/** Waits until `fn` returns a truthy value (polls; generous default timeout for a slow machine). */
export async function waitFor<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export type SignInResult = {
  /** The TOTP secret (read from the enrolment screen on a first sign-in, else the one given). */
  totpSecret: string;
  /** Recovery codes shown once at enrolment (empty otherwise). */
  recoveryCodes: string[];
};

/**
 * Signs in through the console's form at `${url}/sign-in`. On a first sign-in it enrols TOTP from
 * the setup key shown beside the QR code and confirms the recovery codes. Returns once the console
 * has left the sign-in screen (it may be /account when a password change is due: see
 * changePasswordThroughUi). Throws with the screen's error text when sign-in is refused.
 */
export async function signIn(page: Page, url: string, creds: Credentials): Promise<SignInResult> {
  await page.goto(`${url}/sign-in`);
  await page.getByLabel('Username', { exact: true }).fill(creds.username);
  await page.getByLabel('Password', { exact: true }).fill(creds.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();

  const code = page.getByLabel('Authentication code', { exact: true });
  const alert = page.getByRole('alert');
  await code.or(alert).first().waitFor({ timeout: 30_000 });
  if (await alert.isVisible()) throw new Error(`sign-in refused: ${await alert.textContent()}`);

  const secretShown = page.getByTestId('totp-secret');
  let totpSecret = creds.totpSecret;
  const enrolling = await secretShown.isVisible();
  if (enrolling) totpSecret = ((await secretShown.textContent()) ?? '').replace(/\s/g, '');
  if (!totpSecret) throw new Error(`${creds.username} has TOTP enrolled but no totpSecret was given`);
  await code.fill(await nextTotpCode(totpSecret));
  await page.getByRole('button', { name: enrolling ? 'Finish setup' : 'Verify', exact: true }).click();

  let recoveryCodes: string[] = [];
  const saved = page.getByRole('button', { name: 'I have saved these codes' });
  await waitFor(
    async () =>
      !new URL(page.url()).pathname.startsWith('/sign-in') ||
      (await saved.isVisible()) ||
      (await alert.isVisible()),
    'the console to leave the sign-in screen',
  );
  if (await alert.isVisible()) throw new Error(`sign-in refused: ${await alert.textContent()}`);
  if (await saved.isVisible()) {
    recoveryCodes = await page
      .getByRole('list', { name: 'Recovery codes' })
      .getByRole('listitem')
      .allTextContents();
    await saved.click();
  }
  await waitFor(() => !new URL(page.url()).pathname.startsWith('/sign-in'), 'the console to open');
  // The layout (navigation or the account screen) is drawn once the session is known.
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 30_000 });
  return { totpSecret, recoveryCodes };
}

/**
 * Changes the password on "My account" (the forced change after an administrator-set password).
 * Returns the new password.
 */
export async function changePasswordThroughUi(
  page: Page,
  currentPassword: string,
  newPassword: string = freshPassword(),
): Promise<string> {
  if (!new URL(page.url()).pathname.startsWith('/account'))
    await page.getByRole('link', { name: 'My account' }).click();
  await page.getByLabel('Current password', { exact: true }).fill(currentPassword);
  await page.getByLabel('New password', { exact: true }).fill(newPassword);
  await page.getByLabel('Confirm new password', { exact: true }).fill(newPassword);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('Password changed.').waitFor({ timeout: 30_000 });
  return newPassword;
}

/** Signs out with the header button and waits for the sign-in form. */
export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await waitFor(() => new URL(page.url()).pathname === '/sign-in', 'the sign-in screen after signing out');
  await page.getByRole('heading', { name: 'Sign in to Bulwark' }).waitFor({ timeout: 30_000 });
}

/** The labels of the main navigation's links, in order. */
export async function navLabels(page: Page): Promise<string[]> {
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.waitFor({ timeout: 30_000 });
  return (await nav.getByRole('link').allTextContents()).map((t) => t.trim());
}

let axeSource: string | undefined;

type AxeViolation = {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: Array<{ target: unknown[]; failureSummary?: string }>;
};

/**
 * Runs axe-core on the page as it is now and fails with a readable list when any violation is
 * serious or critical. axe is evaluated through the DevTools protocol (page.evaluate), which the
 * console's CSP (`script-src 'self'`) does not govern; no inline <script> is added to the page.
 * Returns the less severe findings for information.
 */
export async function expectNoSeriousA11yViolations(page: Page, name: string): Promise<AxeViolation[]> {
  axeSource ??= fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  type AxeWindow = {
    axe?: { run: (ctx: unknown, o: object) => Promise<{ violations: AxeViolation[] }> };
    document: unknown;
  };
  const loaded = await page.evaluate(() => typeof (globalThis as unknown as AxeWindow).axe === 'object');
  if (!loaded) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const w = globalThis as unknown as AxeWindow;
    const result = await w.axe!.run(w.document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = serious
    .map(
      (v) =>
        `[${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${v.nodes
          .slice(0, 5)
          .map(
            (n) =>
              `      at ${JSON.stringify(n.target)}${n.failureSummary ? `: ${n.failureSummary.replace(/\n\s*/g, ' ')}` : ''}`,
          )
          .join('\n')}`,
    )
    .join('\n  ');
  expect(serious, `axe found serious/critical violations on "${name}":\n  ${report}`).toEqual([]);
  return violations.filter((v) => !serious.includes(v));
}

/** Saves a full-page PNG to test/e2e/screenshots/<name>.png (git-ignored) for reviewers. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^a-z0-9._-]+/gi, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Waits until the console's path matches (client-side navigations included; page.waitForURL waits
 * for a load event that a single-page app's history changes never fire).
 */
export async function waitForPath(page: Page, path: string | RegExp, timeoutMs = 30_000): Promise<void> {
  const matches = (p: string) => (typeof path === 'string' ? p === path : path.test(p));
  await waitFor(
    () => matches(new URL(page.url()).pathname),
    `the path ${String(path)} (at ${page.url()})`,
    timeoutMs,
  );
}
