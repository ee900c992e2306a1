/**
 * Recordings and investigation cases in a real browser against `bulwark serve --demo`: a QA
 * analyst of one team lists only that team's recordings, plays one (purpose asked, Range requests
 * answered 206) with its redacted transcript and timeline, and is refused another team's
 * recording; a compliance officer sees the demo case, opens a case, links a recording, places and
 * releases a legal hold, and closes the case.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiSession,
  apiSignIn,
  createUser,
  demoUser,
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

const DEMO_CASE = 'DEMO — synthetic data: chargeback dispute, north team';

/** The parts of an HTMLMediaElement the test reads (the server's tsconfig has no DOM types). */
type AudioEl = {
  readyState: number;
  duration: number;
  currentTime: number;
  play(): Promise<void>;
  pause(): void;
};

type Rec = { id: string; callId: string; team: { name: string }; cases: string[] };

let server: RunningBulwark;
let browser: Browser;
let qaNorth: ReadyCredentials;
let north: Rec[];
let south: Rec[];

beforeAll(async () => {
  [server, browser] = await Promise.all([startBulwark({ demo: true }), launchBrowser()]);
  const admin: ApiSession = await apiSignIn(server.url, demoUser(server, 'it_admin'));
  qaNorth = await createUser(admin, { username: 'qa.north.e2e', roles: ['qa_analyst'], teams: ['north'] });
  // The demo's own QA analyst covers both teams: use it to learn the seeded recordings' ids.
  const qaBoth = await apiSignIn(server.url, demoUser(server, 'qa_analyst'));
  const all = await qaBoth.json<{ items: Rec[] }>('GET', '/v1/recordings?limit=200');
  north = all.items.filter((r) => r.team.name === 'north');
  south = all.items.filter((r) => r.team.name === 'south');
  expect(north.length).toBeGreaterThan(0);
  expect(south.length).toBeGreaterThan(0);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Table body rows of the table captioned `caption`, as arrays of cell texts. */
async function tableRows(page: Page, caption: string): Promise<string[][]> {
  const table = page.getByRole('table', { name: caption });
  await table.waitFor({ timeout: 30_000 });
  const rows = table.locator('tbody tr');
  const out: string[][] = [];
  for (let i = 0; i < (await rows.count()); i++)
    out.push((await rows.nth(i).locator('td').allTextContents()).map((t) => t.trim()));
  return out;
}

describe('recordings', () => {
  it("a QA analyst of one team sees only that team's recordings, plays one over Range requests, and is refused another team's", async () => {
    const page = await newPage(browser);
    const ranges: Array<{ status: number; range: string | undefined }> = [];
    page.on('response', async (res) => {
      if (!/\/v1\/recordings\/[^/]+\/content\?/.test(res.url())) return;
      ranges.push({
        status: res.status(),
        range:
          (await res
            .request()
            .headerValue('range')
            .catch(() => undefined)) ?? undefined,
      });
    });
    await signIn(page, server.url, qaNorth);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Recordings' }).click();
    await page.getByRole('heading', { name: 'Recordings', level: 1 }).waitFor();
    await page.getByRole('link', { name: north[0]!.callId }).waitFor({ timeout: 30_000 });

    const rows = await tableRows(page, 'Recordings in your scope, newest first');
    expect(rows.length).toBe(north.length);
    // Columns: started, call, duration, team, agent, kind, state.
    expect(new Set(rows.map((r) => r[3]))).toEqual(new Set(['north']));
    for (const s of south) expect(await page.getByText(s.callId, { exact: true }).count()).toBe(0);
    // The duration column reads m:ss for every seeded call.
    for (const r of rows) expect(r[2]).toMatch(/^\d+:\d\d$/);

    // A filter the API applies: one call id.
    await page.getByLabel('Call id', { exact: true }).fill(north[0]!.callId);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await waitFor(
      async () => (await tableRows(page, 'Recordings in your scope, newest first')).length === 1,
      'the filtered list',
    );
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await waitFor(
      async () => (await tableRows(page, 'Recordings in your scope, newest first')).length === north.length,
      'the whole list again',
    );
    await expectNoSeriousA11yViolations(page, 'recordings');
    await saveScreenshot(page, 'recordings');

    // Detail: metadata first; no content request until a purpose is given.
    const target = north[0]!;
    await page.getByRole('link', { name: target.callId }).click();
    await page.getByRole('heading', { name: `Recording ${target.callId}` }).waitFor();
    await page.getByRole('heading', { name: 'Pause and resume markers' }).waitFor();
    expect(ranges).toEqual([]);
    // No download or hold controls for a QA analyst (compliance-only in the policies).
    expect(await page.getByRole('button', { name: 'Download recording' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Place legal hold' }).count()).toBe(0);

    // A purpose is required: an empty one is refused on the screen.
    await page.getByRole('button', { name: 'Play recording' }).click();
    await page.getByRole('alert').filter({ hasText: 'purpose' }).waitFor();
    expect(ranges).toEqual([]);
    await page.getByLabel('Purpose', { exact: true }).fill(`QA review of call ${target.callId}`);
    await page.getByRole('button', { name: 'Play recording' }).click();

    const audio = page.getByTestId('recording-audio');
    await audio.waitFor();
    await waitFor(
      () => audio.evaluate((el: AudioEl) => el.readyState >= 1 && Number.isFinite(el.duration)),
      'the audio metadata to load',
      60_000,
    );
    const duration = await audio.evaluate((el: AudioEl) => el.duration);
    expect(duration).toBeGreaterThan(1);
    await waitFor(() => ranges.some((r) => r.status === 206), 'a 206 answer to a Range request');
    expect(ranges.filter((r) => r.status === 206).every((r) => /^bytes=\d*-\d*$/.test(r.range ?? ''))).toBe(
      true,
    );
    expect(ranges.every((r) => r.status === 206 || r.status === 200)).toBe(true);

    // The redacted transcript: utterances with speakers and times, card numbers replaced.
    const utterances = page.getByRole('list', { name: 'Utterances' });
    await utterances.waitFor({ timeout: 30_000 });
    expect(await utterances.getByRole('listitem').count()).toBeGreaterThan(3);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toMatch(/redacted/i);
    for (const pan of ['4111111111111111', '4111 1111 1111 1111', '5555555555554444', '5555 5555 5555 4444'])
      expect(text).not.toContain(pan);

    // The timeline: an image with a text summary, the spans and markers as a list, seeking on click.
    const timeline = page.getByRole('img', { name: /Timeline of \d+:\d\d/ });
    await timeline.waitFor();
    expect(await timeline.getAttribute('aria-label')).toMatch(/pause\/resume marker/);
    const markersList = page.getByRole('list', { name: 'Redacted spans and pause/resume markers' });
    await markersList
      .getByText(/Paused at/)
      .first()
      .waitFor();
    const box = (await timeline.boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.5, box.y + box.height / 2);
    await waitFor(
      () => audio.evaluate((el: AudioEl) => el.currentTime > el.duration * 0.3),
      'the audio to seek where the timeline was clicked',
    );
    const playhead = page.getByTestId('playhead');
    const x = Number(await playhead.getAttribute('x1'));
    expect(x).toBeGreaterThan(300);
    expect(x).toBeLessThan(700);
    // Playing moves the playhead with the audio; a "Go to" button seeks from the keyboard.
    await markersList
      .getByRole('button', { name: /^Go to / })
      .first()
      .click();
    const before = await audio.evaluate((el: AudioEl) => el.currentTime);
    expect(before).toBeLessThan(duration * 0.5);
    await audio.evaluate((el: AudioEl) => el.play());
    await waitFor(
      () => audio.evaluate((el: AudioEl, t: number) => el.currentTime > t + 0.5, before),
      'the audio to play',
    );
    await audio.evaluate((el: AudioEl) => el.pause());
    const moved = Number(await playhead.getAttribute('x1'));
    expect(moved).toBeGreaterThan((before / duration) * 1000);
    await expectNoSeriousA11yViolations(page, 'recording-player');
    await saveScreenshot(page, 'recording-player');

    // Another team's recording, opened by its id: the API's refusal, no data.
    const other = south[0]!;
    await page.goto(`${server.url}/recordings/${other.id}`);
    const refusal = page.getByRole('alert');
    await refusal.waitFor({ timeout: 30_000 });
    expect(await refusal.textContent()).toMatch(/refused|not found|no such/i);
    expect(await page.getByText(other.callId).count()).toBe(0);
    expect(await page.getByTestId('recording-audio').count()).toBe(0);
    await saveScreenshot(page, 'recording-refused');
  });
});

describe('investigation cases', () => {
  it('a compliance officer sees the demo case, opens a case, links a recording, places and releases a hold, and closes it', async () => {
    const officer = demoUser(server, 'compliance_officer');
    const page = await newPage(browser);
    await signIn(page, server.url, officer);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Investigation cases' })
      .click();
    await page.getByRole('heading', { name: 'Investigation cases', level: 1 }).waitFor();
    const demoCase = page.getByRole('link', { name: /DEMO — synthetic data: chargeback dispute/ });
    await demoCase.waitFor({ timeout: 30_000 });
    const rows = await tableRows(page, 'Investigation cases');
    const demoRow = rows.find((r) => r[0]?.startsWith('DEMO'))!;
    expect(demoRow[1]).toBe('open');
    expect(demoRow[2]).toBe('you');
    await expectNoSeriousA11yViolations(page, 'cases');
    await saveScreenshot(page, 'cases');

    // The demo case's recordings are the officer's to play and download (compliance-case-recordings).
    await demoCase.click();
    await page.getByRole('heading', { name: 'Linked recordings' }).waitFor();
    const linked = page.getByRole('table', { name: 'Recordings linked to this case' }).getByRole('link');
    await waitFor(async () => (await linked.count()) >= 2, 'the demo case recordings');
    await linked.first().click();
    await page.getByRole('heading', { name: /^Recording DEMO-/ }).waitFor();
    await page.getByRole('button', { name: 'Download recording' }).waitFor();
    await page.getByRole('button', { name: 'Place legal hold' }).waitFor();
    await expectNoSeriousA11yViolations(page, 'recording-detail-compliance');

    // Open a new case assigned to themselves.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Investigation cases' })
      .click();
    const title = `E2E dispute ref ${Date.now()}`;
    await page.getByLabel('Title', { exact: true }).fill(title);
    await page.getByRole('button', { name: 'Open case', exact: true }).click();
    await page.getByRole('heading', { name: title, level: 1 }).waitFor({ timeout: 30_000 });

    // Link a recording by its id (one the demo case does not hold).
    const toLink = north.find((r) => r.cases.length === 0) ?? south[0]!;
    await page.getByLabel('Recording ids', { exact: true }).fill(toLink.id);
    await page.getByLabel('Purpose of the link', { exact: true }).fill('dispute review, ticket 4711');
    await page.getByRole('button', { name: 'Link recordings' }).click();
    await page.getByText('Recording linked.').waitFor({ timeout: 30_000 });
    await page
      .getByRole('table', { name: 'Recordings linked to this case' })
      .getByRole('link', { name: toLink.callId })
      .waitFor({ timeout: 30_000 });

    // The recording is now reachable through the officer's case: link it to the demo case too,
    // with the recording page's own "Link to case" action.
    await page
      .getByRole('table', { name: 'Recordings linked to this case' })
      .getByRole('link', { name: toLink.callId })
      .click();
    await page.getByRole('heading', { name: 'Link to an investigation case' }).waitFor({ timeout: 30_000 });
    await page.getByLabel('Case', { exact: true }).selectOption({ label: DEMO_CASE });
    await page
      .getByLabel('Purpose of the link', { exact: true })
      .fill('same customer as the chargeback dispute');
    await page.getByRole('button', { name: 'Link to case', exact: true }).click();
    await page.getByText('Linked to the case.').waitFor({ timeout: 30_000 });
    await waitFor(
      async () => (await page.getByRole('link', { name: /^case [0-9a-f]{8}$/ }).count()) === 2,
      'both cases on the recording',
    );
    await page.goBack();
    await page.getByRole('heading', { name: title, level: 1 }).waitFor({ timeout: 30_000 });

    // A legal hold on the whole case, then its release.
    await page.getByLabel('Reason for a new legal hold', { exact: true }).fill('litigation hold, matter 99');
    await page.getByRole('button', { name: 'Place legal hold' }).click();
    await page.getByText('Legal hold placed.').waitFor({ timeout: 30_000 });
    const holds = page.getByRole('table', { name: /Legal holds on this case/ });
    await holds.getByText('Active').waitFor();
    await holds.getByRole('button', { name: 'Release…' }).click();
    await page.getByLabel('Reason for release', { exact: true }).fill('matter settled');
    await page.getByRole('button', { name: 'Release hold' }).click();
    await page.getByText('Legal hold released.').waitFor({ timeout: 30_000 });
    await holds.getByText(/^Released /).waitFor();
    await expectNoSeriousA11yViolations(page, 'case-detail');
    await saveScreenshot(page, 'case-detail');

    // Close, with a confirmation step.
    await page.getByRole('button', { name: 'Close case…' }).click();
    await page.getByRole('button', { name: 'Yes, close the case' }).click();
    await page.getByText(/This case is closed/).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('button', { name: 'Link recordings' }).count()).toBe(0);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Investigation cases' })
      .click();
    await waitFor(async () => {
      const row = (await tableRows(page, 'Investigation cases')).find((r) => r[0] === title);
      return row?.[1] === 'closed';
    }, 'the closed case in the list');
  });
});
