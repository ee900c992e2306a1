/**
 * Users and roles, the redaction workbench and the token vault, in Chromium against a real server.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiSession,
  adminSession,
  apiSignIn,
  createUser,
  expectNoSeriousA11yViolations,
  launchBrowser,
  newPage,
  nextTotpCode,
  type ReadyCredentials,
  type RunningBulwark,
  saveScreenshot,
  signIn,
  startBulwark,
  waitFor,
} from './support/index.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
/** A Luhn-valid test card planted in the workbench input; it must never come back out. */
const CANARY_PAN = '4000056655665556';
const SPOKEN_PAN = 'four one one one one one one one one one one one one one one one';

let server: RunningBulwark;
let browser: Browser;
let admin: ApiSession;
let itAdmin: ReadyCredentials;

beforeAll(async () => {
  // Three failed sign-ins lock an account, so the test can lock one quickly.
  [server, browser] = await Promise.all([
    startBulwark({ env: { BULWARK_LOCKOUT_THRESHOLD: '3' } }),
    launchBrowser(),
  ]);
  admin = await adminSession(server);
  itAdmin = await createUser(admin, { username: 'itadmin1', roles: ['it_admin'] });
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const nav = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();

type UserRow = {
  id: string;
  username: string;
  lockedUntil: string | null;
  mfaEnrolled: boolean;
  roles: string[];
};
async function userByName(name: string): Promise<UserRow> {
  const list = await admin.json<{ data: UserRow[] }>('GET', '/v1/users?limit=200');
  const u = list.data.find((x) => x.username === name);
  if (!u) throw new Error(`no user ${name}`);
  return u;
}

/** The row of the accounts table for a username. */
const rowOf = (page: Page, username: string) =>
  page
    .getByRole('table', { name: 'User accounts' })
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: username, exact: true }) });

async function confirmAction(page: Page, label: string): Promise<void> {
  const dialog = page.getByRole('dialog');
  await dialog.waitFor({ timeout: 30_000 });
  await dialog.getByRole('button', { name: label, exact: true }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 30_000 });
}

describe('users and roles (it_admin)', () => {
  it('creates a user with roles, lists it, and unlock, revoke sessions and reset MFA take effect', async () => {
    const page = await newPage(browser);
    await signIn(page, server.url, itAdmin);
    await nav(page, 'Users and roles');
    await page.getByRole('heading', { name: 'Users and roles', level: 1 }).waitFor();

    // Create: roles are checkboxes in a fieldset named by its legend.
    await page.getByLabel('Username', { exact: true }).fill('newagent1');
    const roles = page.getByRole('group', { name: 'Roles', exact: true });
    await roles.getByLabel('agent', { exact: true }).check();
    await roles.getByLabel('qa analyst', { exact: true }).check();
    await page.getByLabel('Teams', { exact: true }).fill('north, south');
    await page.getByLabel('Region', { exact: true }).fill('eu');
    await page.getByRole('button', { name: 'Create user' }).click();
    const shown = page.getByTestId('initial-password');
    await shown.waitFor({ timeout: 30_000 });
    const initial = ((await shown.textContent()) ?? '').trim();
    expect(initial.length).toBeGreaterThanOrEqual(20);
    await page.getByText('must change it at first sign-in').waitFor();

    const row = rowOf(page, 'newagent1');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toMatch(/agent, qa analyst/);
    expect(await row.textContent()).toMatch(/north, south/);
    expect(await row.textContent()).toMatch(/not enrolled/);
    const created = await userByName('newagent1');
    expect(created.roles.sort()).toEqual(['agent', 'qa_analyst']);

    // The new user signs in with the shown password (enrols TOTP, changes the password).
    const first = await apiSignIn(server.url, { username: 'newagent1', password: initial });
    const creds = first.credentials;

    // Lock the account with three wrong passwords, then unlock it from the console.
    for (let i = 0; i < 3; i++)
      await fetch(`${server.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'newagent1', password: 'wrong password attempt' }),
      });
    expect((await userByName('newagent1')).lockedUntil).not.toBeNull();
    await page.reload();
    await rowOf(page, 'newagent1').getByText('locked', { exact: true }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Manage newagent1' }).click();
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await confirmAction(page, 'Unlock');
    await page.getByText('newagent1 is unlocked.').waitFor({ timeout: 30_000 });
    await rowOf(page, 'newagent1').getByText('active', { exact: true }).waitFor({ timeout: 30_000 });
    expect((await userByName('newagent1')).lockedUntil).toBeNull();

    // Revoke sessions: a live session of the user stops working.
    const live = await apiSignIn(server.url, creds);
    expect((await live.request('GET', '/v1/me')).status).toBe(200);
    await page.getByRole('button', { name: 'Revoke sessions' }).click();
    await confirmAction(page, 'Revoke sessions');
    await page.getByText(/Signed newagent1 out of \d+ session/).waitFor({ timeout: 30_000 });
    expect((await live.request('GET', '/v1/me')).status).toBe(401);

    // Reset MFA: the next sign-in asks for enrolment again.
    expect((await userByName('newagent1')).mfaEnrolled).toBe(true);
    await page.getByRole('button', { name: 'Reset MFA' }).click();
    await confirmAction(page, 'Reset MFA');
    await page.getByText(/MFA reset for newagent1/).waitFor({ timeout: 30_000 });
    await rowOf(page, 'newagent1').getByText('not enrolled').waitFor({ timeout: 30_000 });
    const login = await fetch(`${server.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'newagent1', password: creds.password }),
    });
    expect(((await login.json()) as { status: string }).status).toBe('mfa_enrollment_required');

    // Change roles: the server's answer is reflected in the list.
    const manage = page
      .locator('section')
      .filter({ has: page.getByRole('heading', { name: 'Manage newagent1', exact: true }) });
    await manage.getByLabel('qa analyst', { exact: true }).uncheck();
    await manage.getByLabel('supervisor', { exact: true }).check();
    await manage.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved changes to newagent1.').waitFor({ timeout: 30_000 });
    expect((await userByName('newagent1')).roles.sort()).toEqual(['agent', 'supervisor']);

    // Own account: resetting one's own MFA is not offered (the server refuses it).
    await page.getByRole('button', { name: `Manage ${itAdmin.username}` }).click();
    await page.getByText('you cannot reset your own MFA').waitFor({ timeout: 30_000 });
    expect(await page.getByRole('button', { name: 'Reset MFA' }).count()).toBe(0);

    await expectNoSeriousA11yViolations(page, 'users');
    await saveScreenshot(page, 'users');
  });
});

describe('redaction workbench', () => {
  let qa: ReadyCredentials;
  beforeAll(async () => {
    qa = await createUser(admin, { username: 'qa1', roles: ['qa_analyst'], teams: ['north'] });
  });

  async function download(page: Page): Promise<{ name: string; text: string }> {
    const [file] = await Promise.all([
      page.waitForEvent('download', { timeout: 30_000 }),
      page.getByRole('button', { name: 'Download redacted file' }).click(),
    ]);
    const saved = await file.path();
    return { name: file.suggestedFilename(), text: fs.readFileSync(saved, 'utf8') };
  }

  it('highlights typed and spoken card numbers, shows and downloads the redacted text, reads files', async () => {
    const page = await newPage(browser);
    await signIn(page, server.url, qa);
    await nav(page, 'Redaction workbench');
    await page
      .getByLabel('Text to scan')
      .fill(`Card ${CANARY_PAN} please, and the other one is ${SPOKEN_PAN}. Thanks!`);
    await page.getByRole('button', { name: 'Scan and redact' }).click();
    const output = page.getByTestId('redacted-output');
    await output.waitFor({ timeout: 30_000 });

    // Each finding is a <mark> that starts with its type (read out by screen readers too).
    const marks = page.locator('mark[data-type="PAN"]');
    expect(await marks.count()).toBe(2);
    expect(await marks.first().textContent()).toMatch(new RegExp(`^PAN${CANARY_PAN}`));
    expect(await marks.nth(1).textContent()).toContain(SPOKEN_PAN);
    const table = page.getByRole('table', { name: 'Findings by type and position' });
    expect(await table.textContent()).toContain('pan.digits.luhn');
    expect(await table.textContent()).toContain('pan.spoken');

    const redacted = (await output.textContent()) ?? '';
    expect(redacted).toContain('[PAN]');
    expect(redacted).not.toContain(CANARY_PAN);
    expect(redacted).not.toContain('four one one one');
    const pasted = await download(page);
    expect(pasted.name).toBe('pasted-text.redacted.txt');
    expect(pasted.text).toBe(redacted);
    expect(pasted.text).not.toContain(CANARY_PAN);
    expect(pasted.text.replace(/\D/g, '')).not.toContain(CANARY_PAN);

    await expectNoSeriousA11yViolations(page, 'redaction');
    await saveScreenshot(page, 'redaction');

    // A call transcript (JSONL utterances) with a card spoken over two turns.
    await page.getByLabel('Upload a file').check();
    await page.getByLabel('File to scan').setInputFiles(path.join(FIXTURES, 'call-with-card.jsonl'));
    // The file is read asynchronously: wait for its guessed format before scanning.
    await waitFor(
      async () => (await page.getByLabel('File format').inputValue()) === 'transcript',
      'the transcript format to be guessed',
    );
    await page.getByRole('button', { name: 'Scan and redact' }).click();
    await page
      .getByText(/utterance 4/)
      .first()
      .waitFor({ timeout: 30_000 });
    expect(await page.locator('mark[data-type="PAN"]').count()).toBeGreaterThanOrEqual(2);
    const call = await download(page);
    expect(call.name).toBe('call-with-card.redacted.jsonl');
    const lines = call.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string });
    expect(lines).toHaveLength(8);
    expect(call.text).not.toMatch(/four one one one/);
    expect(call.text).not.toContain('pat.lee@example.com');

    // Subtitles stay subtitles: timings intact, the card spoken over two cues gone.
    await page.getByLabel('File to scan').setInputFiles(path.join(FIXTURES, 'call.vtt'));
    // The file is read asynchronously: wait for its guessed format before scanning.
    await waitFor(
      async () => (await page.getByLabel('File format').inputValue()) === 'vtt',
      'the vtt format to be guessed',
    );
    await page.getByRole('button', { name: 'Scan and redact' }).click();
    await page
      .getByText(/cue \d/)
      .first()
      .waitFor({ timeout: 30_000 });
    const vtt = await download(page);
    expect(vtt.name).toBe('call.redacted.vtt');
    expect(vtt.text.startsWith('WEBVTT')).toBe(true);
    expect(vtt.text).toContain('00:00:08.500 --> 00:00:12.900');
    expect(vtt.text).not.toMatch(/four one one one/);

    // Binary input: the server's problem detail is shown.
    await page.getByLabel('File to scan').setInputFiles({
      name: 'photo.png',
      mimeType: 'image/png',
      buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0xff, 0xfe]),
    });
    // Not UTF-8: once the screen has read the file it offers no format choice.
    await waitFor(
      async () => (await page.getByLabel('File format').count()) === 0,
      'the binary file to be read',
    );
    await page.getByRole('button', { name: 'Scan and redact' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toMatch(/binary|UTF-8/i);
  });
});

describe('token vault', () => {
  let holder: ReadyCredentials;
  beforeAll(async () => {
    holder = await createUser(admin, {
      username: 'vault1',
      roles: ['compliance_officer'],
      permissions: ['detokenize'],
    });
  });

  it('tokenizes a card and reveals it with a purpose, masked until asked, with step-up when MFA is stale', async () => {
    const page = await newPage(browser);
    await signIn(page, server.url, holder);
    await nav(page, 'Token vault');
    await page.getByLabel('Value to tokenize').fill('4111111111111111');
    await page.getByRole('button', { name: 'Tokenize', exact: true }).click();
    const tokenShown = page.getByTestId('new-token');
    await tokenShown.waitFor({ timeout: 30_000 });
    const token = ((await tokenShown.textContent()) ?? '').trim();
    expect(token).not.toBe('');
    expect(token).not.toBe('4111111111111111');

    await page.getByLabel('Token', { exact: true }).fill(token);
    // No purpose, no reveal: the button stays disabled (and the field is required).
    const revealButton = page.getByRole('button', { name: 'Reveal value' });
    expect(await revealButton.isDisabled()).toBe(true);
    expect(await page.getByLabel('Purpose', { exact: true }).getAttribute('required')).not.toBeNull();

    // The server answers that the MFA is too old (simulated once: the server's clock cannot be
    // moved from here): the step-up form appears, a fresh code unlocks the reveal.
    let intercepted = 0;
    await page.route(
      '**/v1/tokens/detokenize',
      async (route) => {
        intercepted += 1;
        await route.fulfill({
          status: 403,
          contentType: 'application/problem+json',
          body: JSON.stringify({
            type: 'urn:bulwark:problem:forbidden',
            title: 'Forbidden',
            status: 403,
            code: 'FORBIDDEN',
            detail: 'Detokenizing needs an MFA check within the last 15 minutes.',
            reason: 'mfa_stale',
            maxMfaAgeSeconds: 900,
          }),
        });
      },
      { times: 1 },
    );
    await page.getByLabel('Purpose', { exact: true }).fill('Chargeback CB-2026-001');
    await revealButton.click();
    const confirm = page.getByRole('button', { name: 'Confirm it is you' });
    await confirm.waitFor({ timeout: 30_000 });
    expect(intercepted).toBe(1);
    expect(await revealButton.isDisabled()).toBe(true);
    await page.getByLabel('Authentication code', { exact: true }).fill(await nextTotpCode(holder.totpSecret));
    await confirm.click();
    await confirm.waitFor({ state: 'detached', timeout: 30_000 });

    await revealButton.click();
    const value = page.getByTestId('revealed-value');
    await value.waitFor({ timeout: 30_000 });
    expect(await value.textContent()).not.toContain('4111');
    await page.getByRole('button', { name: 'Reveal', exact: true }).click();
    await waitFor(async () => (await value.textContent()) === '4111111111111111', 'the value to be shown');
    await page.getByRole('button', { name: 'Hide', exact: true }).click();
    await waitFor(
      async () => !((await value.textContent()) ?? '').includes('4111'),
      'the value to be masked',
    );

    await expectNoSeriousA11yViolations(page, 'tokens');
    await saveScreenshot(page, 'tokens');

    // Leaving the screen drops the revealed value.
    await nav(page, 'My account');
    await nav(page, 'Token vault');
    await page.getByLabel('Token', { exact: true }).waitFor();
    expect(await page.getByTestId('revealed-value').count()).toBe(0);
  });
});
