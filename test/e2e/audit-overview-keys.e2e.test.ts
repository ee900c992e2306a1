/**
 * Security overview, audit log (with the inclusion proof verified in the browser) and keys, in
 * Chromium against a real server.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminSession,
  createUser,
  expectNoSeriousA11yViolations,
  launchBrowser,
  newPage,
  type ReadyCredentials,
  type RunningBulwark,
  saveScreenshot,
  signIn,
  startBulwark,
  waitFor,
} from './support/index.ts';

let server: RunningBulwark;
let browser: Browser;
let analyst: ReadyCredentials;
let itAdmin: ReadyCredentials;

beforeAll(async () => {
  [server, browser] = await Promise.all([startBulwark(), launchBrowser()]);
  const admin = await adminSession(server);
  analyst = await createUser(admin, { username: 'analyst1', roles: ['security_analyst'] });
  itAdmin = await createUser(admin, { username: 'keyadmin1', roles: ['it_admin'] });
  // One refused password so the sign-in failures series has something to show.
  const refused = await fetch(`${server.url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: analyst.username, password: 'not the password at all' }),
  });
  expect(refused.status).toBe(401);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const main = (page: Page) => page.getByRole('main').or(page.locator('#main')).first();

/** The text of every cell in one column of the events table. */
async function columnTexts(page: Page, header: string): Promise<string[]> {
  const table = page.getByRole('table', { name: 'Audit events matching the filters, oldest first' });
  const headers = (await table.locator('thead th').allTextContents()).map((t) => t.trim());
  const col = headers.indexOf(header);
  if (col < 0) throw new Error(`no column ${header} in ${headers.join(', ')}`);
  return (await table.locator(`tbody tr td:nth-child(${col + 1})`).allTextContents()).map((t) => t.trim());
}

describe('security analyst', () => {
  it('sees the security overview with its numbers and a chart with a table alternative', async () => {
    const page = await newPage(browser);
    await signIn(page, server.url, analyst);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Security overview' })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Security overview' }).waitFor();
    await page.getByText('MFA coverage').first().waitFor({ timeout: 30_000 });
    // Accounts exist (admin, analyst, key admin), all enrolled: the coverage is a real number.
    await expect
      .poll(async () => (await main(page).textContent()) ?? '', { timeout: 30_000 })
      .toMatch(/\d+ of \d+/);
    const charts = page.locator('svg[role="img"]');
    expect(await charts.count()).toBeGreaterThan(0);
    // Each chart has its numbers as a table behind a disclosure.
    for (const title of ['Detokenizations per day', 'Recording plays per day', 'Sign-in failures per day'])
      await page.getByRole('img', { name: new RegExp(`^${title}`) }).waitFor();
    await page.getByText('Show the numbers as a table').last().click();
    const failures = page.getByRole('table', { name: 'Sign-in failures per day' });
    await failures.waitFor();
    // Today (the last row) counts the refused password from the set-up.
    const today = Number((await failures.locator('tbody tr').last().locator('td').textContent())?.trim());
    expect(today).toBeGreaterThanOrEqual(1);
    await expect.poll(() => page.getByText('Latest signed checkpoint').count()).toBeGreaterThan(0);
    await expectNoSeriousA11yViolations(page, 'overview');
    await saveScreenshot(page, 'overview');
  });

  it('filters the audit log and verifies an event’s inclusion proof in the browser', async () => {
    const page = await newPage(browser);
    await signIn(page, server.url, analyst);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    const table = page.getByRole('table', { name: 'Audit events matching the filters, oldest first' });
    await table.waitFor({ timeout: 30_000 });
    await waitFor(async () => (await columnTexts(page, 'Action')).length > 1, 'audit events to be listed');
    await expectNoSeriousA11yViolations(page, 'audit-log');
    await saveScreenshot(page, 'audit-log');

    // Action filter: only sign-in events remain.
    await page.getByLabel('Action', { exact: true }).fill('auth.login');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await waitFor(async () => {
      const actions = await columnTexts(page, 'Action');
      return actions.length > 0 && actions.every((a) => a === 'auth.login');
    }, 'only auth.login events');

    // Resource type filter on top: user accounts only.
    await page.getByLabel('Action', { exact: true }).fill('');
    await page.getByLabel('Resource type', { exact: true }).fill('UserAccount');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await waitFor(async () => {
      const resources = await columnTexts(page, 'Resource');
      return resources.length > 0 && resources.every((r) => r.startsWith('UserAccount'));
    }, 'only UserAccount events');

    // A time range in the future matches nothing.
    await page.getByLabel('Resource type', { exact: true }).fill('');
    await page.getByLabel('From', { exact: true }).fill('2099-01-01T00:00');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No audit events match these filters.').waitFor({ timeout: 30_000 });

    // An invalid actor id: the server's validation message is shown.
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Actor (user id)', { exact: true }).fill('not-a-uuid');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'Could not load audit events' })
      .waitFor({ timeout: 30_000 });

    // Back to everything; open the first event and check its proof.
    await page.getByRole('button', { name: 'Clear' }).click();
    await waitFor(async () => (await columnTexts(page, 'Action')).length > 1, 'the unfiltered list');
    await table
      .getByRole('button', { name: /^Show event / })
      .first()
      .click();
    const detail = page.getByRole('region', { name: /^Event / });
    await detail.waitFor();
    const verdict = page.getByText(/^Verified: included in checkpoint of size \d+ signed by /);
    await verdict.waitFor({ timeout: 60_000 });
    expect(await page.getByText('Not verified').count()).toBe(0);

    // The same event against a key the user pins that is not the log's: a clear failure.
    await page
      .getByLabel('Pinned verifier key (optional)')
      .fill('someone.else/audit+00000000+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    await page.getByRole('button', { name: 'Verify with pinned key' }).click();
    await page.getByText(/^Not verified/).waitFor();
    await page.getByRole('button', { name: "Use the server's key" }).click();
    await verdict.waitFor();

    await expectNoSeriousA11yViolations(page, 'audit-event');
    await saveScreenshot(page, 'audit-event');
  });
});

describe('IT administrator', () => {
  it('sees the KEK versions and runs a rotation to completion', async () => {
    const page = await newPage(browser);
    await signIn(page, server.url, itAdmin);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Keys' }).click();
    await page.getByRole('heading', { level: 1, name: 'Keys' }).waitFor();
    const versions = page.getByRole('table', { name: /KEK versions/ });
    await versions.waitFor({ timeout: 30_000 });
    const before = await versions.locator('tbody tr').count();
    expect(before).toBeGreaterThan(0);
    await expect.poll(() => versions.getByText('Current').count()).toBe(1);

    await page.getByRole('button', { name: 'Rotate key-encryption key' }).click();
    await page.getByText(/^Rotation complete: KEK version \d+ is current/).waitFor({ timeout: 120_000 });
    await expect.poll(() => versions.locator('tbody tr').count()).toBe(before + 1);
    await expect.poll(() => versions.getByText('Current').count()).toBe(1);

    // Retiring the old version needs a confirmation that states the consequence.
    await page.getByLabel('Minimum version', { exact: true }).selectOption(String(before + 1));
    await page.getByRole('button', { name: 'Review change' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(/becomes unreadable until it is re-wrapped/);
    await expectNoSeriousA11yViolations(page, 'keys');
    await saveScreenshot(page, 'keys');
    // No data key is left under the old version after the rotation: retiring it goes through.
    await dialog.getByRole('button', { name: `Set minimum to version ${before + 1}` }).click();
    await page.getByText(`Minimum decryption version set to ${before + 1}.`).waitFor({ timeout: 30_000 });
    await expect.poll(() => versions.getByText('Retired (below minimum)').count()).toBe(before);
  });
});
