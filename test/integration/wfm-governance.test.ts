import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthzContext, PrincipalSlice } from '../../src/modules/access/authorizer.ts';
import type { Role } from '../../src/modules/access/roles.ts';
import { type BuiltUser, buildSignedInUser, type SignedIn, systemActor } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

type Who = BuiltUser & SignedIn;
const DAY = 86_400_000;
const NOW = new Date('2026-12-01T12:00:00Z');
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
const LEAVER_CANARY = 'Zed Canaryleaver';
const HOME_CANARY = 'CANARY-HOME-LEAVER-51';

let h: Harness;
let tenantId: string;
let manager: Who;
let managerUs: Who;
let compliance: Who;
let itAdmin: Who;
let exec: Who;
let security: Who;
let supervisor: Who;
let agentE1: Who;

const get = (who: Who, url: string) => h.app.inject({ method: 'GET', url, headers: who.auth });
const send = (who: Who, method: 'PUT' | 'POST' | 'DELETE', url: string, payload?: object) =>
  h.app.inject({ method, url, headers: who.auth, ...(payload ? { payload } : {}) });
const importCsv = (who: Who, kind: string, body: string) =>
  h.app.inject({
    method: 'POST',
    url: `/v1/wfm/imports?kind=${kind}`,
    headers: { ...who.auth, 'content-type': 'text/csv' },
    payload: body,
  });
const db = () => h.ctx.database.db;
const auditBodies = async (action: string) =>
  (
    await db()
      .selectFrom('audit_events')
      .select('body')
      .where('tenant_id', '=', tenantId)
      .where('action', '=', action)
      .orderBy('id')
      .execute()
  ).map((e) => JSON.parse(e.body));
const countEvents = async (before?: Date) =>
  Number(
    (
      await db()
        .selectFrom('wfm_adherence_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('tenant_id', '=', tenantId)
        .$if(before !== undefined, (q) => q.where('occurred_at', '<', before!))
        .executeTakeFirstOrThrow()
    ).n,
  );
/** Every interval as "agent time state seconds", sorted. */
const intervalSnapshot = async () =>
  (
    await db()
      .selectFrom('wfm_adherence_intervals as i')
      .innerJoin('wfm_agents as a', 'a.id', 'i.agent_ref')
      .select(['a.id', 'i.interval_start', 'i.state', 'i.seconds'])
      .where('i.tenant_id', '=', tenantId)
      .execute()
  )
    .map((r) => `${r.id} ${new Date(r.interval_start).toISOString()} ${r.state} ${Number(r.seconds)}`)
    .sort();

/**
 * The report's daily roll-up equals a recomputation from the intervals (per agent, UTC day, state),
 * and is not empty.
 */
async function expectRollupEqualsIntervals() {
  const recomputed = await sql<{ agent_ref: string; day: string; state: string; seconds: number }>`
    select agent_ref, cast(interval_start at time zone 'UTC' as date)::text as day, state,
           sum(seconds)::float8 as seconds
    from wfm_adherence_intervals where tenant_id = ${tenantId} group by 1, 2, 3`.execute(db());
  const rollup = await sql<{ agent_ref: string; day: string; state: string; seconds: number }>`
    select agent_ref, day::text as day, state, seconds::float8 as seconds
    from wfm_adherence_daily where tenant_id = ${tenantId}`.execute(db());
  const lines = (rows: Array<{ agent_ref: string; day: string; state: string; seconds: number }>) =>
    rows.map((r) => `${r.agent_ref} ${r.day} ${r.state} ${Number(r.seconds).toFixed(3)}`).sort();
  expect(rollup.rows.length).toBeGreaterThan(0);
  expect(lines(rollup.rows)).toEqual(lines(recomputed.rows));
}

beforeAll(async () => {
  h = await createHarness();
  h.clock.set(NOW);
  tenantId = (await h.ctx.tenants.ensureDefault()).id;
  manager = await buildSignedInUser(h, { roles: ['wfm_manager'], region: 'eu' });
  managerUs = await buildSignedInUser(h, { roles: ['wfm_manager'], region: 'us' });
  compliance = await buildSignedInUser(h, { roles: ['compliance_officer'] });
  itAdmin = await buildSignedInUser(h, { roles: ['it_admin'] });
  exec = await buildSignedInUser(h, { roles: ['executive'] });
  security = await buildSignedInUser(h, { roles: ['security_analyst'], region: 'eu' });
  supervisor = await buildSignedInUser(h, { roles: ['supervisor'], teams: ['Team A'] });
  agentE1 = await buildSignedInUser(h, { roles: ['agent'], teams: ['Team A'] });
  h.clock.set(NOW);
  const agents = [
    'agent_id,username,name,team,site,region,home_address,status,left_at',
    `E1,${agentE1.user.username},Eve One,Team A,Leeds,eu,,,`,
    'E2,,Eve Two,Team A,Leeds,eu,,,',
    'U1,,Uma Us,Team B,Austin,us,,,',
    ...[1, 2, 3, 4].map((i) => `P${i},,Person ${i},Team R,North,eu,,,`),
    `P5,,${LEAVER_CANARY},Team R,North,eu,"9 Quiet Lane ${HOME_CANARY}",left,${at(-100 * DAY)}`,
    '',
  ].join('\n');
  expect((await importCsv(manager, 'agents', agents)).statusCode).toBe(200);
  const cutoff = new Date(NOW.getTime() - 7 * DAY); // 2026-11-24T12:00Z, on a 15-minute boundary
  const adherence = [
    'agent_id,timestamp,state',
    // E1: a shift 40 days ago, one 10 days ago, one 2 days ago.
    ...[-40, -10, -2].flatMap((d) => [
      `E1,${at(d * DAY - 4 * 3600_000)},logged_in`,
      `E1,${at(d * DAY - 4 * 3600_000 + 10 * 60_000)},on_call`,
      `E1,${at(d * DAY - 4 * 3600_000 + 40 * 60_000)},logged_out`,
    ]),
    // E2: available across the raw-event cut-off, logged out after it.
    `E2,${new Date(cutoff.getTime() - 20 * 60_000).toISOString()},available`,
    `E2,${new Date(cutoff.getTime() + 10 * 60_000).toISOString()},logged_out`,
    // U1 (us): present in the presence window below.
    `U1,${at(-30 * 60_000)},logged_in`,
    `U1,${at(-10 * 60_000)},logged_out`,
    // E2 also in the presence window.
    `E2,${at(-50 * 60_000)},logged_in`,
    `E2,${at(-5 * 60_000)},logged_out`,
    '',
  ].join('\n');
  const res = await importCsv(manager, 'adherence', adherence);
  expect(res.statusCode, res.body).toBe(200);
  const absences = [
    'agent_id,start_date,end_date,reason_code',
    ...[1, 2, 3, 4, 5].map((i) => `P${i},2026-10-05,2026-10-06,vacation`),
    'U1,2026-10-05,2026-10-06,sick',
    '',
  ].join('\n');
  expect((await importCsv(manager, 'absences', absences)).statusCode).toBe(200);
  const schedules = [
    'agent_id,start,end,activity',
    `E1,${at(-DAY)},${at(-DAY + 8 * 3600_000)},phone`,
    `U1,${at(-DAY)},${at(-DAY + 8 * 3600_000)},phone`,
    '',
  ].join('\n');
  expect((await importCsv(manager, 'schedules', schedules)).statusCode).toBe(200);
});
afterAll(async () => h?.close());

describe('WFM retention settings', () => {
  it('privacy-protective defaults; wfm_manager changes them; compliance and it_admin read only; others refused', async () => {
    const res = await get(manager, '/v1/wfm/retention');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      rawEventDays: 7,
      intervalDays: 730,
      leaverDays: 90,
      captureRawEvents: true,
      defaults: true,
    });
    for (const who of [compliance, itAdmin])
      expect((await get(who, '/v1/wfm/retention')).statusCode).toBe(200);
    for (const who of [exec, supervisor, agentE1, security])
      expect((await get(who, '/v1/wfm/retention')).statusCode).toBe(403);
    for (const who of [itAdmin, compliance, supervisor])
      expect((await send(who, 'PUT', '/v1/wfm/retention', { leaverDays: 30 })).statusCode).toBe(403);
    const bad = await send(manager, 'PUT', '/v1/wfm/retention', { rawEventDays: 0 });
    expect(bad.statusCode).toBe(422);
    const same = await send(manager, 'PUT', '/v1/wfm/retention', { leaverDays: 90 });
    expect(same.statusCode, same.body).toBe(200);
    expect(same.json()).toMatchObject({ leaverDays: 90, defaults: false, updatedBy: manager.user.id });
    const [event] = await auditBodies('wfm.retention.set');
    expect(event.details).toMatchObject({ leaver_days: 90, previous_leaver_days: 90, raw_event_days: 7 });
  });
});

describe('WFM retention run', () => {
  const cutoff = new Date(NOW.getTime() - 7 * DAY);
  const report = async () =>
    (await get(manager, '/v1/wfm/reports/absence?groupBy=team&month=2026-10'))
      .json()
      .cells.find((c: { group: string }) => c.group === 'Team R');

  it("the adherence report's daily roll-up equals the intervals after imports", async () => {
    await expectRollupEqualsIntervals();
  });

  it('a dry run reports what it would do and changes nothing (audited as a dry run)', async () => {
    const events = await countEvents();
    const intervals = await intervalSnapshot();
    const r = await h.ctx.wfmRetention.run(systemActor(tenantId), { dryRun: true });
    expect(r.dryRun).toBe(true);
    expect(r.cutoffs.rawEvents).toBe(cutoff.toISOString());
    expect(r.rawEvents.removed).toBe(7); // E1's two old shifts (6) and E2's state before the cut-off
    expect(r.leavers.pseudonymised).toBe(1);
    expect(await countEvents()).toBe(events);
    expect(await intervalSnapshot()).toEqual(intervals);
    const p5 = await db()
      .selectFrom('wfm_agents')
      .select(['name'])
      .where('agent_id', '=', 'P5')
      .executeTakeFirst();
    expect(p5?.name).toBe(LEAVER_CANARY);
    const [evidence] = await auditBodies('wfm.retention.run');
    expect(evidence.details).toMatchObject({
      dry_run: true,
      raw_events_removed: 7,
      leavers_pseudonymised: 1,
    });
  });

  it('rolls raw events up before removing them: intervals unchanged, reports still count the leaver', async () => {
    const before = await intervalSnapshot();
    const reportBefore = await report();
    expect(reportBefore).toMatchObject({ suppressed: false, agents: 5, value: 10 });
    const r = await h.ctx.wfmRetention.run(systemActor(tenantId));
    expect(r).toMatchObject({
      dryRun: false,
      settings: { rawEventDays: 7, intervalDays: 730, leaverDays: 90, captureRawEvents: true },
      rawEvents: { agentsRolledUp: 2, boundaryEvents: 1, removed: 7 },
      leavers: { pseudonymised: 1 },
    });
    expect(await countEvents(cutoff)).toBe(0);
    expect(await countEvents()).toBeGreaterThan(0); // the last 7 days stay
    // Every interval is still there with the same seconds (E2's state across the cut-off included).
    expect(await intervalSnapshot()).toEqual(before);
    await expectRollupEqualsIntervals();
    expect(await report()).toEqual(reportBefore);
    // The leaver: pseudonym instead of name and id, no user link, home address destroyed.
    const p5 = await db()
      .selectFrom('wfm_agents')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('pseudonymised_at', 'is not', null)
      .executeTakeFirstOrThrow();
    expect(p5.agent_id).toMatch(/^former-[0-9a-f]{16}$/);
    expect(p5.name).toBe(p5.agent_id);
    expect(p5.home_address_enc).toBeNull();
    expect(p5.user_id).toBeNull();
    const list = await get(manager, '/v1/wfm/absences?limit=200');
    expect(list.body).not.toContain(LEAVER_CANARY);
    expect(list.body).toContain(p5.agent_id);
    const evidence = (await auditBodies('wfm.retention.run')).at(-1);
    expect(evidence.details).toMatchObject({
      dry_run: false,
      raw_events_cutoff: cutoff.toISOString(),
      intervals_cutoff: new Date(NOW.getTime() - 730 * DAY).toISOString(),
      leavers_cutoff: new Date(NOW.getTime() - 90 * DAY).toISOString(),
      raw_events_removed: 7,
      leavers_pseudonymised: 1,
      raw_event_days: 7,
      channel: 'system',
    });
    const all = await db()
      .selectFrom('audit_events')
      .select('body')
      .where('tenant_id', '=', tenantId)
      .execute();
    for (const e of all) {
      expect(e.body).not.toContain(LEAVER_CANARY);
      expect(e.body).not.toContain(HOME_CANARY);
    }
    for (const line of h.logs) expect(line).not.toContain(LEAVER_CANARY);
  });

  it('refuses to re-create a pseudonymised leaver, and raw events older than what was removed', async () => {
    const again = await importCsv(
      manager,
      'agents',
      `agent_id,name,team,region\nP5,${LEAVER_CANARY},Team R,eu\n`,
    );
    expect(again.statusCode).toBe(422);
    expect(again.json().detail).toContain(
      'agents.csv line 2, column agent_id: this agent left and was pseudonymised',
    );
    expect(again.body).not.toContain(LEAVER_CANARY);
    const old = await importCsv(
      manager,
      'adherence',
      `agent_id,timestamp,state\nE1,${at(-9 * DAY)},logged_in\n`,
    );
    expect(old.statusCode).toBe(422);
    expect(old.json().detail).toContain('adherence.csv line 2, column timestamp: before');
  });

  it('a leaver recorded with `agents leave` is pseudonymised only after the leaver retention', async () => {
    await h.ctx.wfmRetention.leave(systemActor(tenantId), 'E2', new Date(NOW.getTime() - 10 * DAY));
    // A later agents file without a leaving date keeps the recorded one.
    expect(
      (await importCsv(manager, 'agents', 'agent_id,name,team,site,region\nE2,Eve Two,Team A,Leeds,eu\n'))
        .statusCode,
    ).toBe(200);
    expect((await h.ctx.wfmRetention.run(systemActor(tenantId))).leavers.pseudonymised).toBe(0);
    h.clock.set(new Date(NOW.getTime() + 81 * DAY));
    try {
      const r = await h.ctx.wfmRetention.run(systemActor(tenantId), { dryRun: true });
      expect(r.leavers.pseudonymised).toBe(1);
    } finally {
      h.clock.set(NOW);
    }
    const [leave] = await auditBodies('wfm.agent.leave');
    expect(JSON.stringify(leave)).not.toContain('Eve');
  });

  it('removes intervals past their retention only', async () => {
    expect((await send(manager, 'PUT', '/v1/wfm/retention', { intervalDays: 30 })).statusCode).toBe(200);
    const old = (await intervalSnapshot()).length;
    const r = await h.ctx.wfmRetention.run(systemActor(tenantId));
    // E1's shift 40 days ago: 08:00 logged_in and on_call, 08:15 and 08:30 on_call.
    expect(r.intervals.removed).toBe(4);
    expect((await intervalSnapshot()).length).toBe(old - r.intervals.removed);
    // The roll-up lost that day too, and the day holding the cut-off (12:00) was recomputed.
    await expectRollupEqualsIntervals();
    expect((await send(manager, 'PUT', '/v1/wfm/retention', { intervalDays: 730 })).statusCode).toBe(200);
  });

  it('with per-second capture off, an adherence import keeps only 15-minute intervals', async () => {
    const set = await send(manager, 'PUT', '/v1/wfm/retention', { captureRawEvents: false });
    expect(set.json()).toMatchObject({ captureRawEvents: false });
    const day = at(-DAY).slice(0, 10);
    const csv = [
      'agent_id,timestamp,state',
      `E1,${day}T14:00:00Z,logged_in`,
      `E1,${day}T14:05:00Z,on_call`,
      `E1,${day}T14:25:00Z,logged_out`,
      '',
    ].join('\n');
    expect((await importCsv(manager, 'adherence', csv)).statusCode).toBe(200);
    const e1 = await db()
      .selectFrom('wfm_agents')
      .select('id')
      .where('agent_id', '=', 'E1')
      .executeTakeFirstOrThrow();
    const raw = await db()
      .selectFrom('wfm_adherence_events')
      .select('id')
      .where('agent_ref', '=', e1.id)
      .execute();
    expect(raw).toEqual([]);
    const intervals = await get(
      agentE1,
      `/v1/wfm/adherence?view=intervals&from=${day}T14:00:00Z&to=${day}T15:00:00Z`,
    );
    const seconds = Object.fromEntries(
      intervals
        .json()
        .items.map((i: { intervalStart: string; state: string; seconds: number }) => [
          `${i.intervalStart.slice(11, 16)} ${i.state}`,
          i.seconds,
        ]),
    );
    expect(seconds).toEqual({ '14:00 logged_in': 300, '14:00 on_call': 600, '14:15 on_call': 600 });
    // The next run removes whatever raw events are left, after rolling them up.
    const before = await intervalSnapshot();
    const r = await h.ctx.wfmRetention.run(systemActor(tenantId));
    expect(r.cutoffs.rawEvents).toBeNull();
    expect(await countEvents()).toBe(0);
    expect(await intervalSnapshot()).toEqual(before);
    await expectRollupEqualsIntervals();
    expect((await send(manager, 'PUT', '/v1/wfm/retention', { captureRawEvents: true })).statusCode).toBe(
      200,
    );
  });
});

describe('cross-border transfers', () => {
  const schedulesOf = async (who: Who, q = '') => (await get(who, `/v1/wfm/schedules?limit=200${q}`)).json();

  it('an eu reader sees us rows only after allow us->eu; naming a us agent is refused until then', async () => {
    const before = await schedulesOf(manager);
    expect(before.items.map((i: { agentId: string }) => i.agentId)).toEqual(['E1']);
    expect(before.withheld).toEqual({ us: 1 });
    const named = await get(manager, '/v1/wfm/schedules?agent=U1');
    expect(named.statusCode).toBe(403);
    expect(named.json()).toMatchObject({ code: 'TRANSFER_NOT_PERMITTED' });
    expect(named.json().detail).toContain('region us');
    expect(named.body).not.toContain('Uma');
    const abs = (await get(manager, '/v1/wfm/absences?limit=200&purpose=review')).json();
    expect(abs.withheld).toEqual({ us: 1 });
    expect(abs.items.some((i: { agentId: string }) => i.agentId === 'U1')).toBe(false);
    // The us reader sees us rows, and none of eu.
    const us = await schedulesOf(managerUs);
    expect(us.items.map((i: { agentId: string }) => i.agentId)).toEqual(['U1']);
    expect(us.withheld).toEqual({ eu: 1 });
    const denied = await auditBodies('wfm.transfer.read');
    expect(denied).toEqual([
      expect.objectContaining({
        outcome: 'deny',
        details: expect.objectContaining({ from: 'us', to: 'eu' }),
      }),
    ]);
  });

  it('compliance_officer records mechanisms; it_admin may only list them; wfm roles neither', async () => {
    const body = { from: 'us', to: 'eu', mechanism: 'scc', reference: 'SCC module 1, DPA-2026-04' };
    for (const who of [itAdmin, manager, security, exec])
      expect((await send(who, 'POST', '/v1/transfers', body)).statusCode).toBe(403);
    for (const who of [manager, exec, agentE1])
      expect((await get(who, '/v1/transfers')).statusCode).toBe(403);
    const created = await send(compliance, 'POST', '/v1/transfers', body);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ from: 'us', to: 'eu', mechanism: 'scc', revokedAt: null });
    expect((await send(compliance, 'POST', '/v1/transfers', body)).statusCode).toBe(409);
    const bad = await send(compliance, 'POST', '/v1/transfers', { from: 'us', to: 'us', mechanism: 'bcr' });
    expect(bad.statusCode).toBe(422);
    const listed = await get(itAdmin, '/v1/transfers');
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items).toEqual([expect.objectContaining({ id: created.json().id })]);
    const [allow] = await auditBodies('transfer.allow');
    expect(allow.details).toMatchObject({ from: 'us', to: 'eu', mechanism: 'scc' });
  });

  it('after allow, the eu reader gets us rows, and each such read is audited with from, to, mechanism and count', async () => {
    const after = await schedulesOf(manager);
    expect(after.items.map((i: { agentId: string }) => i.agentId).sort()).toEqual(['E1', 'U1']);
    expect(after.withheld).toEqual({});
    expect((await get(manager, '/v1/wfm/schedules?agent=U1')).statusCode).toBe(200);
    const abs = (await get(manager, '/v1/wfm/absences?limit=200&purpose=return-to-work%20review')).json();
    expect(abs.items.find((i: { agentId: string }) => i.agentId === 'U1')).toMatchObject({
      reasonCode: 'sick',
    });
    // Not the other way round: eu -> us has no mechanism.
    expect((await schedulesOf(managerUs)).withheld).toEqual({ eu: 1 });
    const reads = (await auditBodies('wfm.transfer.read')).filter((e) => e.outcome === 'allow');
    expect(reads.length).toBeGreaterThanOrEqual(3);
    expect(reads[0]).toMatchObject({
      actor: expect.objectContaining({ user: manager.user.id }),
      details: expect.objectContaining({
        kind: 'schedules',
        from: 'us',
        to: 'eu',
        mechanism: 'scc',
        rows: 1,
      }),
    });
  });

  it('SQL scope equals Cedar per row across regions (eu and us readers, with and without a mechanism)', async () => {
    const teamA = agentE1.user.teams[0]!.id;
    const principals: Array<[string, PrincipalSlice]> = [];
    const add = (
      name: string,
      roles: Role[],
      region: string,
      teams: string[] = [],
      id: string = randomUUID(),
    ) => principals.push([name, { id, tenantId, region, roles, teams, cases: [] }]);
    add('manager eu', ['wfm_manager'], 'eu');
    add('manager us', ['wfm_manager'], 'us');
    add('manager uk', ['wfm_manager'], 'uk');
    add('analyst eu', ['wfm_analyst'], 'eu');
    add('analyst us', ['wfm_analyst'], 'us');
    add('supervisor A us', ['supervisor'], 'us', [teamA]);
    add('agent E1 eu', ['agent'], 'eu', [teamA], agentE1.user.id);
    add('agent E1 us', ['agent'], 'us', [teamA], agentE1.user.id);
    const context: AuthzContext = {
      mfaAgeSeconds: 0,
      sessionAgeSeconds: 0,
      devicePosture: 'unknown',
      aggregate: false,
      purpose: 'review',
    };
    let compared = 0;
    for (const kind of ['schedules', 'absences', 'intervals'] as const) {
      const resources = await h.ctx.wfm.resourcesOf(kind, tenantId);
      expect(new Set(resources.map((r) => ('region' in r ? r.region : ''))).size, kind).toBe(2);
      for (const [name, p] of principals) {
        const page =
          kind === 'schedules'
            ? await h.ctx.wfm.listSchedules(p, { limit: 200 })
            : kind === 'intervals'
              ? await h.ctx.wfm.listIntervals(p, { limit: 200 })
              : await h.ctx.wfm.listAbsences(
                  { ...systemActor(tenantId), userId: p.id, roles: p.roles },
                  p,
                  { limit: 200 },
                  context,
                );
        expect(page.nextCursor).toBeNull();
        const listed = new Set(page.items.map((i) => i.id));
        const pt = {
          ...p,
          transferFrom: (await h.ctx.transfers.sourcesFor(tenantId, p.region)).map((s) => s.from),
        };
        let withheld = 0;
        for (const r of resources) {
          const id = 'id' in r ? r.id : '';
          const allowed = h.ctx.authorizer.authorize(pt, 'data.read', r, context).allowed;
          expect(listed.has(id), `${name} ${kind} ${id}`).toBe(allowed);
          const inScopeIgnoringRegion = h.ctx.authorizer.authorize(
            { ...pt, region: 'region' in r ? r.region : '' },
            'data.read',
            r,
            context,
          ).allowed;
          if (inScopeIgnoringRegion && !allowed) withheld += 1;
          compared++;
        }
        const total = Object.values(page.withheld).reduce((a, b) => a + b, 0);
        expect(total, `${name} ${kind} withheld`).toBe(withheld);
        // Walking one row per page: each page counts the withheld rows of its stretch of the order
        // (ADR 0016), so the walk lists the same rows and its counts add up to the same total.
        const walked = new Set<string>();
        let walkedWithheld = 0;
        let cursor: string | undefined;
        do {
          const f = { limit: 1, cursor };
          const onePage =
            kind === 'schedules'
              ? await h.ctx.wfm.listSchedules(p, f)
              : kind === 'intervals'
                ? await h.ctx.wfm.listIntervals(p, f)
                : await h.ctx.wfm.listAbsences(
                    { ...systemActor(tenantId), userId: p.id, roles: p.roles },
                    p,
                    f,
                    context,
                  );
          for (const i of onePage.items) walked.add(i.id);
          walkedWithheld += Object.values(onePage.withheld).reduce((a, b) => a + b, 0);
          cursor = onePage.nextCursor ?? undefined;
        } while (cursor);
        expect(walked, `${name} ${kind} walk`).toEqual(listed);
        expect(walkedWithheld, `${name} ${kind} withheld over the walk`).toBe(withheld);
      }
    }
    expect(compared).toBeGreaterThan(50);
  });

  it('revoking takes effect on the next read, and is audited', async () => {
    const [m] = (await get(compliance, '/v1/transfers')).json().items;
    const revoked = await send(compliance, 'DELETE', `/v1/transfers/${m.id}`);
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();
    expect((await schedulesOf(manager)).withheld).toEqual({ us: 1 });
    expect((await get(manager, '/v1/wfm/schedules?agent=U1')).statusCode).toBe(403);
    expect((await send(compliance, 'DELETE', `/v1/transfers/${m.id}`)).statusCode).toBe(404);
    const [rev] = await auditBodies('transfer.revoke');
    expect(rev.details).toMatchObject({ from: 'us', to: 'eu', mechanism: 'scc' });
    expect((await get(compliance, '/v1/transfers?includeRevoked=true')).json().items).toHaveLength(1);
  });
});

describe('presence for incident support', () => {
  const window = `from=${encodeURIComponent(at(-3600_000))}&to=${encodeURIComponent(at(3600_000))}`;

  it('lists agents seen in sessions and adherence, by team and site; audited with window and count', async () => {
    const res = await get(security, `/v1/wfm/presence?${window}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    // E1 signed in (session of the linked user); E2 from adherence; U1 (us) withheld without a mechanism.
    expect(
      body.items.map((i: { agentId: string; sources: string[] }) => `${i.agentId}:${i.sources.join('+')}`),
    ).toEqual(['E1:session', 'E2:adherence']);
    // The retention runs above already rolled every raw event up (capture off): presence then comes
    // from the 15-minute intervals (E2 was logged in 11:10-11:55, seen in 11:00-12:00).
    expect(await countEvents()).toBe(0);
    expect(body.items[1]).toMatchObject({
      team: expect.objectContaining({ name: 'Team A' }),
      site: 'Leeds',
      firstSeen: at(-3600_000),
      lastSeen: at(0),
    });
    expect(body.groups).toEqual([{ team: 'Team A', site: 'Leeds', agents: 2 }]);
    expect(body.withheld).toEqual({ us: 1 });
    const events = await auditBodies('wfm.presence.read');
    expect(events.at(-1)).toMatchObject({
      actor: expect.objectContaining({ user: security.user.id }),
      details: expect.objectContaining({ from: at(-3600_000), to: at(3600_000), agents: 2, withheld: 1 }),
    });
    const team = (await get(manager, `/v1/wfm/presence?${window}&team=Team%20B`)).json();
    expect(team.items).toEqual([]);
    expect(team.withheld).toEqual({ us: 1 });
    expect((await get(manager, `/v1/wfm/presence?${window}&site=Leeds`)).json().items).toHaveLength(2);
    // Raw events (captured again) give first and last seen to the second.
    const csv = `agent_id,timestamp,state\nE2,${at(30 * 60_000)},logged_in\nE2,${at(41 * 60_000)},break\nE2,${at(70 * 60_000)},logged_out\n`;
    expect((await importCsv(manager, 'adherence', csv)).statusCode).toBe(200);
    const later = (
      await get(
        security,
        `/v1/wfm/presence?from=${encodeURIComponent(at(20 * 60_000))}&to=${encodeURIComponent(at(2 * 3600_000))}`,
      )
    ).json();
    expect(later.items).toEqual([
      expect.objectContaining({
        agentId: 'E2',
        firstSeen: at(30 * 60_000),
        lastSeen: at(70 * 60_000),
        sources: ['adherence'],
      }),
    ]);
  });

  it('agents of another region appear under a transfer mechanism', async () => {
    await h.ctx.transfers.allow(systemActor(tenantId), { from: 'us', to: 'eu', mechanism: 'adequacy' });
    const body = (await get(security, `/v1/wfm/presence?${window}`)).json();
    expect(body.items.map((i: { agentId: string }) => i.agentId)).toEqual(['E1', 'E2', 'U1']);
    const reads = (await auditBodies('wfm.transfer.read')).filter((e) => e.details.kind === 'presence');
    expect(reads.at(-1)).toMatchObject({
      details: expect.objectContaining({ from: 'us', mechanism: 'adequacy', rows: 1 }),
    });
    await h.ctx.transfers.revoke(systemActor(tenantId), { from: 'us', to: 'eu' });
  });

  it('refuses it_admin, executives, supervisors and agents (also with another role), and bad windows', async () => {
    for (const who of [itAdmin, exec, supervisor, agentE1, compliance])
      expect((await get(who, `/v1/wfm/presence?${window}`)).statusCode).toBe(403);
    const both = await buildSignedInUser(h, { roles: ['it_admin', 'security_analyst'] });
    expect((await get(both, `/v1/wfm/presence?${window}`)).statusCode).toBe(403);
    const denied = await auditBodies('authz.wfm.presence.read');
    expect(denied.some((e) => e.policies.includes('it-admin-no-employee-data-or-content'))).toBe(true);
    expect(denied.some((e) => e.policies.includes('executive-no-individual-records'))).toBe(true);
    const backwards = await get(
      security,
      `/v1/wfm/presence?from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(-1))}`,
    );
    expect(backwards.statusCode).toBe(422);
    const long = await get(security, '/v1/wfm/presence?from=2026-01-01&to=2026-03-01');
    expect(long.statusCode).toBe(422);
  });
});
