import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.ts';
import { dueDateOf } from '../../src/modules/gdpr/dsar.service.ts';
import { EXPORT_CATEGORIES, EXPORT_COLUMNS } from '../../src/modules/gdpr/dsar-export.ts';
import { PROCESSING_CATEGORIES } from '../../src/modules/gdpr/processing-record.ts';
import { type BuiltUser, buildSignedInUser, type SignedIn } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

type Who = BuiltUser & SignedIn;

let h: Harness;
let tenantId: string;
let agentA: Who;
let agentC: Who;
let compliance: Who;
let itAdmin: Who;
let supervisor: Who;
let manager: Who;

const NAME_A = 'Alice <script>alert(1)</script> "Q", =HYPERLINK';
const HOME_A = 'CANARY-HOME-A 1 Row';
const NAME_C = 'CANARY-NAME-C Cole';
const SWAP_NOTE_A = 'own swap note of A';
const SWAP_NOTE_C = 'SWAPNOTE-CANARY-C';
const HOME_C = 'CANARY-HOME-C 2 Street';
const CALL_C = 'CANARY-CALL-C';
const CALL_A = 'call-a-001';

const get = (who: Who, url: string) => h.app.inject({ method: 'GET', url, headers: who.auth });
const send = (who: Who, method: 'POST' | 'PUT' | 'PATCH', url: string, payload?: Record<string, unknown>) =>
  h.app.inject({ method, url, headers: who.auth, ...(payload === undefined ? {} : { payload }) });
const importCsv = (kind: string, body: string) =>
  h.app.inject({
    method: 'POST',
    url: `/v1/wfm/imports?kind=${kind}`,
    headers: { ...manager.auth, 'content-type': 'text/csv' },
    payload: body,
  });

async function auditOf(action: string) {
  await h.ctx.audit.sequenceAll();
  const rows = await h.ctx.database.db
    .selectFrom('audit_events')
    .select('body')
    .where('tenant_id', '=', tenantId)
    .where('action', '=', action)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ raw: r.body, ...JSON.parse(r.body) }));
}

async function plantRecording(agent: Who, callId: string, token: string) {
  const team = await h.ctx.database.db
    .selectFrom('teams')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  await h.ctx.database.db
    .insertInto('recordings')
    .values({
      id: newId(),
      tenant_id: tenantId,
      call_id: callId,
      kind: 'audio',
      agent_user_id: agent.user.id,
      agent: agent.user.username,
      team_id: team.id,
      region: 'eu',
      customer_ref_token: token,
      started_at: new Date('2026-11-23T09:00:00Z'),
      content_type: 'audio/wav',
      blob_key: `blob-${callId}`,
      plaintext_bytes: 10,
      ciphertext_bytes: 30,
    })
    .execute();
}

beforeAll(async () => {
  h = await createHarness();
  tenantId = (await h.ctx.tenants.ensureDefault()).id;
  agentA = await buildSignedInUser(h, { roles: ['agent'], teams: ['Team A'] });
  agentC = await buildSignedInUser(h, { roles: ['agent'], teams: ['Team B'] });
  compliance = await buildSignedInUser(h, { roles: ['compliance_officer'] });
  itAdmin = await buildSignedInUser(h, { roles: ['it_admin'] });
  supervisor = await buildSignedInUser(h, { roles: ['supervisor'], teams: ['Team A'] });
  manager = await buildSignedInUser(h, { roles: ['wfm_manager'] });
  const q = (v: string) => `"${v.replace(/"/g, '""')}"`;
  const imports: Array<[string, string]> = [
    [
      'agents',
      [
        'agent_id,username,name,team,site,region,home_address',
        `A1,${agentA.user.username},${q(NAME_A)},Team A,Leeds,eu,${q(HOME_A)}`,
        `A3,${agentC.user.username},${NAME_C},Team B,York,eu,${q(HOME_C)}`,
        'A9,,Nina Nouser,Team B,York,eu,',
        '',
      ].join('\n'),
    ],
    [
      'schedules',
      'agent_id,start,end,activity\nA1,2026-11-23T08:00:00Z,2026-11-23T12:00:00Z,phone\nA1,2026-11-24T08:00:00Z,2026-11-24T12:00:00Z,chat\nA3,2026-11-23T08:00:00Z,2026-11-23T12:00:00Z,email\nA9,2026-11-23T08:00:00Z,2026-11-23T09:00:00Z,phone\n',
    ],
    [
      'adherence',
      'agent_id,timestamp,state\nA1,2026-11-23T08:00:00Z,logged_in\nA1,2026-11-23T08:20:00Z,on_call\nA1,2026-11-23T08:40:00Z,logged_out\nA3,2026-11-23T08:00:00Z,logged_in\nA3,2026-11-23T08:30:00Z,logged_out\n',
    ],
    [
      'absences',
      'agent_id,start_date,end_date,reason_code\nA1,2026-11-10,2026-11-12,sick\nA3,2026-11-02,2026-11-02,family_leave\n',
    ],
    [
      'performance',
      'agent_id,period_start,metric,value\nA1,2026-11-01,aht_seconds,312.5\nA3,2026-11-01,aht_seconds,287.25\n',
    ],
  ];
  for (const [kind, body] of imports) {
    const res = await importCsv(kind, body);
    expect(res.statusCode, res.body).toBe(200);
  }
  await plantRecording(agentA, CALL_A, 'tok_4111_a');
  await plantRecording(agentC, CALL_C, 'tok_CANARY_C');
  await plantSwaps();
});

/**
 * Two shift swaps between A1 (agentA) and A3 (agentC), planted as stored rows: A1's offer claimed by
 * A3 (A1's own note), and A3's offer claimed by A1 (A3's note, a canary).
 */
async function plantSwaps() {
  const db = h.ctx.database.db;
  const agents = await db
    .selectFrom('wfm_agents')
    .select(['id', 'agent_id', 'user_id', 'team_id', 'region'])
    .where('tenant_id', '=', tenantId)
    .where('agent_id', 'in', ['A1', 'A3'])
    .execute();
  const a1 = agents.find((a) => a.agent_id === 'A1')!;
  const a3 = agents.find((a) => a.agent_id === 'A3')!;
  const scheduleOf = async (ref: string) =>
    db
      .selectFrom('wfm_schedules')
      .select(['id', 'starts_at', 'ends_at', 'activity'])
      .where('agent_ref', '=', ref)
      .orderBy('starts_at')
      .executeTakeFirstOrThrow();
  const now = new Date();
  for (const [offerer, claimant, note] of [
    [a1, a3, SWAP_NOTE_A],
    [a3, a1, SWAP_NOTE_C],
  ] as const) {
    const s = await scheduleOf(offerer.id);
    await db
      .insertInto('wfm_shift_swaps')
      .values({
        id: newId(),
        tenant_id: tenantId,
        schedule_id: s.id,
        team_id: offerer.team_id,
        region: offerer.region,
        starts_at: s.starts_at,
        ends_at: s.ends_at,
        activity: s.activity,
        offered_by_agent: offerer.id,
        offered_by_user: offerer.user_id!,
        note,
        status: 'claimed',
        claimed_by_agent: claimant.id,
        claimed_by_user: claimant.user_id!,
        claimed_at: now,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }
}
afterAll(async () => h?.close());

/** Everything secret about a user that must never appear in an export. */
async function secretsOf(who: Who): Promise<string[]> {
  const db = h.ctx.database.db;
  const u = await db
    .selectFrom('users')
    .select(['password_hash', 'totp_secret_enc'])
    .where('id', '=', who.user.id)
    .executeTakeFirstOrThrow();
  const sessions = await db
    .selectFrom('sessions')
    .select('secret_hash')
    .where('user_id', '=', who.user.id)
    .execute();
  const codes = await db
    .selectFrom('recovery_codes')
    .select('code_hash')
    .where('user_id', '=', who.user.id)
    .execute();
  return [
    who.password,
    u.password_hash,
    u.totp_secret_enc ?? 'no-totp',
    who.totpSecret,
    who.token,
    who.token.split('.')[1]!,
    ...who.recoveryCodes,
    ...sessions.map((s) => s.secret_hash),
    ...codes.map((c) => c.code_hash),
  ];
}

describe('access requests: deadline and status', () => {
  it('the due date is one calendar month after receipt (the month end when the day does not exist)', () => {
    expect(dueDateOf(new Date('2027-01-31T10:00:00Z')).toISOString()).toBe('2027-02-28T10:00:00.000Z');
    expect(dueDateOf(new Date('2028-01-31T10:00:00Z')).toISOString()).toBe('2028-02-29T10:00:00.000Z');
    expect(dueDateOf(new Date('2026-12-15T08:30:00Z')).toISOString()).toBe('2027-01-15T08:30:00.000Z');
    expect(dueDateOf(new Date('2026-03-31T00:00:00Z')).toISOString()).toBe('2026-04-30T00:00:00.000Z');
  });

  it('tracks a request against the deadline; overdue once the test clock passes it', async () => {
    const received = new Date(h.clock.now().getTime() - 3 * 86_400_000);
    const res = await send(compliance, 'POST', '/v1/dsar', {
      subject: { agentId: 'A9' },
      receivedAt: received.toISOString(),
      note: 'by post',
    });
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json();
    expect(r).toMatchObject({
      status: 'received',
      overdue: false,
      subject: { userId: null, agentIds: ['A9'] },
    });
    expect(r.dueAt).toBe(dueDateOf(received).toISOString());
    expect((await get(compliance, '/v1/dsar?overdue=true')).json().items).toEqual([]);

    // Past the due date (checked on the service: every session would have expired by then).
    const before = h.clock.now();
    h.clock.advance(29 * 86_400_000);
    try {
      const list = (await h.ctx.dsar.list(tenantId, {})).items;
      expect(list.find((x) => x.id === r.id)).toMatchObject({ overdue: true, status: 'received' });
      expect((await h.ctx.dsar.list(tenantId, { overdue: true })).items.map((x) => x.id)).toEqual([r.id]);
    } finally {
      h.clock.set(before);
    }
    const prog = await send(compliance, 'PATCH', `/v1/dsar/${r.id}`, { status: 'in_progress' });
    expect(prog.json()).toMatchObject({ status: 'in_progress', overdue: false });
    // An agent-only subject (no Bulwark user): identity and sessions are empty, WFM data is there.
    const done = await send(compliance, 'POST', `/v1/dsar/${r.id}/export`);
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ status: 'completed', overdue: false });
    expect(done.json().exportCounts).toMatchObject({ identity: 0, sessions: 0, wfm_agent: 1, schedules: 1 });
    const again = await send(compliance, 'PATCH', `/v1/dsar/${r.id}`, { status: 'rejected' });
    expect(again.statusCode).toBe(409);
  });

  it('a rejected request exports nothing; unknown subjects are 404 naming the field', async () => {
    const created = (
      await send(compliance, 'POST', '/v1/dsar', { subject: { username: agentC.user.username } })
    ).json();
    await send(compliance, 'PATCH', `/v1/dsar/${created.id}`, {
      status: 'rejected',
      note: 'identity not confirmed',
    });
    expect((await send(compliance, 'POST', `/v1/dsar/${created.id}/export`)).statusCode).toBe(409);
    expect((await get(compliance, `/v1/dsar/${created.id}/export`)).statusCode).toBe(409);
    const missing = await send(compliance, 'POST', '/v1/dsar', { subject: { username: 'nobody-here' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().detail ?? missing.body).toContain('subject.username');
  });
});

describe('access request export', () => {
  let requestId: string;
  let json: Record<string, unknown> & {
    categories: Record<string, Array<Record<string, unknown>>>;
    counts: Record<string, number>;
  };
  let body: string;

  beforeAll(async () => {
    const created = await send(compliance, 'POST', '/v1/dsar', {
      subject: { username: agentA.user.username },
    });
    expect(created.statusCode, created.body).toBe(201);
    requestId = created.json().id;
    // Before it is produced, the download is refused.
    expect((await get(compliance, `/v1/dsar/${requestId}/export`)).statusCode).toBe(409);
    const done = await send(compliance, 'POST', `/v1/dsar/${requestId}/export`);
    expect(done.statusCode, done.body).toBe(200);
    const res = await get(compliance, `/v1/dsar/${requestId}/export`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    body = res.body;
    json = res.json();
  });

  it("covers every category with the subject's planted data", () => {
    for (const c of EXPORT_CATEGORIES) {
      expect(json.categories[c]!.length, c).toBeGreaterThan(0);
      expect(json.counts[c], c).toBe(json.categories[c]!.length);
    }
    const identity = json.categories.identity![0]!;
    expect(identity).toMatchObject({ username: agentA.user.username, mfaEnrolled: true, teams: ['Team A'] });
    expect(json.categories.wfm_agent![0]).toMatchObject({ agentId: 'A1', name: NAME_A, homeAddress: HOME_A });
    expect(json.categories.absences![0]).toMatchObject({ reasonCode: 'sick', startDate: '2026-11-10' });
    expect(json.categories.schedules).toHaveLength(2);
    expect(json.categories.adherence_events).toHaveLength(3);
    expect(json.categories.performance![0]).toMatchObject({ metric: 'aht_seconds', value: 312.5 });
    expect(json.categories.recordings![0]).toMatchObject({ callId: CALL_A, customerRefToken: 'tok_4111_a' });
    // Shift swaps: their offer (with their own note) and their claim, their side only.
    const swaps = json.categories.shift_swaps!;
    expect(swaps.map((w) => [w.role, w.note, w.claimed])).toEqual([
      ['offerer', SWAP_NOTE_A, true],
      ['claimant', null, true],
    ]);
    expect(Object.keys(swaps[0]!).sort()).toEqual([...EXPORT_COLUMNS.shift_swaps].sort());
    expect(json.categories.sessions![0]!.sourceIp).toBeTruthy();
    const relations = new Set(json.categories.audit!.map((e) => e.relation));
    expect(relations.has('actor')).toBe(true);
    // The compliance officer's dsar.complete names agentA's account: it is listed, without the officer's IP.
    const bySomeoneElse = json.categories.audit!.filter((e) => e.relation === 'subject');
    expect(bySomeoneElse.some((e) => e.action === 'dsar.complete')).toBe(true);
    for (const e of bySomeoneElse) expect(e.actorIp).toBeNull();
  });

  it("holds none of another agent's data and no secret anywhere", async () => {
    for (const canary of [
      NAME_C,
      HOME_C,
      CALL_C,
      'tok_CANARY_C',
      'family_leave',
      '287.25',
      'Nina',
      SWAP_NOTE_C,
    ])
      expect(body).not.toContain(canary);
    // The counterparty of a swap is never named: not their agent id, user id or username.
    for (const id of ['"A3"', agentC.user.id, agentC.user.username]) expect(body).not.toContain(id);
    for (const secret of await secretsOf(agentA)) expect(body).not.toContain(secret);
    expect(body).not.toMatch(/password_?hash|totp_?secret|secret_hash|code_hash/i);
  });

  it('every export is audited with counts per category, never the data', async () => {
    const events = (await auditOf('dsar.export')).filter((e) => e.details.dsarRequest === requestId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: { user: compliance.user.id },
      resource: { type: 'UserAccount', id: agentA.user.id },
      details: { format: 'json', schedules: 2, absences: 1, wfm_agent: 1, channel: 'api' },
    });
    for (const e of await auditOf('dsar.export')) {
      expect(e.raw).not.toContain(HOME_A);
      expect(e.raw).not.toContain('Alice');
      expect(e.raw).not.toContain('sick');
    }
  });

  it('CSV per category escapes quotes, commas and spreadsheet formulas', async () => {
    const res = await get(compliance, `/v1/dsar/${requestId}/export?format=csv&category=wfm_agent`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const [header, row] = res.body.split('\r\n');
    expect(header).toBe('agentId,name,team,site,region,status,leftAt,homeAddress,createdAt,updatedAt');
    expect(row).toContain('"Alice <script>alert(1)</script> ""Q"", =HYPERLINK"');
    const perf = await get(compliance, `/v1/dsar/${requestId}/export?format=csv&category=performance`);
    expect(perf.body).toContain('A1,2026-11-01,aht_seconds,312.5,Team A,eu');
    const none = await get(compliance, `/v1/dsar/${requestId}/export?format=csv`);
    expect(none.statusCode).toBe(422);
    expect(none.body).toContain('category');
  });

  it('the HTML summary escapes every value (a planted <script> name stays text)', async () => {
    const res = await get(compliance, `/v1/dsar/${requestId}/export?format=html`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).not.toContain('<script>');
    expect(res.body).toContain('Alice &lt;script&gt;alert(1)&lt;/script&gt; &quot;Q&quot;');
    expect(res.body).toContain(HOME_A);
    expect(res.body).not.toContain(HOME_C);
    for (const secret of await secretsOf(agentA)) expect(res.body).not.toContain(secret);
  });

  it('it_admin, supervisors and agents may not manage requests: 403 and an audited deny', async () => {
    const attempts: Array<[Who, 'GET' | 'POST', string, string[]]> = [
      [itAdmin, 'POST', '/v1/dsar', ['it-admin-no-employee-data-or-content']],
      [itAdmin, 'GET', `/v1/dsar/${requestId}/export`, ['it-admin-no-employee-data-or-content']],
      [supervisor, 'GET', '/v1/dsar', []],
      [agentC, 'GET', `/v1/dsar/${requestId}/export`, []],
      [agentA, 'POST', `/v1/dsar/${requestId}/export`, []],
    ];
    for (const [who, method, url, policies] of attempts) {
      const res =
        method === 'GET'
          ? await get(who, url)
          : await send(
              who,
              method,
              url,
              url === '/v1/dsar' ? { subject: { username: agentA.user.username } } : undefined,
            );
      expect(res.statusCode, `${who.user.username} ${url}`).toBe(403);
      expect(res.body).not.toContain(HOME_A);
      const denies = (await auditOf('authz.dsar.manage')).filter(
        (e) => e.actor.user === who.user.id && e.outcome === 'deny',
      );
      expect(denies.length).toBeGreaterThan(0);
      expect(denies[denies.length - 1].policies).toEqual(policies);
    }
  });
});

describe('self-service export and transparency', () => {
  it("an agent exports their own data and nobody else's, audited as a self export", async () => {
    const res = await get(agentC, '/v1/me/data-export');
    expect(res.statusCode, res.body).toBe(200);
    const doc = res.json();
    expect(doc.subject).toMatchObject({ userId: agentC.user.id, agentIds: ['A3'] });
    expect(res.body).toContain(HOME_C);
    expect(res.body).toContain('family_leave');
    for (const canary of [HOME_A, 'Alice', CALL_A, 'sick']) expect(res.body).not.toContain(canary);
    for (const secret of await secretsOf(agentC)) expect(res.body).not.toContain(secret);
    const events = (await auditOf('dsar.export')).filter((e) => e.details.self === true);
    expect(events.at(-1)).toMatchObject({
      actor: { user: agentC.user.id },
      resource: { id: agentC.user.id },
    });
    const html = await get(agentC, '/v1/me/data-export?format=html');
    expect(html.statusCode).toBe(200);
    expect(html.body).toContain('Kept for');
    const csv = await get(agentC, '/v1/me/data-export?format=csv&category=absences');
    expect(csv.body.split('\r\n')[1]).toContain('family_leave');
  });

  it('the data summary shows any signed-in person their categories, counts and retention', async () => {
    const res = await get(agentA, '/v1/me/data-summary');
    expect(res.statusCode, res.body).toBe(200);
    const cats = new Map(res.json().categories.map((c: { category: string }) => [c.category, c]));
    expect(cats.get('absences')).toMatchObject({ held: true, rows: 1, specialCategory: true });
    expect(cats.get('home_address')).toMatchObject({ held: true, rows: 1 });
    expect(cats.get('adherence_events')).toMatchObject({ rows: 3 });
    expect((cats.get('adherence_events') as { retention: string }).retention).toMatch(/7 days/);
    expect(cats.get('recordings_metadata')).toMatchObject({ rows: 1 });
    expect(res.body).not.toContain(HOME_A);
    const it = await get(itAdmin, '/v1/me/data-summary');
    expect(it.statusCode).toBe(200);
    expect(
      new Map(it.json().categories.map((c: { category: string; rows: number }) => [c.category, c.rows])).get(
        'schedules',
      ),
    ).toBe(0);
  });
});

describe('record of processing activities', () => {
  it('lists every category with purpose, basis and retention from configuration; CSV too', async () => {
    const res = await get(compliance, '/v1/processing-record');
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items;
    expect(items.map((i: { category: string }) => i.category)).toEqual([...PROCESSING_CATEGORIES]);
    const sessions = items.find((i: { category: string }) => i.category === 'sessions');
    expect(sessions.retention).toContain('15 minute(s) idle');
    expect(items.find((i: { category: string }) => i.category === 'absences').specialCategory).toBe(true);
    const csv = await get(compliance, '/v1/processing-record?format=csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n')[0]).toContain('category,title,data,purpose,lawfulBasis');
    expect((await get(agentA, '/v1/processing-record')).statusCode).toBe(403);
    expect((await get(itAdmin, '/v1/processing-record')).statusCode).toBe(200);
  });

  it('states the WFM retention the tenant configured, not the defaults', async () => {
    const before = await get(compliance, '/v1/processing-record');
    const events = () =>
      get(compliance, '/v1/processing-record').then(
        (r) => r.json().items.find((i: { category: string }) => i.category === 'adherence_events').retention,
      );
    expect(before.statusCode).toBe(200);
    expect(await events()).toMatch(/7 days/);
    const set = await send(manager, 'PUT', '/v1/wfm/retention', { rawEventDays: 14 });
    expect(set.statusCode, set.body).toBe(200);
    expect(await events()).toMatch(/14 days/);
    await send(manager, 'PUT', '/v1/wfm/retention', { captureRawEvents: false });
    expect(await events()).toMatch(/not captured/);
    await send(manager, 'PUT', '/v1/wfm/retention', { rawEventDays: 7, captureRawEvents: true });
  });

  it('compliance edits purpose and recipients (audited); others may not', async () => {
    const res = await send(compliance, 'PUT', '/v1/processing-record/performance', {
      purpose: 'Coaching only',
      recipients: 'Team supervisors',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      purpose: 'Coaching only',
      recipients: 'Team supervisors',
      customized: true,
    });
    const events = await auditOf('processing.update');
    expect(events.at(-1)).toMatchObject({
      resource: { type: 'ProcessingRecord', id: 'performance' },
      details: { fields: 'purpose,recipients' },
    });
    for (const who of [itAdmin, manager, agentA]) {
      const denied = await send(who, 'PUT', '/v1/processing-record/performance', { purpose: 'x' });
      expect(denied.statusCode).toBe(403);
    }
    expect((await send(compliance, 'PUT', '/v1/processing-record/performance', {})).statusCode).toBe(422);
    const summary = (await get(agentA, '/v1/me/data-summary')).json();
    expect(summary.categories.find((c: { category: string }) => c.category === 'performance').purpose).toBe(
      'Coaching only',
    );
  });
});
