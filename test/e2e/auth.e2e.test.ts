import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiSession,
  addVirtualAuthenticator,
  adminSession,
  apiSignIn,
  changePasswordThroughUi,
  createUser,
  expectNoSeriousA11yViolations,
  launchBrowser,
  markTotpStepUsed,
  newPage,
  nextTotpCode,
  type RunningBulwark,
  saveScreenshot,
  signIn,
  signOut,
  startBulwark,
  waitFor,
  waitForPath,
  wrongTotpCode,
} from './support/index.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('first start', () => {
  let server: RunningBulwark;
  beforeAll(async () => {
    server = await startBulwark();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('first start: the bootstrap administrator enrols TOTP from the setup key, sees recovery codes once, must change the password, then signs out', async () => {
    const page = await newPage(browser);
    await page.goto(server.url);
    const username = page.getByLabel('Username', { exact: true });
    await username.waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    // A first visit is not an ended session.
    expect(await page.getByText('Your session ended').count()).toBe(0);
    await expectNoSeriousA11yViolations(page, 'sign-in');
    await saveScreenshot(page, 'sign-in');

    await username.fill(server.admin.username);
    await page.getByLabel('Password', { exact: true }).fill(server.admin.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
    await page.getByRole('img', { name: /QR code/ }).waitFor();
    const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await expectNoSeriousA11yViolations(page, 'enrolment');
    await saveScreenshot(page, 'enrolment');

    await page.getByLabel('Authentication code', { exact: true }).fill(await nextTotpCode(secret));
    await page.getByRole('button', { name: 'Finish setup' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    const codes = await page
      .getByRole('list', { name: 'Recovery codes' })
      .getByRole('listitem')
      .allTextContents();
    expect(codes.length).toBeGreaterThanOrEqual(8);
    expect(new Set(codes).size).toBe(codes.length);
    await expectNoSeriousA11yViolations(page, 'recovery codes');
    await saveScreenshot(page, 'recovery-codes');
    // Nothing of the codes was kept in web storage.
    const stored = await page.evaluate(() => {
      const g = globalThis as unknown as { localStorage: object; sessionStorage: object };
      return JSON.stringify([{ ...g.localStorage }, { ...g.sessionStorage }]);
    });
    for (const c of codes) expect(stored).not.toContain(c);
    await page.getByRole('button', { name: 'I have saved these codes' }).click();

    // The one-time password must be changed before anything else: every screen leads to My account.
    await waitForPath(page, '/account');
    await page.getByText('Choose a new password before you continue').waitFor();
    await page.goto(`${server.url}/users`);
    await waitForPath(page, '/account');
    await expectNoSeriousA11yViolations(page, 'account (password change due)');
    await saveScreenshot(page, 'account-password-change');
    const newPassword = await changePasswordThroughUi(page, server.admin.password);

    // Then the administrator's screens open, and the recovery codes are not shown again.
    await page.getByRole('link', { name: 'Users and roles' }).click();
    await waitForPath(page, '/users');
    expect(await page.content()).not.toContain(codes[0]);
    await signOut(page);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    // The session is gone on the server too.
    const me = await page.evaluate(async () => (await fetch('/v1/me')).status);
    expect(me).toBe(401);

    // Later sign-ins ask for a code, not enrolment; the API sees the same account.
    markTotpStepUsed(secret);
    const api = await apiSignIn(server.url, { username: 'admin', password: newPassword, totpSecret: secret });
    const who = await api.json<{ passwordChangeRequired: boolean }>('GET', '/v1/me');
    expect(who.passwordChangeRequired).toBe(false);
  });
});

describe('sign-in', () => {
  let server: RunningBulwark;
  let admin: ApiSession;
  beforeAll(async () => {
    server = await startBulwark();
    admin = await adminSession(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a created user signs in with a TOTP code; a wrong code shows an error and stays on the form', async () => {
    const qa = await createUser(admin, { username: 'qa.totp', roles: ['qa_analyst'], teams: ['north'] });
    const page = await newPage(browser);
    await page.goto(`${server.url}/sign-in`);
    await page.getByLabel('Username', { exact: true }).fill(qa.username);
    await page.getByLabel('Password', { exact: true }).fill(qa.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const code = page.getByLabel('Authentication code', { exact: true });
    await code.waitFor();
    await expectNoSeriousA11yViolations(page, 'authentication code');
    await saveScreenshot(page, 'authentication-code');
    await code.fill(wrongTotpCode(qa.totpSecret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').waitFor();
    // The server's own problem detail, not just the HTTP status text.
    expect((await page.getByRole('alert').textContent())?.trim()).toBe(
      'The authentication code is not valid.',
    );
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await code.isVisible()).toBe(true);
    expect(await page.evaluate(async () => (await fetch('/v1/me')).status)).toBe(401);
    await expectNoSeriousA11yViolations(page, 'sign-in error');

    await code.fill(await nextTotpCode(qa.totpSecret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Recordings' })
        .isVisible(),
    ).toBe(true);
    expect(new URL(page.url()).pathname).not.toBe('/sign-in');
    await page.context().close();

    // The signIn helper does the same in one call.
    const again = await newPage(browser);
    await signIn(again, server.url, qa);
    expect(await again.evaluate(async () => (await fetch('/v1/me')).status)).toBe(200);
  });

  it('keyboard only: Tab, typing and Enter sign a user in', async () => {
    const user = await createUser(admin, { username: 'keyboard.user', roles: ['security_analyst'] });
    const page = await newPage(browser);
    await page.goto(`${server.url}/sign-in`);
    await page.getByLabel('Username', { exact: true }).waitFor();
    const focusedLabel = () =>
      page.evaluate(() => {
        const d = (
          globalThis as unknown as {
            document: { activeElement: { labels?: ArrayLike<{ textContent: string | null }> } | null };
          }
        ).document;
        return d.activeElement?.labels?.[0]?.textContent ?? null;
      });
    // The form starts on Username; Tab moves to Password; Enter submits.
    expect(await focusedLabel()).toBe('Username');
    await page.keyboard.type(user.username);
    await page.keyboard.press('Tab');
    expect(await focusedLabel()).toBe('Password');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
    await page.getByLabel('Authentication code', { exact: true }).waitFor();
    await waitFor(async () => (await focusedLabel()) === 'Authentication code', 'focus on the code field');
    await page.keyboard.type(await nextTotpCode(user.totpSecret));
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(new URL(page.url()).pathname).not.toBe('/sign-in');
    // The skip link is the first stop for keyboard users once signed in.
    await page.keyboard.press('Tab');
    expect(
      await page.evaluate(
        () =>
          (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document
            .activeElement.textContent,
      ),
    ).toBe('Skip to content');
  });
});

describe('passkeys', () => {
  let server: RunningBulwark;
  let admin: ApiSession;
  beforeAll(async () => {
    server = await startBulwark();
    admin = await adminSession(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('registers a passkey on My account and signs in with it; a failed user verification is refused with no session', async () => {
    const user = await createUser(admin, { username: 'passkey.user', roles: ['security_analyst'] });
    const page = await newPage(browser);
    const authenticator = await addVirtualAuthenticator(page, { isUserVerified: true });
    await signIn(page, server.url, user);
    await page.getByRole('link', { name: 'My account' }).click();
    await waitForPath(page, '/account');
    await page.getByLabel('Passkey name', { exact: true }).fill('Test laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText('Passkey “Test laptop” added.').waitFor();
    const table = page.getByRole('table', { name: 'Your passkeys' });
    await table.getByRole('cell', { name: 'Test laptop', exact: true }).waitFor();
    expect((await authenticator.credentials()).length).toBe(1);
    await expectNoSeriousA11yViolations(page, 'account with a passkey');
    await saveScreenshot(page, 'account');

    // Passwordless: no username, no password, no code; the discoverable passkey names the user.
    await signOut(page);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    const me = await page.evaluate(
      async () => (await (await fetch('/v1/me')).json()) as { username: string },
    );
    expect(me.username).toBe(user.username);

    // The device cannot verify the person: refused with a visible error, and no session.
    await signOut(page);
    await authenticator.setUserVerified(false);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect((await alert.textContent())?.trim()).toBeTruthy();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await page.evaluate(async () => (await fetch('/v1/me')).status)).toBe(401);
    expect((await page.context().cookies()).some((c) => c.name === 'bulwark_session' && c.value)).toBe(false);
    await saveScreenshot(page, 'passkey-refused');
  });

  it('an authenticator that cannot verify the user cannot register a passkey either', async () => {
    const user = await createUser(admin, { username: 'passkey.nouv', roles: ['security_analyst'] });
    const page = await newPage(browser);
    const authenticator = await addVirtualAuthenticator(page, { isUserVerified: false });
    await signIn(page, server.url, user);
    await page.getByRole('link', { name: 'My account' }).click();
    await waitForPath(page, '/account');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByText('No passkeys yet.').waitFor();
    const listed = await admin.json<{ items: unknown[] }>('GET', '/v1/auth/passkeys');
    expect(listed.items).toEqual([]); // (the admin's own list: nothing leaked across users either)
    const mine = await page.evaluate(
      async () => (await (await fetch('/v1/auth/passkeys')).json()) as { items: unknown[] },
    );
    expect(mine.items).toEqual([]);
    expect((await authenticator.credentials()).length).toBeLessThanOrEqual(1);
  });
});

describe('idle lock', () => {
  let server: RunningBulwark;
  let admin: ApiSession;
  beforeAll(async () => {
    server = await startBulwark({
      env: { BULWARK_SESSION_IDLE_SECONDS: '5', BULWARK_SESSION_MAX_SECONDS: '3600' },
    });
    admin = await adminSession(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('locks the console after the idle timeout: sign-in screen with the lock message, earlier data gone, old cookie dead', async () => {
    const user = await createUser(admin, {
      username: 'idle.user',
      roles: ['security_analyst'],
      teams: ['lockteam'],
    });
    const page = await newPage(browser);
    await signIn(page, server.url, user);
    await page.getByRole('link', { name: 'My account' }).click();
    await waitForPath(page, '/account');
    await page.getByRole('heading', { name: 'My account' }).waitFor();
    const cookie = (await page.context().cookies()).find((c) => c.name === 'bulwark_session');
    expect(cookie?.value).toBeTruthy();

    // No activity: the console locks by itself.
    await page.getByText('The console locked after a period of inactivity').waitFor({ timeout: 60_000 });
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await page.getByLabel('Username', { exact: true }).isVisible()).toBe(true);
    const html = await page.content();
    expect(html).not.toContain('Last MFA');
    expect(html).not.toContain(user.username);
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    await expectNoSeriousA11yViolations(page, 'locked');
    await saveScreenshot(page, 'idle-locked');

    // The session the console held is over on the server.
    const res = await fetch(`${server.url}/v1/me`, {
      headers: { cookie: `bulwark_session=${cookie!.value}` },
    });
    expect(res.status).toBe(401);
  });
});
