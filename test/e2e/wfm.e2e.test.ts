/**
 * WFM and GDPR screens in a real browser against `bulwark serve --demo`, one role at a time, with
 * what each role must NOT see: an agent sees only their own rows (other agents' planted names and
 * figures never reach the page), a supervisor sees their team's schedules and absences without
 * reasons, a wfm_manager sees reasons only after stating a purpose, it_admin has no WFM screen
 * (and /wfm shows a refusal), an executive sees aggregates with the small cohort suppressed (never
 * as 0) and no names; a compliance officer records, completes and downloads an access request and
 * edits and exports the record of processing.
 */
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiSession,
  apiSignIn,
  type DemoUser,
  expectNoSeriousA11yViolations,
  launchBrowser,
  navLabels,
  newPage,
  type RunningBulwark,
  saveScreenshot,
  signIn,
  startBulwark,
  waitFor,
} from './support/index.ts';

// Demo agents (src/demo/seed.ts): D100..D102 north (agent.north1 = Alex Morgan), D103..D105 south,
// and six WFM-only north agents W201..W206 with adherence this month.
const OWN_NAME = 'Alex Morgan';
const NORTH_COLLEAGUE = 'Sam Patel';
const SOUTH_AGENT = 'Kim Okafor';
// Planted here: a south agent with a distinctive name (south stays under the cohort of five and
// suppressed) and five more north agents: north counts 3 + 6 + 5 = 14 people in the report.
const CANARY_NAME = 'Quillon Vexbright';
const CANARY_PERF = 987.25;
const OWN_PERF = 312.5;

let server: RunningBulwark;
let browser: Browser;
const user = (username: string): DemoUser => {
  const u = server.demoUsers.find((d) => d.username === username);
  if (!u) throw new Error(`no demo user ${username}`);
  return u;
};

async function importCsv(session: ApiSession, kind: string, csv: string): Promise<void> {
  const res = await fetch(`${server.url}/v1/wfm/imports?kind=${kind}&file=e2e-${kind}.csv`, {
    method: 'POST',
    headers: { cookie: session.cookieHeader, 'content-type': 'text/csv' },
    body: csv,
  });
  if (!res.ok) throw new Error(`import ${kind} → ${res.status}: ${await res.text()}`);
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startBulwark({ demo: true }), launchBrowser()]);
  const manager = await apiSignIn(server.url, user('wfm.manager'));
  const today = new Date().toISOString().slice(0, 10);
  const month = today.slice(0, 7);
  const extra = [1, 2, 3, 4, 5].map((n) => `E${n}`);
  await importCsv(
    manager,
    'agents',
    [
      'agent_id,username,name,team,site,region',
      ...extra.map((id, i) => `${id},,North Extra ${i + 1} (synthetic),north,Leeds,eu`),
      `C900,,${CANARY_NAME} (synthetic),south,Leeds,eu`,
      '',
    ].join('\n'),
  );
  await importCsv(
    manager,
    'schedules',
    ['agent_id,start,end,activity', `C900,${today}T07:00:00Z,${today}T15:00:00Z,email`, ''].join('\n'),
  );
  await importCsv(
    manager,
    'adherence',
    [
      'agent_id,timestamp,state',
      ...extra.flatMap((id, i) => [
        `${id},${today}T09:0${i}:00Z,logged_in`,
        `${id},${today}T09:1${i}:00Z,available`,
        `${id},${today}T09:3${i}:00Z,on_call`,
      ]),
      `C900,${today}T07:00:00Z,logged_in`,
      '',
    ].join('\n'),
  );
  await importCsv(
    manager,
    'absences',
    [
      'agent_id,start_date,end_date,reason_code',
      `D100,${today},${today},vacation`,
      `D101,${today},${today},sick`,
      `C900,${today},${today},family_leave`,
      '',
    ].join('\n'),
  );
  await importCsv(
    manager,
    'performance',
    [
      'agent_id,period_start,metric,value',
      `D100,${month}-01,aht,${OWN_PERF}`,
      `D101,${month}-01,aht,${CANARY_PERF}`,
      `C900,${month}-01,aht,${CANARY_PERF}`,
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Table body rows of the table named `caption`, as arrays of cell texts. */
async function tableRows(page: Page, caption: string): Promise<string[][]> {
  const table = page.getByRole('table', { name: caption, exact: true });
  await table.waitFor({ timeout: 30_000 });
  const rows = table.locator('tbody tr');
  const out: string[][] = [];
  for (let i = 0; i < (await rows.count()); i++)
    out.push((await rows.nth(i).locator('th, td').allTextContents()).map((t) => t.trim()));
  return out;
}

/** Waits until the table named `caption` has left its loading state and has a data row. */
async function rowsOf(page: Page, caption: string, atLeast = 1): Promise<string[][]> {
  const rows = await waitFor(async () => {
    const r = await tableRows(page, caption);
    return r.length >= atLeast && !r[0]![0]!.startsWith('No ') ? r : null;
  }, `rows in ${caption}`);
  return rows!;
}

const bodyText = async (page: Page) => (await page.locator('body').textContent()) ?? '';

async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), click()]);
  return { name: file.suggestedFilename(), text: fs.readFileSync(await file.path(), 'utf8') };
}

describe('WFM screens per role', () => {
  it('an agent sees only their own schedule, absences (with their own reason) and performance, and what is kept about them', async () => {
    const page = await newPage(browser);
    await signIn(page, server.url, user('agent.north1'));
    const nav = await navLabels(page);
    expect(nav).toEqual(expect.arrayContaining(['My work', 'My data']));
    for (const hidden of ['Team schedules', 'WFM reports', 'Access requests', 'Record of processing'])
      expect(nav).not.toContain(hidden);

    await page.getByRole('link', { name: 'My work' }).click();
    await page.getByRole('heading', { name: 'My work', level: 1 }).waitFor();
    // Exactly the agent's own two shifts of today (others' shifts exist in the same window).
    const shifts = await rowsOf(page, 'My schedule', 2);
    expect(shifts).toHaveLength(2);
    expect(shifts.map((r) => r[2])).toEqual(['phone', 'phone']);
    const absences = await rowsOf(page, 'My absences');
    expect(absences).toHaveLength(1);
    expect(absences[0]).toEqual(expect.arrayContaining(['absent', 'vacation']));
    const perf = await rowsOf(page, 'My performance');
    expect(perf).toHaveLength(1);
    expect(perf[0]).toEqual(expect.arrayContaining(['aht', OWN_PERF.toLocaleString('en-GB')]));
    await rowsOf(page, 'My adherence', 6);

    const kept = await rowsOf(page, 'What Bulwark keeps about me', 3);
    expect(kept.map((r) => r[0]).join(' ')).toMatch(/Schedules/);

    const text = await bodyText(page);
    for (const other of [NORTH_COLLEAGUE, SOUTH_AGENT, CANARY_NAME, String(CANARY_PERF)])
      expect(text).not.toContain(other);
    // Other people's absence reasons (the record of processing names the categories in general).
    const ownAbsences = (await page.getByRole('table', { name: 'My absences' }).textContent()) ?? '';
    for (const reason of ['sick', 'family leave']) expect(ownAbsences).not.toContain(reason);

    await expectNoSeriousA11yViolations(page, 'my-work');
    await saveScreenshot(page, 'my-work');

    const json = await download(page, () => page.getByRole('button', { name: 'Download JSON' }).click());
    expect(json.name).toBe('my-data.json');
    expect(json.text).toContain('agent.north1');
    for (const other of [NORTH_COLLEAGUE, SOUTH_AGENT, CANARY_NAME]) expect(json.text).not.toContain(other);
    await page.getByLabel('CSV category').selectOption('schedules');
    const csv = await download(page, () => page.getByRole('button', { name: 'Download CSV' }).click());
    expect(csv.name).toBe('my-data-schedules.csv');
    expect(csv.text.trim().split('\n')).toHaveLength(3); // header + the two own shifts
  });

  it("a supervisor sees their own team's schedules and absences, never a reason or another team", async () => {
    const page = await newPage(browser);
    await signIn(page, server.url, user('supervisor.north'));
    const nav = await navLabels(page);
    expect(nav).toContain('Team schedules');
    expect(nav).not.toContain('WFM reports');

    await page.getByRole('link', { name: 'Team schedules' }).click();
    const rows = await rowsOf(page, 'Team schedules', 6);
    const names = rows.map((r) => r[0]).join('\n');
    expect(names).toContain(OWN_NAME);
    expect(names).toContain(NORTH_COLLEAGUE);
    expect(rows.every((r) => r[1] === 'north')).toBe(true);
    expect(await bodyText(page)).not.toContain(SOUTH_AGENT);
    expect(await bodyText(page)).not.toContain(CANARY_NAME);

    // Filter by agent id: only that agent's shifts.
    await page.getByLabel('Agent id').fill('D101');
    await waitFor(async () => {
      const r = await tableRows(page, 'Team schedules');
      return r.length === 2 && r.every((x) => x[0]!.includes(NORTH_COLLEAGUE));
    }, 'the agent filter');
    await page.getByLabel('Agent id').fill('');

    await expectNoSeriousA11yViolations(page, 'team-schedules');
    await saveScreenshot(page, 'team-schedules');

    await page.getByRole('button', { name: 'Absences', exact: true }).click();
    const absences = await rowsOf(page, 'Team absences', 2);
    expect(absences.every((r) => r.includes('absent'))).toBe(true);
    const headers = await page
      .getByRole('table', { name: 'Team absences' })
      .locator('thead th')
      .allTextContents();
    expect(headers).not.toContain('Reason');
    const text = await bodyText(page);
    for (const reason of ['sick', 'vacation', 'family leave']) expect(text).not.toContain(reason);
    expect(text).not.toContain(CANARY_NAME);
    expect(await page.getByRole('button', { name: /Show reasons/ }).count()).toBe(0);
    await expectNoSeriousA11yViolations(page, 'team-absences');
  });

  it('a wfm_manager sees absence reasons only after stating a purpose', async () => {
    const page = await newPage(browser);
    await signIn(page, server.url, user('wfm.manager'));
    await page.getByRole('link', { name: 'Team schedules' }).click();
    await page.getByRole('button', { name: 'Absences', exact: true }).click();
    const before = await rowsOf(page, 'Team absences', 3);
    expect(before.map((r) => r[0]).join('\n')).toContain(CANARY_NAME);
    expect(await bodyText(page)).not.toContain('sick');

    await page.getByRole('button', { name: 'Show reasons…' }).click();
    await page.getByRole('button', { name: 'Show reasons', exact: true }).click();
    await page.getByText('State why you need the absence reasons').waitFor();
    await page.getByLabel('Purpose', { exact: true }).fill('e2e: return-to-work review');
    await page.getByRole('button', { name: 'Show reasons', exact: true }).click();
    await waitFor(async () => (await bodyText(page)).includes('sick'), 'the reasons');
    const after = await tableRows(page, 'Team absences');
    expect(after.find((r) => r[0]!.includes(NORTH_COLLEAGUE))).toContain('sick');
    await expectNoSeriousA11yViolations(page, 'team-absences-reasons');
  });

  it('it_admin has no WFM screen, and /wfm shows a refusal without data', async () => {
    const page = await newPage(browser);
    await signIn(page, server.url, user('it.admin'));
    const nav = await navLabels(page);
    for (const hidden of ['My work', 'Team schedules', 'WFM reports', 'Access requests'])
      expect(nav).not.toContain(hidden);
    for (const path of ['/wfm', '/wfm/my-work', '/wfm/team', '/wfm/reports']) {
      await page.goto(`${server.url}${path}`);
      await page.getByText('Your role does not give access to this screen.').waitFor({ timeout: 30_000 });
      const text = await bodyText(page);
      for (const name of [OWN_NAME, NORTH_COLLEAGUE, CANARY_NAME]) expect(text).not.toContain(name);
    }
  });

  it('an executive sees aggregates only: the small team suppressed (never 0), no names', async () => {
    const page = await newPage(browser);
    await signIn(page, server.url, user('executive'));
    const nav = await navLabels(page);
    expect(nav).toContain('WFM reports');
    for (const hidden of ['My work', 'Team schedules']) expect(nav).not.toContain(hidden);

    await page.getByRole('link', { name: 'WFM reports' }).click();
    const caption = /^Adherence by team, \d{4}-\d{2}: every group$/;
    const table = page.getByRole('table', { name: caption });
    await table.waitFor({ timeout: 60_000 });
    const rows = (await waitFor(async () => {
      const r: string[][] = [];
      const trs = table.locator('tbody tr');
      for (let i = 0; i < (await trs.count()); i++)
        r.push((await trs.nth(i).locator('th, td').allTextContents()).map((t) => t.trim()));
      return r.length >= 2 ? r : null;
    }, 'the report rows')) as string[][];
    const north = rows.find((r) => r[0] === 'north')!;
    const south = rows.find((r) => r[0] === 'south')!;
    expect(north[1]).toBe('14');
    expect(south).toEqual(['south', 'suppressed (fewer than 5 people)']);
    expect(await page.getByRole('img', { name: /Adherence by team/ }).count()).toBe(1);
    expect(await bodyText(page)).toContain('Not charted, suppressed (fewer than 5 people): south');
    const text = await bodyText(page);
    for (const name of [OWN_NAME, NORTH_COLLEAGUE, SOUTH_AGENT, CANARY_NAME])
      expect(text).not.toContain(name);
    await expectNoSeriousA11yViolations(page, 'reports');
    await saveScreenshot(page, 'reports');

    // By site: the one site's atoms include the suppressed south team, which is left out entirely.
    await page.getByLabel('Group by').selectOption('site');
    await page.getByRole('table', { name: /Adherence by site/ }).waitFor({ timeout: 60_000 });
    await page.goto(`${server.url}/wfm/team`);
    await page.getByText('Your role does not give access to this screen.').waitFor({ timeout: 30_000 });
  });

  it('forecasts and capacity: a wfm_analyst sees both, an executive only the capacity aggregate', async () => {
    const manager = await apiSignIn(server.url, user('wfm.manager'));
    const importForecast = async (kind: 'forecasts' | 'capacity', csv: string) => {
      const res = await fetch(`${server.url}/v1/wfm/forecast-imports?kind=${kind}&file=e2e-${kind}.csv`, {
        method: 'POST',
        headers: { cookie: manager.cookieHeader, 'content-type': 'text/csv' },
        body: csv,
      });
      if (!res.ok) throw new Error(`import ${kind} → ${res.status}: ${await res.text()}`);
    };
    const today = new Date().toISOString().slice(0, 10);
    const nextWeek = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    await importForecast(
      'forecasts',
      [
        'queue,interval_start,volume,aht_seconds',
        `billing,${today}T09:00:00Z,42,310`,
        `billing,${today}T09:30:00Z,57,295`,
        `billing,${today}T10:00:00Z,61,288`,
        '',
      ].join('\n'),
    );
    await importForecast(
      'capacity',
      [
        'team,period_start,required_agents,scheduled_agents',
        `north,${today},12,9`,
        `north,${nextWeek},10,11`,
        '',
      ].join('\n'),
    );

    const page = await newPage(browser);
    await signIn(page, server.url, user('wfm.analyst'));
    expect(await navLabels(page)).toContain('Forecasts and capacity');
    await page.getByRole('link', { name: 'Forecasts and capacity' }).click();
    await page.getByRole('heading', { name: 'Forecasts and capacity', level: 1 }).waitFor();
    await page.getByRole('textbox', { name: 'Queue', exact: true }).fill('billing');
    const forecasts = await rowsOf(page, 'Forecasts', 3);
    expect(forecasts).toEqual([
      ['billing', `${today} 09:00`, '42', '310'],
      ['billing', `${today} 09:30`, '57', '295'],
      ['billing', `${today} 10:00`, '61', '288'],
    ]);
    expect(await page.getByRole('img', { name: /Forecast volume per interval/ }).count()).toBe(1);
    await page.getByRole('textbox', { name: 'Team', exact: true }).fill('north');
    const capacity = await rowsOf(page, 'Capacity', 2);
    expect(capacity[0]).toEqual([today, 'north', '12', '9', '-3understaffed']);
    expect(capacity[1]).toEqual([nextWeek, 'north', '10', '11', '+1']);
    await expectNoSeriousA11yViolations(page, 'forecasts');
    await saveScreenshot(page, 'forecasts');

    const exec = await newPage(browser);
    await signIn(exec, server.url, user('executive'));
    expect(await navLabels(exec)).toContain('Forecasts and capacity');
    await exec.getByRole('link', { name: 'Forecasts and capacity' }).click();
    await exec.getByRole('heading', { name: 'Forecasts and capacity', level: 1 }).waitFor();
    const execCapacity = await rowsOf(exec, 'Capacity', 2);
    expect(execCapacity.map((r) => r[1])).toContain('north');
    expect(await exec.getByRole('heading', { name: 'Forecasts', exact: true }).count()).toBe(0);
    expect(await exec.getByRole('table', { name: 'Forecasts', exact: true }).count()).toBe(0);
    expect(await bodyText(exec)).not.toContain('billing');
    await expectNoSeriousA11yViolations(exec, 'forecasts-executive');
  });
});

describe('GDPR screens', () => {
  it('a compliance officer records an access request, completes its export and downloads it; overdue requests are flagged', async () => {
    const page = await newPage(browser);
    await signIn(page, server.url, user('compliance.officer'));
    await page.getByRole('link', { name: 'Access requests' }).click();

    // An old request, past its one-month deadline.
    const old = new Date(Date.now() - 45 * 86_400_000);
    const local = `${old.toISOString().slice(0, 16)}`;
    await page.getByLabel('Username', { exact: true }).fill('agent.south2');
    await page.getByLabel('Received (optional)').fill(local);
    await page.getByRole('button', { name: 'Record request' }).click();
    await page.getByRole('heading', { name: 'Request about user agent.south2' }).waitFor({ timeout: 30_000 });

    await page.getByLabel('Username', { exact: true }).fill('agent.north2');
    await page.getByLabel('Note (optional)').fill('e2e: by email, identity checked by callback');
    await page.getByRole('button', { name: 'Record request' }).click();
    await page.getByRole('heading', { name: 'Request about user agent.north2' }).waitFor({ timeout: 30_000 });

    const rows = await rowsOf(page, 'Access requests', 2);
    const overdueRow = rows.find((r) => r[0] === 'user agent.south2')!;
    expect(overdueRow[2]).toContain('overdue');
    const fresh = rows.find((r) => r[0] === 'user agent.north2')!;
    expect(fresh[2]).not.toContain('overdue');
    expect(fresh[3]).toBe('received');
    await page.getByLabel('Only overdue').check();
    await waitFor(async () => (await tableRows(page, 'Access requests')).length === 1, 'the overdue filter');
    await page.getByLabel('Only overdue').uncheck();

    await page.getByRole('button', { name: 'Start work on it' }).click();
    await waitFor(
      async () =>
        (await tableRows(page, 'Access requests')).some(
          (r) => r[0] === 'user agent.north2' && r[3] === 'in progress',
        ),
      'the request in progress',
    );
    await page.getByRole('button', { name: 'Produce the export' }).click();
    await page
      .getByRole('dialog', { name: 'Produce the export?' })
      .getByRole('button', { name: 'Produce the export' })
      .click();
    const counts = await rowsOf(page, 'What the export holds', 3);
    expect(counts.find((r) => r[0] === 'Schedules')?.[1]).toBe('2');
    await page.getByRole('button', { name: 'Download JSON' }).waitFor();
    await expectNoSeriousA11yViolations(page, 'dsar');
    await saveScreenshot(page, 'dsar');

    const json = await download(page, () => page.getByRole('button', { name: 'Download JSON' }).click());
    expect(json.name).toMatch(/^dsar-[0-9a-f-]+\.json$/);
    expect(json.text).toContain(NORTH_COLLEAGUE);
    expect(json.text).toContain('sick');
    expect(json.text).not.toContain(OWN_NAME);
    expect(json.text).not.toContain(CANARY_NAME);
    const html = await download(page, () =>
      page.getByRole('button', { name: 'Download HTML summary' }).click(),
    );
    expect(html.text).toContain('<html');
    await page.getByLabel('CSV category').selectOption('absences');
    const csv = await download(page, () => page.getByRole('button', { name: 'Download CSV' }).click());
    expect(csv.name).toMatch(/-absences\.csv$/);
    expect(csv.text).toContain('sick');
  });

  it('the record of processing: compliance edits a purpose and exports CSV; a wfm_manager reads it without edit', async () => {
    const page = await newPage(browser);
    await signIn(page, server.url, user('compliance.officer'));
    await page.getByRole('link', { name: 'Record of processing' }).click();
    const rows = await rowsOf(page, 'Record of processing activities', 5);
    expect(rows.some((r) => r[0]!.startsWith('Absences') && r[0]!.includes('special category'))).toBe(true);

    await page.getByRole('button', { name: /^Edit Schedules/ }).click();
    await page.getByLabel('Recipients', { exact: true }).fill('Team supervisors; WFM planning (e2e edit)');
    await page.getByRole('button', { name: 'Save' }).click();
    await waitFor(
      async () => (await bodyText(page)).includes('WFM planning (e2e edit)'),
      'the edited recipients in the table',
    );
    await expectNoSeriousA11yViolations(page, 'processing-record');
    await saveScreenshot(page, 'processing-record');
    const csv = await download(page, () => page.getByRole('button', { name: 'Export CSV' }).click());
    expect(csv.name).toBe('processing-record.csv');
    expect(csv.text).toContain('WFM planning (e2e edit)');

    const manager = await newPage(browser);
    await signIn(manager, server.url, user('wfm.manager'));
    await manager.getByRole('link', { name: 'Record of processing' }).click();
    await rowsOf(manager, 'Record of processing activities', 5);
    expect(await manager.getByRole('button', { name: /^Edit / }).count()).toBe(0);
    expect(await navLabels(manager)).not.toContain('Access requests');
  });
});

describe('governance screens', () => {
  it('a compliance officer records and revokes a transfer mechanism and reads (not changes) WFM retention; it_admin only lists', async () => {
    const page = await newPage(browser);
    await signIn(page, server.url, user('compliance.officer'));
    const nav = await navLabels(page);
    expect(nav).toEqual(expect.arrayContaining(['Transfer mechanisms', 'WFM retention']));
    expect(nav).not.toContain('Presence');

    await page.getByRole('link', { name: 'Transfer mechanisms' }).click();
    await page.getByLabel('From region').fill('us');
    await page.getByLabel('To region').fill('eu');
    await page.getByLabel('Mechanism', { exact: true }).selectOption('scc');
    await page.getByLabel('Reference (optional)').fill('e2e SCC module 1');
    await page.getByRole('button', { name: 'Allow transfer' }).click();
    const rows = await rowsOf(page, 'Transfer mechanisms');
    expect(rows[0]).toEqual(expect.arrayContaining(['us', 'eu', 'Standard contractual clauses', 'active']));
    await expectNoSeriousA11yViolations(page, 'transfers');
    await saveScreenshot(page, 'transfers');

    await page.getByRole('button', { name: 'Revoke us to eu' }).click();
    await page
      .getByRole('dialog', { name: 'Revoke the transfer mechanism?' })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await waitFor(
      async () => (await tableRows(page, 'Transfer mechanisms'))[0]?.[0]?.startsWith('No '),
      'the revoked mechanism to leave the active list',
    );
    await page.getByLabel('Include revoked mechanisms').check();
    await waitFor(
      async () => (await tableRows(page, 'Transfer mechanisms')).some((r) => r.join(' ').includes('revoked')),
      'the revoked mechanism',
    );

    await page.getByRole('link', { name: 'WFM retention' }).click();
    await page.getByText('Raw adherence states (days)').waitFor();
    expect(await page.getByRole('button', { name: 'Save settings' }).count()).toBe(0);

    const admin = await newPage(browser);
    await signIn(admin, server.url, user('it.admin'));
    await admin.getByRole('link', { name: 'Transfer mechanisms' }).click();
    await admin.getByRole('table', { name: 'Transfer mechanisms' }).waitFor();
    expect(await admin.getByRole('button', { name: 'Allow transfer' }).count()).toBe(0);
    expect(await navLabels(admin)).not.toContain('Presence');
    await admin.goto(`${server.url}/wfm/presence`);
    await admin.getByText('Your role does not give access to this screen.').waitFor({ timeout: 30_000 });
  });

  it('a wfm_manager changes retention and finds who was logged in; a security analyst has Presence too', async () => {
    const page = await newPage(browser);
    await signIn(page, server.url, user('wfm.manager'));
    await page.getByRole('link', { name: 'WFM retention' }).click();
    await page.getByLabel('Raw adherence states (days)').fill('5');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor({ timeout: 30_000 });
    await waitFor(async () => (await bodyText(page)).includes('Last changed'), 'the settings');
    expect(await page.getByLabel('Raw adherence states (days)').inputValue()).toBe('5');
    await expectNoSeriousA11yViolations(page, 'wfm-retention');
    await saveScreenshot(page, 'wfm-retention');
    await page.getByLabel('Raw adherence states (days)').fill('7');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor({ timeout: 30_000 });

    await page.getByRole('link', { name: 'Presence' }).click();
    const today = new Date().toISOString().slice(0, 10);
    await page.getByLabel('From', { exact: true }).fill(`${today}T00:00`);
    await page.getByLabel('To', { exact: true }).fill(`${today}T23:59`);
    await page.getByLabel('Team (optional)').fill('north');
    await page.getByRole('button', { name: 'Find who was logged in' }).click();
    const agents = await rowsOf(page, 'Agents logged in during the window', 3);
    const names = agents.map((r) => r[0]).join('\n');
    expect(names).toContain(OWN_NAME);
    expect(names).not.toContain(SOUTH_AGENT);
    expect(agents.every((r) => r[1] === 'north')).toBe(true);
    const groups = await rowsOf(page, 'Agents logged in by team and site');
    expect(groups[0]?.[0]).toBe('north');
    await expectNoSeriousA11yViolations(page, 'presence');
    await saveScreenshot(page, 'presence');

    const analyst = await newPage(browser);
    await signIn(analyst, server.url, user('security.analyst'));
    const nav = await navLabels(analyst);
    expect(nav).toContain('Presence');
    for (const hidden of ['My work', 'Team schedules', 'WFM reports', 'WFM retention'])
      expect(nav).not.toContain(hidden);
  });
});

describe('shift-swap marketplace', () => {
  it('an agent offers a shift, a teammate sees only time/team/activity and claims it, the supervisor approves', async () => {
    const manager = await apiSignIn(server.url, user('wfm.manager'));
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await importCsv(
      manager,
      'schedules',
      [
        'agent_id,start,end,activity',
        `D100,${tomorrow}T09:00:00Z,${tomorrow}T13:00:00Z,chat`,
        `D100,${tomorrow}T14:00:00Z,${tomorrow}T16:00:00Z,email`,
        '',
      ].join('\n'),
    );
    const NOTE = 'e2e SWAPNOTE-7731 dentist';

    const offerer = await newPage(browser);
    await signIn(offerer, server.url, user('agent.north1'));
    await offerer.getByRole('link', { name: 'Shift swaps' }).click();
    await rowsOf(offerer, 'My upcoming shifts', 2);
    await offerer.getByLabel('Note for the approver (optional)').fill(NOTE);
    await offerer.getByRole('button', { name: /^Offer the chat shift/ }).click();
    await offerer.getByText('Offered: teammates now see').waitFor({ timeout: 30_000 });
    await offerer.getByRole('button', { name: /^Offer the email shift/ }).click();
    await waitFor(async () => (await tableRows(offerer, 'My offers and claims')).length === 2, 'both offers');
    const mine = await tableRows(offerer, 'My offers and claims');
    expect(mine.find((r) => r[3] === 'chat')).toEqual(expect.arrayContaining(['offered', 'open', NOTE]));
    await offerer
      .getByRole('table', { name: 'My offers and claims' })
      .locator('tbody tr', { hasText: 'email' })
      .getByRole('button', { name: /^Withdraw the offer/ })
      .click();
    await waitFor(
      async () =>
        (await tableRows(offerer, 'My offers and claims')).some(
          (r) => r[3] === 'email' && r[4] === 'withdrawn',
        ),
      'the withdrawn offer',
    );
    await expectNoSeriousA11yViolations(offerer, 'swaps-agent');
    await saveScreenshot(offerer, 'swaps-agent');

    const teammate = await newPage(browser);
    await signIn(teammate, server.url, user('agent.north2'));
    await teammate.getByRole('link', { name: 'Shift swaps' }).click();
    const open = await rowsOf(teammate, 'Open offers in my teams');
    expect(open).toHaveLength(1);
    expect(open[0]).toEqual(expect.arrayContaining(['north', 'chat']));
    const text = await bodyText(teammate);
    for (const hidden of [OWN_NAME, 'agent.north1', 'D100', NOTE, 'email'])
      expect(text).not.toContain(hidden);
    await teammate.getByRole('button', { name: /^Claim the chat shift/ }).click();
    await teammate.getByText('Claimed: a supervisor will approve').waitFor({ timeout: 30_000 });

    const otherTeam = await newPage(browser);
    await signIn(otherTeam, server.url, user('agent.south1'));
    await otherTeam.getByRole('link', { name: 'Shift swaps' }).click();
    const none = await tableRows(otherTeam, 'Open offers in my teams');
    expect(none).toEqual([['No open offers in your teams.']]);

    const supervisor = await newPage(browser);
    await signIn(supervisor, server.url, user('supervisor.north'));
    await supervisor.getByRole('link', { name: 'Shift swaps' }).click();
    const pending = await rowsOf(supervisor, 'Swaps to decide');
    expect(pending).toHaveLength(1);
    expect(pending[0]!.join(' ')).toContain(`${OWN_NAME} (synthetic) (D100)`);
    expect(pending[0]!.join(' ')).toContain(`${NORTH_COLLEAGUE} (synthetic) (D101)`);
    expect(pending[0]).toContain(NOTE);
    expect(await supervisor.getByRole('table', { name: 'My upcoming shifts' }).count()).toBe(0);
    await expectNoSeriousA11yViolations(supervisor, 'swaps-approvals');
    await saveScreenshot(supervisor, 'swaps-approvals');
    await supervisor.getByRole('button', { name: /^Approve the swap/ }).click();
    await supervisor
      .getByRole('dialog', { name: 'Approve the swap?' })
      .getByRole('button', { name: 'Approve' })
      .click();
    await supervisor.getByText('Swap approved').waitFor({ timeout: 30_000 });

    const moved = await manager.json<{ items: Array<{ agentId: string; activity: string }> }>(
      'GET',
      `/v1/wfm/schedules?agent=D101&from=${tomorrow}`,
    );
    expect(moved.items.some((s) => s.activity === 'chat')).toBe(true);
  });
});
