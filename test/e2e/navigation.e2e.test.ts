/**
 * Each role's navigation in the real console: the menu shows exactly the screens the server's
 * capabilities allow (GET /v1/me, computed by Cedar), every hidden screen reached by its URL shows
 * the refusal and no data, and every reachable screen passes axe (serious/critical) and is saved
 * as a screenshot for reviewers.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCREENS, visibleScreens } from '../../web/src/app/navigation.ts';
import {
  type ApiSession,
  adminSession,
  createUser,
  expectNoSeriousA11yViolations,
  launchBrowser,
  navLabels,
  newPage,
  type RunningBulwark,
  saveScreenshot,
  signIn,
  startBulwark,
  waitForPath,
} from './support/index.ts';

const REFUSAL = 'Your role does not give access to this screen.';

type RoleCase = {
  role: string;
  teams?: string[];
  mustSee: string[];
  mustNotSee: string[];
};

const ROLES: RoleCase[] = [
  {
    role: 'it_admin',
    mustSee: ['Users and roles', 'Keys'],
    mustNotSee: ['Recordings', 'Audit log', 'Token vault'],
  },
  { role: 'qa_analyst', teams: ['north'], mustSee: ['Recordings'], mustNotSee: ['Users and roles', 'Keys'] },
  {
    role: 'executive',
    mustSee: [],
    mustNotSee: ['Recordings', 'Users and roles', 'Keys', 'Audit log', 'Token vault'],
  },
  { role: 'security_analyst', mustSee: ['Audit log'], mustNotSee: ['Users and roles', 'Keys'] },
  { role: 'compliance_officer', mustSee: ['Audit log'], mustNotSee: ['Users and roles', 'Keys'] },
  { role: 'supervisor', teams: ['north'], mustSee: [], mustNotSee: ['Users and roles', 'Keys', 'Audit log'] },
  {
    role: 'agent',
    teams: ['north'],
    mustSee: [],
    mustNotSee: ['Recordings', 'Users and roles', 'Keys', 'Audit log', 'Token vault'],
  },
  { role: 'wfm_analyst', mustSee: [], mustNotSee: ['Recordings', 'Keys', 'Users and roles'] },
  { role: 'wfm_manager', mustSee: [], mustNotSee: ['Recordings', 'Keys', 'Users and roles'] },
];

let server: RunningBulwark;
let browser: Browser;
let admin: ApiSession;
beforeAll(async () => {
  [server, browser] = await Promise.all([startBulwark(), launchBrowser()]);
  admin = await adminSession(server);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Lets the screen's first requests settle so axe and the screenshot see content, not a spinner. */
async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.getByRole('heading', { level: 1 }).first().waitFor({ timeout: 30_000 });
}

describe('navigation per role', () => {
  for (const c of ROLES) {
    it(`${c.role}: the menu shows exactly what its capabilities allow, hidden screens refuse, reachable screens pass axe`, async () => {
      const user = await createUser(admin, {
        username: `nav.${c.role.replace(/_/g, '-')}`,
        roles: [c.role],
        teams: c.teams ?? [],
      });
      const page = await newPage(browser);
      await signIn(page, server.url, user);
      const me = await page.evaluate(
        async () => (await (await fetch('/v1/me')).json()) as { capabilities: string[]; roles: string[] },
      );
      expect(me.roles).toEqual([c.role]);

      // The menu: exactly the screens the capabilities allow, in the console's order.
      const expected = visibleScreens(me.capabilities).map((s) => s.label);
      const labels = await navLabels(page);
      expect(labels).toEqual(expected);
      for (const label of c.mustSee) expect(labels, `${c.role} sees ${label}`).toContain(label);
      for (const label of c.mustNotSee)
        expect(labels, `${c.role} must not see ${label}`).not.toContain(label);

      // Every screen it may use opens, passes axe and is photographed.
      for (const screen of visibleScreens(me.capabilities)) {
        await page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link', { name: screen.label, exact: true })
          .click();
        await waitForPath(page, screen.path);
        await settle(page);
        expect(await page.getByText(REFUSAL).count(), `${c.role} at ${screen.path}`).toBe(0);
        await expectNoSeriousA11yViolations(page, `${c.role} ${screen.path}`);
        await saveScreenshot(page, `role-${c.role}${screen.path.replace(/\//g, '-')}`);
      }

      // Every screen it may not use, reached by URL, shows the refusal and no table of data.
      const hidden = SCREENS.filter((s) => s.capability !== null && !me.capabilities.includes(s.capability));
      for (const screen of hidden) {
        await page.goto(`${server.url}${screen.path}`);
        await page.getByText(REFUSAL).waitFor({ timeout: 30_000 });
        expect(await page.getByRole('table').count(), `${c.role} at ${screen.path}`).toBe(0);
      }
      if (c.role === 'it_admin') {
        // No recording player and no agent data for the administrator.
        await page.goto(`${server.url}/recordings`);
        await page.getByText(REFUSAL).waitFor();
        expect(await page.locator('audio').count()).toBe(0);
        await expectNoSeriousA11yViolations(page, 'refusal');
        await saveScreenshot(page, 'refused-it_admin-recordings');
      }
    });
  }
});
