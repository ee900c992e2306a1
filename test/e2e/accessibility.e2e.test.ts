/**
 * Accessibility of every console screen with real content: the seeded demo (`serve --demo`), one
 * signed-in demo user per role, each screen visited by the first role that may use it. axe-core
 * must find no serious or critical violation; each screen is saved as `demo-<screen>.png`.
 * (Sign-in, enrolment, recovery codes and My account are checked in auth.e2e.test.ts.)
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCREENS, visibleScreens } from '../../web/src/app/navigation.ts';
import {
  expectNoSeriousA11yViolations,
  launchBrowser,
  newPage,
  type RunningBulwark,
  saveScreenshot,
  signIn,
  signOut,
  startBulwark,
  waitForPath,
} from './support/index.ts';

let server: RunningBulwark;
let browser: Browser;
beforeAll(async () => {
  [server, browser] = await Promise.all([startBulwark({ demo: true }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.getByRole('heading', { level: 1 }).first().waitFor({ timeout: 30_000 });
}

describe('accessibility with the demo content', () => {
  it('every screen passes axe for a role that may use it, and is photographed', async () => {
    const covered = new Map<string, string>();
    const seenRoles = new Set<string>();
    const page = await newPage(browser);
    for (const user of server.demoUsers) {
      const role = user.roles[0]!;
      if (seenRoles.has(role)) continue;
      seenRoles.add(role);
      await signIn(page, server.url, user);
      const me = await page.evaluate(
        async () => (await (await fetch('/v1/me')).json()) as { capabilities: string[] },
      );
      for (const screen of visibleScreens(me.capabilities)) {
        if (covered.has(screen.path)) continue;
        await page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link', { name: screen.label, exact: true })
          .click();
        await waitForPath(page, screen.path);
        await settle(page);
        await expectNoSeriousA11yViolations(page, `${screen.path} as ${user.username}`);
        await saveScreenshot(page, `demo${screen.path.replace(/\//g, '-')}`);
        covered.set(screen.path, user.username);
      }
      await signOut(page);
    }
    // Every screen of the console was reached by some demo role.
    expect(SCREENS.map((s) => s.path).filter((p) => !covered.has(p))).toEqual([]);
  });
});
