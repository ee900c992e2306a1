import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltUser, buildSignedInUser, type SignedIn, uniqueName } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

type Who = BuiltUser & SignedIn;

let h: Harness;
let tenantId: string;
let offerer: Who; // agent, Team A
let claimant: Who; // agent, Team A
let racer: Who; // agent, Team A
let busy: Who; // agent, Team A, own shift overlapping S1
let away: Who; // agent, Team A, absent on S1's day
let otherTeam: Who; // agent, Team B
let supAgent: Who; // agent and supervisor, Team A
let supA: Who;
let supB: Who;
let manager: Who;
let itAdmin: Who;
let exec: Who;

const OFFERER_NAME = 'Olive Canary-Offerer';
const OFFERER_AGENT_ID = 'AGT-OLIVE-7731';
const CLAIMANT_NAME = 'Ben Canary-Claimant';
const CLAIMANT_AGENT_ID = 'AGT-BEN-4410';
const NOTE = 'NOTE-CANARY dentist appointment';

const HOUR = 3_600_000;
/** Shift starts, fixed at setup from the test clock. */
let day: number;
const at = (hours: number) => new Date(day + hours * HOUR).toISOString();
const sched: Record<string, string> = {};

const post = (who: Who, url: string, payload?: object) =>
  h.app.inject({ method: 'POST', url, headers: who.auth, ...(payload ? { payload } : {}) });
const list = (who: Who) => h.app.inject({ method: 'GET', url: '/v1/wfm/swaps', headers: who.auth });
const offer = (who: Who, key: string, note?: string) =>
  post(who, '/v1/wfm/swaps', { scheduleId: sched[key], ...(note ? { note } : {}) });

async function importCsv(kind: string, body: string) {
  const res = await h.app.inject({
    method: 'POST',
    url: `/v1/wfm/imports?kind=${kind}`,
    headers: { ...manager.auth, 'content-type': 'text/csv' },
    payload: body,
  });
  expect(res.statusCode, res.body).toBe(200);
}

async function wfmIdsOf(agentId: string) {
  const a = await h.ctx.database.db
    .selectFrom('wfm_agents')
    .select(['id', 'user_id'])
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', agentId)
    .executeTakeFirstOrThrow();
  return { ref: a.id, userId: a.user_id! };
}

/** Every way the offering agent could be named. */
async function offererIdentity(): Promise<string[]> {
  const ids = await wfmIdsOf(OFFERER_AGENT_ID);
  return [OFFERER_NAME, 'Olive', OFFERER_AGENT_ID, offerer.user.username, ids.userId, ids.ref];
}

function expectNone(body: string, canaries: readonly string[]) {
  for (const c of canaries) expect(body, `must not contain ${c}`).not.toContain(c);
}

beforeAll(async () => {
  h = await createHarness({
    // The expiry test moves the clock by hours; keep the test sessions alive across it.
    BULWARK_SESSION_IDLE_SECONDS: String(24 * 3600),
    BULWARK_SESSION_MAX_SECONDS: String(48 * 3600),
  });
  tenantId = (await h.ctx.tenants.ensureDefault()).id;
  const agent = (team: string, roles: Array<'agent' | 'supervisor'> = ['agent']) =>
    buildSignedInUser(h, { roles, teams: [team], username: uniqueName('swap') });
  offerer = await agent('Team A');
  claimant = await agent('Team A');
  racer = await agent('Team A');
  busy = await agent('Team A');
  away = await agent('Team A');
  otherTeam = await agent('Team B');
  supAgent = await agent('Team A', ['agent', 'supervisor']);
  supA = await buildSignedInUser(h, { roles: ['supervisor'], teams: ['Team A'] });
  supB = await buildSignedInUser(h, { roles: ['supervisor'], teams: ['Team B'] });
  manager = await buildSignedInUser(h, { roles: ['wfm_manager'] });
  itAdmin = await buildSignedInUser(h, { roles: ['it_admin'] });
  exec = await buildSignedInUser(h, { roles: ['executive'] });

  const now = h.clock.now().getTime();
  // Midnight UTC two days ahead: every shift below is in the future until the expiry test.
  day = Math.floor(now / (24 * HOUR)) * 24 * HOUR + 2 * 24 * HOUR;
  await importCsv(
    'agents',
    [
      'agent_id,username,name,team,site,region,home_address',
      `${OFFERER_AGENT_ID},${offerer.user.username},${OFFERER_NAME},Team A,Leeds,eu,`,
      `${CLAIMANT_AGENT_ID},${claimant.user.username},${CLAIMANT_NAME},Team A,Leeds,eu,`,
      `AGT-RITA,${racer.user.username},Rita Racer,Team A,Leeds,eu,`,
      `AGT-BUSY,${busy.user.username},Bea Busy,Team A,Leeds,eu,`,
      `AGT-AWAY,${away.user.username},Amy Away,Team A,Leeds,eu,`,
      `AGT-CARL,${otherTeam.user.username},Carl Other,Team B,York,eu,`,
      `AGT-SUPA,${supAgent.user.username},Sam Both,Team A,Leeds,eu,`,
      '',
    ].join('\n'),
  );
  const soon = new Date(now + HOUR).toISOString();
  const soonEnd = new Date(now + 3 * HOUR).toISOString();
  await importCsv(
    'schedules',
    [
      'agent_id,start,end,activity',
      `${OFFERER_AGENT_ID},${at(8)},${at(12)},phone`,
      `${OFFERER_AGENT_ID},${at(32)},${at(36)},chat`,
      `${OFFERER_AGENT_ID},${at(56)},${at(60)},email`,
      `${OFFERER_AGENT_ID},${at(80)},${at(84)},phone`,
      `${OFFERER_AGENT_ID},${soon},${soonEnd},phone`,
      `${CLAIMANT_AGENT_ID},${at(38)},${at(42)},phone`,
      `AGT-BUSY,${at(10)},${at(14)},phone`,
      `AGT-SUPA,${at(100)},${at(104)},phone`,
      '',
    ].join('\n'),
  );
  await importCsv(
    'absences',
    [
      'agent_id,start_date,end_date,reason_code',
      `AGT-AWAY,${at(0).slice(0, 10)},${at(0).slice(0, 10)},sick`,
      '',
    ].join('\n'),
  );
  const rows = await h.ctx.database.db
    .selectFrom('wfm_schedules as s')
    .innerJoin('wfm_agents as a', 'a.id', 's.agent_ref')
    .select(['s.id', 's.starts_at', 'a.agent_id'])
    .where('s.tenant_id', '=', tenantId)
    .execute();
  const key = (agentId: string, start: string) =>
    rows.find((r) => r.agent_id === agentId && new Date(r.starts_at).toISOString() === start)!.id;
  sched.S1 = key(OFFERER_AGENT_ID, at(8));
  sched.S2 = key(OFFERER_AGENT_ID, at(32));
  sched.S3 = key(OFFERER_AGENT_ID, at(56));
  sched.S4 = key(OFFERER_AGENT_ID, at(80));
  sched.S5 = key(OFFERER_AGENT_ID, soon);
  sched.SUPA = key('AGT-SUPA', at(100));
});
afterAll(async () => h?.close());

const offers: Record<string, string> = {};

describe('offering a shift', () => {
  it('an agent offers their own future shift; the offer id is opaque and the note is theirs', async () => {
    const res = await offer(offerer, 'S1', NOTE);
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      role: 'offerer',
      status: 'open',
      scheduleId: sched.S1,
      note: NOTE,
      claimed: false,
      start: at(8),
      end: at(12),
      activity: 'phone',
      team: { name: 'Team A' },
    });
    expect(body.id).not.toBe(sched.S1);
    offers.S1 = body.id;
    const again = await offer(offerer, 'S1');
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toContain('already offered');
  });

  it("refuses offering someone else's shift, and it_admin and executives", async () => {
    for (const who of [claimant, supA, manager, itAdmin, exec]) {
      const res = await offer(who, 'S2');
      expect(res.statusCode, res.body).toBe(403);
      expectNone(res.body, await offererIdentity());
    }
    const denied = await h.ctx.database.db
      .selectFrom('audit_events')
      .select('body')
      .where('tenant_id', '=', tenantId)
      .where('action', '=', 'authz.swap.offer')
      .where('outcome', '=', 'deny')
      .execute();
    expect(denied.length).toBe(5);
    expect(
      denied.some((e) => JSON.parse(e.body).policies.includes('it-admin-no-employee-data-or-content')),
    ).toBe(true);
    expect(denied.some((e) => JSON.parse(e.body).policies.includes('executive-no-individual-records'))).toBe(
      true,
    );
    const unknown = await post(offerer, '/v1/wfm/swaps', {
      scheduleId: '00000000-0000-4000-8000-000000000000',
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
  });
});

describe('what other agents see', () => {
  it("a teammate sees time, team and activity, never the offering agent's identity, note or row", async () => {
    const res = await list(claimant);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.available).toEqual([
      {
        id: offers.S1,
        team: { id: expect.any(String), name: 'Team A' },
        start: at(8),
        end: at(12),
        activity: 'phone',
        status: 'open',
      },
    ]);
    expect(body.toDecide).toEqual([]);
    expectNone(res.body, [...(await offererIdentity()), NOTE, 'NOTE-CANARY', sched.S1!]);
  });

  it('another team sees no offer; the offerer sees their own under mine, not available', async () => {
    expect((await list(otherTeam)).json()).toEqual({ available: [], mine: [], toDecide: [] });
    const own = (await list(offerer)).json();
    expect(own.available).toEqual([]);
    expect(own.mine).toHaveLength(1);
    expect(own.mine[0]).toMatchObject({ id: offers.S1, role: 'offerer', note: NOTE });
    // Nothing is claimed yet: nothing to decide for the supervisor.
    expect((await list(supA)).json().toDecide).toEqual([]);
  });

  it('it_admin and executives are refused the marketplace', async () => {
    for (const who of [itAdmin, exec]) {
      const res = await list(who);
      expect(res.statusCode).toBe(403);
      expectNone(res.body, [...(await offererIdentity()), NOTE]);
    }
  });
});

describe('claiming', () => {
  it('refuses one’s own offer, another team, an overlapping shift and an absence (reason never shown)', async () => {
    const own = await post(offerer, `/v1/wfm/swaps/${offers.S1}/claim`);
    expect(own.statusCode).toBe(409);
    expect(own.json().detail).toBe('You cannot claim your own offer.');
    const team = await post(otherTeam, `/v1/wfm/swaps/${offers.S1}/claim`);
    expect(team.statusCode).toBe(403);
    const overlap = await post(busy, `/v1/wfm/swaps/${offers.S1}/claim`);
    expect(overlap.statusCode).toBe(409);
    expect(overlap.json().detail).toContain(`overlaps your shift ${at(10)} to ${at(14)}`);
    const absent = await post(away, `/v1/wfm/swaps/${offers.S1}/claim`);
    expect(absent.statusCode).toBe(409);
    expect(absent.json().detail).toContain('overlaps your absence');
    expect(absent.body).not.toContain('sick');
    for (const r of [own, team, overlap, absent]) expectNone(r.body, [OFFERER_NAME, OFFERER_AGENT_ID, NOTE]);
    const swap = await h.ctx.database.db
      .selectFrom('wfm_shift_swaps')
      .select(['status', 'claimed_by_user'])
      .where('id', '=', offers.S1!)
      .executeTakeFirstOrThrow();
    expect(swap).toEqual({ status: 'open', claimed_by_user: null });
    for (const bad of ['not-an-id', '00000000-0000-4000-8000-000000000000']) {
      const res = await post(claimant, `/v1/wfm/swaps/${bad}/claim`);
      expect(res.statusCode).toBe(404);
    }
  });

  it('a teammate claims; neither side learns the other from the responses', async () => {
    const res = await post(claimant, `/v1/wfm/swaps/${offers.S1}/claim`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      id: offers.S1,
      role: 'claimant',
      status: 'claimed',
      note: null,
      scheduleId: null,
    });
    expectNone(res.body, [...(await offererIdentity()), NOTE, sched.S1!]);
    const mine = await list(claimant);
    expectNone(mine.body, [...(await offererIdentity()), NOTE, sched.S1!]);
    expect(mine.json().mine).toHaveLength(1);
    expect(mine.json().available).toEqual([]);
    const ids = await wfmIdsOf(CLAIMANT_AGENT_ID);
    const offererView = await list(offerer);
    expect(offererView.json().mine[0]).toMatchObject({ status: 'claimed', claimed: true });
    expectNone(offererView.body, [
      CLAIMANT_NAME,
      CLAIMANT_AGENT_ID,
      claimant.user.username,
      ids.userId,
      ids.ref,
    ]);
    const second = await post(racer, `/v1/wfm/swaps/${offers.S1}/claim`);
    expect(second.statusCode).toBe(409);
    expect(second.json().detail).toContain('already been claimed');
    expectNone(second.body, [CLAIMANT_NAME, claimant.user.username, ids.userId]);
  });

  it('two claims at once: exactly one wins (conditional update)', async () => {
    const o = await offer(offerer, 'S2');
    expect(o.statusCode, o.body).toBe(201);
    offers.S2 = o.json().id;
    const results = await Promise.all([
      post(racer, `/v1/wfm/swaps/${offers.S2}/claim`),
      post(claimant, `/v1/wfm/swaps/${offers.S2}/claim`),
    ]);
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes, results.map((r) => r.body).join('\n')).toEqual([200, 409]);
    const winner = results[0]!.statusCode === 200 ? racer : claimant;
    const row = await h.ctx.database.db
      .selectFrom('wfm_shift_swaps')
      .select(['status', 'claimed_by_user'])
      .where('id', '=', offers.S2!)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'claimed', claimed_by_user: winner.user.id });
    const claims = await h.ctx.database.db
      .selectFrom('audit_events')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('action', '=', 'wfm.swap.claim')
      .where('resource_id', '=', offers.S2!)
      .execute();
    expect(claims).toHaveLength(1);
  });
});

describe('deciding', () => {
  it('the supervisor of the team sees both people; other supervisors, agents, it_admin and executives are refused', async () => {
    const pending = await list(supA);
    const item = pending.json().toDecide.find((x: { id: string }) => x.id === offers.S1);
    expect(item).toMatchObject({
      scheduleId: sched.S1,
      note: NOTE,
      status: 'claimed',
      offeredBy: { agentId: OFFERER_AGENT_ID, name: OFFERER_NAME, userId: offerer.user.id },
      claimedBy: { agentId: CLAIMANT_AGENT_ID, name: CLAIMANT_NAME, userId: claimant.user.id },
    });
    expect((await list(supB)).json().toDecide).toEqual([]);
    for (const who of [supB, claimant, offerer, itAdmin, exec]) {
      const res = await post(who, `/v1/wfm/swaps/${offers.S1}/approve`);
      expect(res.statusCode, res.body).toBe(403);
      expectNone(res.body, [OFFERER_NAME, CLAIMANT_NAME]);
    }
    const row = await h.ctx.database.db
      .selectFrom('wfm_schedules')
      .select('agent_ref')
      .where('id', '=', sched.S1!)
      .executeTakeFirstOrThrow();
    expect(row.agent_ref).toBe((await wfmIdsOf(OFFERER_AGENT_ID)).ref);
  });

  it('approval moves the schedule row to the claimant in one transaction with its audit event', async () => {
    const res = await post(supA, `/v1/wfm/swaps/${offers.S1}/approve`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'approved', decidedAt: expect.any(String) });
    const claimantIds = await wfmIdsOf(CLAIMANT_AGENT_ID);
    const row = await h.ctx.database.db
      .selectFrom('wfm_schedules')
      .select(['agent_ref', 'starts_at', 'ends_at', 'team_id'])
      .where('id', '=', sched.S1!)
      .executeTakeFirstOrThrow();
    expect(row.agent_ref).toBe(claimantIds.ref);
    expect(new Date(row.starts_at).toISOString()).toBe(at(8));
    // The claimant now sees the shift as their own; the offerer no longer does.
    const theirs = await h.app.inject({
      method: 'GET',
      url: `/v1/wfm/schedules?from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(24))}`,
      headers: claimant.auth,
    });
    expect(theirs.json().items.map((i: { id: string }) => i.id)).toContain(sched.S1);
    const gone = await h.app.inject({
      method: 'GET',
      url: `/v1/wfm/schedules?from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(24))}`,
      headers: offerer.auth,
    });
    expect(gone.json().items.map((i: { id: string }) => i.id)).not.toContain(sched.S1);
    const events = await h.ctx.database.db
      .selectFrom('audit_events')
      .select(['action', 'body'])
      .where('tenant_id', '=', tenantId)
      .where('resource_id', '=', offers.S1!)
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['wfm.swap.offer', 'wfm.swap.claim', 'authz.swap.approve', 'wfm.swap.approve']),
    );
    const approved = JSON.parse(events.find((e) => e.action === 'wfm.swap.approve')!.body);
    expect(approved.details).toMatchObject({
      schedule: sched.S1,
      to_agent: claimantIds.ref,
      to_user: claimant.user.id,
      from_user: offerer.user.id,
    });
    for (const e of events) expectNone(e.body, [OFFERER_NAME, CLAIMANT_NAME, NOTE]);
    // Decided once: a second decision is a conflict.
    const again = await post(supA, `/v1/wfm/swaps/${offers.S1}/reject`);
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toContain('it was approved');
  });

  it('nobody decides a swap they are part of (offered: Cedar guardrail; claimed: the service)', async () => {
    const own = await post(supAgent, '/v1/wfm/swaps', { scheduleId: sched.SUPA });
    expect(own.statusCode, own.body).toBe(201);
    const selfApprove = await post(supAgent, `/v1/wfm/swaps/${own.json().id}/approve`);
    expect(selfApprove.statusCode).toBe(403);
    const deny = await h.ctx.database.db
      .selectFrom('audit_events')
      .select('body')
      .where('action', '=', 'authz.swap.approve')
      .where('resource_id', '=', own.json().id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(deny.body).policies).toEqual(['no-self-swap-approval']);
    const o = await offer(offerer, 'S3');
    offers.S3 = o.json().id;
    expect((await post(supAgent, `/v1/wfm/swaps/${offers.S3}/claim`)).statusCode).toBe(200);
    const claimedSelf = await post(supAgent, `/v1/wfm/swaps/${offers.S3}/approve`);
    expect(claimedSelf.statusCode).toBe(403);
    expect(claimedSelf.json().detail).toContain('part of');
    // …and does not see it among the swaps to decide.
    expect((await list(supAgent)).json().toDecide.map((x: { id: string }) => x.id)).not.toContain(offers.S3);
    const rejected = await post(manager, `/v1/wfm/swaps/${offers.S3}/reject`);
    expect(rejected.statusCode, rejected.body).toBe(200);
    expect(rejected.json().status).toBe('rejected');
    const row = await h.ctx.database.db
      .selectFrom('wfm_schedules')
      .select('agent_ref')
      .where('id', '=', sched.S3!)
      .executeTakeFirstOrThrow();
    expect(row.agent_ref).toBe((await wfmIdsOf(OFFERER_AGENT_ID)).ref);
  });
});

describe('withdrawing and expiry', () => {
  it('only the offerer withdraws, before the decision; a withdrawn offer cannot be claimed or approved', async () => {
    const o = await offer(offerer, 'S4');
    offers.S4 = o.json().id;
    expect((await post(claimant, `/v1/wfm/swaps/${offers.S4}/withdraw`)).statusCode).toBe(403);
    expect((await post(supA, `/v1/wfm/swaps/${offers.S4}/withdraw`)).statusCode).toBe(403);
    const w = await post(offerer, `/v1/wfm/swaps/${offers.S4}/withdraw`);
    expect(w.statusCode, w.body).toBe(200);
    expect(w.json().status).toBe('withdrawn');
    const late = await post(claimant, `/v1/wfm/swaps/${offers.S4}/claim`);
    expect(late.statusCode).toBe(409);
    expect(late.json().detail).toContain('withdrawn');
    // The claimed S2 offer can be withdrawn too; then it cannot be approved.
    expect((await post(offerer, `/v1/wfm/swaps/${offers.S2}/withdraw`)).statusCode).toBe(200);
    expect((await post(supA, `/v1/wfm/swaps/${offers.S2}/approve`)).statusCode).toBe(409);
    // The shift can be offered again, once, even when two offers race.
    const twice = await Promise.all([offer(offerer, 'S4'), offer(offerer, 'S4')]);
    expect(twice.map((r) => r.statusCode).sort()).toEqual([201, 409]);
  });

  it('an offer expires when the shift starts: not listed, not claimable, not approvable', async () => {
    const o = await offer(offerer, 'S5');
    expect(o.statusCode, o.body).toBe(201);
    offers.S5 = o.json().id;
    expect((await list(claimant)).json().available.map((x: { id: string }) => x.id)).toContain(offers.S5);
    h.clock.advance(2 * 3_600_000);
    expect((await list(claimant)).json().available.map((x: { id: string }) => x.id)).not.toContain(offers.S5);
    const late = await post(claimant, `/v1/wfm/swaps/${offers.S5}/claim`);
    expect(late.statusCode).toBe(409);
    expect(late.json().detail).toContain('expired');
    expect((await post(supA, `/v1/wfm/swaps/${offers.S5}/reject`)).statusCode).toBe(409);
    expect((await post(offerer, `/v1/wfm/swaps/${offers.S5}/withdraw`)).statusCode).toBe(409);
    const mine = (await list(offerer)).json().mine.find((x: { id: string }) => x.id === offers.S5);
    expect(mine.status).toBe('expired');
    const started = await offer(offerer, 'S5');
    expect(started.statusCode).toBe(409);
    expect(started.json().detail).toContain('already started');
  });

  it('no log line names the offering agent', () => {
    expectNone(h.logs.join('\n'), [OFFERER_NAME, CLAIMANT_NAME, NOTE]);
  });
});
