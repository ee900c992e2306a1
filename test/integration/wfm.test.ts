import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthzContext, PrincipalSlice } from '../../src/modules/access/authorizer.ts';
import type { Role } from '../../src/modules/access/roles.ts';
import { homeAddressAad, type WfmListKind } from '../../src/modules/wfm/wfm.service.ts';
import { type BuiltUser, buildSignedInUser, buildUser, type SignedIn } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

type Who = BuiltUser & SignedIn;

let h: Harness;
let tenantId: string;
let agentA: Who;
let agentC: Who;
let supA: Who;
let analyst: Who;
let manager: Who;
let itAdmin: Who;
let exec: Who;
let agentB: BuiltUser;

const HOME_CANARY = 'CANARY-HOME-7d1e';
const ENDPOINTS = ['schedules', 'adherence', 'absences', 'performance'] as const;

const importCsv = (who: Who, kind: string, body: string, file?: string) =>
  h.app.inject({
    method: 'POST',
    url: `/v1/wfm/imports?kind=${kind}${file ? `&file=${encodeURIComponent(file)}` : ''}`,
    headers: { ...who.auth, 'content-type': 'text/csv' },
    payload: body,
  });

const get = (who: Who, path: string) => h.app.inject({ method: 'GET', url: path, headers: who.auth });

async function listAll(who: Who, endpoint: string, query = ''): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  do {
    const res = await get(
      who,
      `/v1/wfm/${endpoint}?limit=200${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    items.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return items;
}

const count = async (table: 'wfm_schedules' | 'wfm_absences' | 'wfm_agents' | 'wfm_adherence_events') =>
  Number(
    (
      await h.ctx.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow()
    ).n,
  );

let agentsCsv: string;
const schedulesCsv = [
  'agent_id,start,end,activity',
  'A1,2026-11-23T08:00:00Z,2026-11-23T12:00:00Z,phone',
  'A1,2026-11-23T12:30:00Z,2026-11-23T16:30:00Z,phone',
  'A2,2026-11-23T09:00:00Z,2026-11-23T17:00:00Z,chat',
  'A3,2026-11-23T10:00:00+01:00,2026-11-23T18:00:00+01:00,phone',
  'A4,2026-11-24T08:00:00Z,2026-11-24T16:00:00Z,email',
  '',
].join('\n');
const adherenceCsv = [
  'agent_id,timestamp,state',
  'A1,2026-11-23T08:00:00Z,logged_in',
  'A1,2026-11-23T08:05:00Z,available',
  'A1,2026-11-23T08:10:00Z,on_call',
  'A1,2026-11-23T08:25:00Z,after_call_work',
  'A1,2026-11-23T08:27:00Z,logged_out',
  'A3,2026-11-23T09:00:00Z,logged_in',
  'A3,2026-11-23T09:20:00Z,logged_out',
  '',
].join('\n');
const absencesCsv = [
  'agent_id,start_date,end_date,reason_code',
  'A1,2026-11-10,2026-11-12,sick',
  'A2,2026-12-01,2026-12-05,vacation',
  'A3,2026-11-02,2026-11-02,family_leave',
  '',
].join('\n');
const performanceCsv = [
  'agent_id,period_start,metric,value',
  'A1,2026-11-01,aht_seconds,312.5',
  'A1,2026-11-01,calls_handled,410',
  'A3,2026-11-01,aht_seconds,280',
  'A4,2026-11-01,aht_seconds,295',
  '',
].join('\n');

beforeAll(async () => {
  h = await createHarness();
  tenantId = (await h.ctx.tenants.ensureDefault()).id;
  agentA = await buildSignedInUser(h, { roles: ['agent'], teams: ['Team A'] });
  agentB = await buildUser(h, { roles: ['agent'], teams: ['Team A'] });
  agentC = await buildSignedInUser(h, { roles: ['agent'], teams: ['Team B'] });
  supA = await buildSignedInUser(h, { roles: ['supervisor'], teams: ['Team A'] });
  analyst = await buildSignedInUser(h, { roles: ['wfm_analyst'] });
  manager = await buildSignedInUser(h, { roles: ['wfm_manager'] });
  itAdmin = await buildSignedInUser(h, { roles: ['it_admin'] });
  exec = await buildSignedInUser(h, { roles: ['executive'] });
  // A4 resides in "us", everyone here reads from "eu": these tests read it under a recorded
  // mechanism (wfm-governance.test.ts covers reads without one).
  await h.ctx.transfers.allow(systemActorFor(tenantId), { from: 'us', to: 'eu', mechanism: 'scc' });
  agentsCsv = [
    'agent_id,username,name,team,site,region,home_address',
    `A1,${agentA.user.username},Alice Able,Team A,Leeds,eu,"1 Canary Row, Leeds ${HOME_CANARY}"`,
    `A2,${agentB.user.username},Bob Baker,Team A,Leeds,eu,`,
    `A3,${agentC.user.username},Cat Cole,Team B,York,eu,"2 Quiet Street, ${HOME_CANARY}"`,
    'A4,,Dan Doe,Team B,York,us,',
    '',
  ].join('\n');
});
afterAll(async () => h?.close());

describe('WFM import', () => {
  it('imports every kind (wfm_manager), counts only in the response and the audit log', async () => {
    for (const [kind, body, rows] of [
      ['agents', agentsCsv, 4],
      ['schedules', schedulesCsv, 5],
      ['adherence', adherenceCsv, 7],
      ['absences', absencesCsv, 3],
      ['performance', performanceCsv, 4],
    ] as const) {
      const res = await importCsv(manager, kind, body);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ kind, rows, inserted: rows, updated: 0 });
      expect(res.body).not.toContain('Alice');
    }
    const events = await h.ctx.database.db
      .selectFrom('audit_events')
      .select('body')
      .where('tenant_id', '=', tenantId)
      .where('action', '=', 'wfm.import')
      .execute();
    expect(events).toHaveLength(5);
    for (const e of events) {
      expect(e.body).not.toContain('Alice');
      expect(e.body).not.toContain(HOME_CANARY);
      expect(JSON.parse(e.body).details).toMatchObject({ channel: 'api' });
    }
  });

  it('is idempotent: re-importing a file updates in place and adds nothing', async () => {
    const before = await count('wfm_schedules');
    const res = await importCsv(manager, 'schedules', schedulesCsv);
    expect(res.json()).toEqual({ kind: 'schedules', rows: 5, inserted: 0, updated: 5 });
    expect(await count('wfm_schedules')).toBe(before);
    const again = await importCsv(manager, 'agents', agentsCsv);
    expect(again.json()).toMatchObject({ inserted: 0, updated: 4 });
    expect(await count('wfm_agents')).toBe(4);
  });

  it('stores home addresses only encrypted (bound to tenant and agent)', async () => {
    const row = await h.ctx.database.db
      .selectFrom('wfm_agents')
      .select(['agent_id', 'home_address_enc'])
      .where('tenant_id', '=', tenantId)
      .where('agent_id', '=', 'A1')
      .executeTakeFirstOrThrow();
    expect(row.home_address_enc).toMatch(/^v1\./);
    expect(row.home_address_enc).not.toContain(HOME_CANARY);
    expect(h.ctx.keyring.decryptField(tenantId, row.home_address_enc!, homeAddressAad(tenantId, 'A1'))).toBe(
      `1 Canary Row, Leeds ${HOME_CANARY}`,
    );
    expect(() =>
      h.ctx.keyring.decryptField(tenantId, row.home_address_enc!, homeAddressAad(tenantId, 'A3')),
    ).toThrow();
  });

  it('a bad file changes nothing and names file, line and column', async () => {
    const before = await count('wfm_schedules');
    const bad = [
      'agent_id,start,end,activity',
      'A1,2026-11-25T08:00:00Z,2026-11-25T12:00:00Z,phone',
      'A1,25/11/2026 13:00,2026-11-25T16:00:00Z,phone',
      '',
    ].join('\n');
    const res = await importCsv(manager, 'schedules', bad, 'schedules.csv');
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toContain('schedules.csv line 3, column start: not an ISO 8601 time');
    expect(res.body).not.toContain('25/11/2026');
    // Valid rows but an agent the tenant does not have: found while writing, rolled back.
    const unknown = [
      'agent_id,start,end,activity',
      'A1,2026-11-26T08:00:00Z,2026-11-26T12:00:00Z,phone',
      'ZZ9,2026-11-26T08:00:00Z,2026-11-26T12:00:00Z,phone',
      '',
    ].join('\n');
    const res2 = await importCsv(manager, 'schedules', unknown);
    expect(res2.statusCode).toBe(422);
    expect(res2.json().detail).toContain('schedules.csv line 3, column agent_id: unknown agent');
    expect(await count('wfm_schedules')).toBe(before);
    const ragged = await importCsv(
      manager,
      'absences',
      'agent_id,start_date,end_date,reason_code\nA1,2026-01-01\n',
    );
    expect(ragged.statusCode).toBe(422);
    expect(ragged.json().detail).toMatch(/absences\.csv line 2/);
    const reason = await importCsv(
      manager,
      'absences',
      'agent_id,start_date,end_date,reason_code\nA1,2026-01-01,2026-01-02,flu\n',
    );
    expect(reason.json().detail).toContain('absences.csv line 2, column reason_code: not a reason category');
    expect(reason.body).not.toContain('flu');
    const failures = await h.ctx.database.db
      .selectFrom('audit_events')
      .select('body')
      .where('tenant_id', '=', tenantId)
      .where('action', '=', 'wfm.import')
      .where('outcome', '=', 'failure')
      .execute();
    expect(failures.length).toBeGreaterThanOrEqual(4);
  });

  it('takes a column mapping in a header, and reports progress by phase to the CLI', async () => {
    const mapping = JSON.stringify({
      columns: { Emp: 'agent_id', Day: 'period_start', KPI: 'metric', Score: 'value', Comment: null },
      values: { metric: { AHT: 'aht_seconds' } },
    });
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/wfm/imports?kind=performance',
      headers: { ...manager.auth, 'content-type': 'text/csv', 'bulwark-column-mapping': mapping },
      payload: 'Emp,Day,KPI,Score,Comment\nA1,2026-11-01,AHT,312.5,slow week\n',
    });
    expect(res.json()).toEqual({ kind: 'performance', rows: 1, inserted: 0, updated: 1 });
    const bad = await h.app.inject({
      method: 'POST',
      url: '/v1/wfm/imports?kind=performance',
      headers: { ...manager.auth, 'content-type': 'text/csv', 'bulwark-column-mapping': '{"columns":' },
      payload: 'Emp\n',
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().detail).toContain('Bulwark-Column-Mapping: not valid JSON');
    const phases = new Set<string>();
    await h.ctx.wfm.importCsv(
      { tenantId, userId: null, roles: [], sessionId: null, ip: null, requestId: null, channel: 'cli' },
      'schedules',
      schedulesCsv,
      { file: 'schedules.csv', onProgress: (phase, done, total) => phases.add(`${phase} ${done}/${total}`) },
    );
    expect(phases).toContain('checking 5/5');
    expect(phases).toContain('writing 5/5');
    const cli = {
      tenantId,
      userId: null,
      roles: [],
      sessionId: null,
      ip: null,
      requestId: null,
      channel: 'cli' as const,
    };
    const adherencePhases: string[] = [];
    await h.ctx.wfm.importCsv(cli, 'adherence', adherenceCsv, {
      file: 'adherence.csv',
      onProgress: (phase, done, total) => adherencePhases.push(`${phase} ${done}/${total}`),
    });
    expect(adherencePhases).toEqual(
      expect.arrayContaining(['writing 7/7', 'aggregating 0/2', 'aggregating 1/2']),
    );
  });

  it('only wfm_manager and it_admin import; it_admin gets counts, never data', async () => {
    const res = await importCsv(itAdmin, 'performance', performanceCsv);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ kind: 'performance', rows: 4, inserted: 0, updated: 4 });
    for (const who of [supA, agentA, analyst, exec]) {
      expect((await importCsv(who, 'performance', performanceCsv)).statusCode).toBe(403);
    }
  });
});

describe('WFM reads: each role sees exactly its slice', () => {
  const agentIds = (items: Array<Record<string, unknown>>) =>
    [...new Set(items.map((i) => i.agentId))].sort();

  it('an agent sees only their own rows, on every endpoint and whatever the filters', async () => {
    for (const endpoint of ENDPOINTS) {
      expect(agentIds(await listAll(agentA, endpoint)), endpoint).toEqual(['A1']);
      expect(await listAll(agentA, endpoint, '&agent=A3'), endpoint).toEqual([]);
      expect(await listAll(agentA, endpoint, '&team=Team%20B'), endpoint).toEqual([]);
      expect(agentIds(await listAll(agentC, endpoint)), endpoint).toEqual(['A3']);
    }
    const absences = await listAll(agentA, 'absences');
    expect(absences).toEqual([
      expect.objectContaining({ agentId: 'A1', status: 'absent', reasonCode: 'sick' }),
    ]);
  });

  it('a supervisor sees their teams only, and absences without the reason even with a purpose', async () => {
    expect(agentIds(await listAll(supA, 'schedules'))).toEqual(['A1', 'A2']);
    expect(agentIds(await listAll(supA, 'adherence'))).toEqual(['A1']);
    expect(agentIds(await listAll(supA, 'performance'))).toEqual(['A1']);
    const absences = await listAll(supA, 'absences', '&purpose=team%20planning');
    expect(agentIds(absences)).toEqual(['A1', 'A2']);
    for (const a of absences) {
      expect(a.status).toBe('absent');
      expect(a.reasonCode).toBeNull();
    }
    const raw = await get(supA, '/v1/wfm/absences');
    for (const code of ['sick', 'vacation', 'family_leave']) expect(raw.body).not.toContain(code);
    expect(await listAll(supA, 'schedules', '&team=Team%20B')).toEqual([]);
  });

  it('a wfm_analyst sees all schedules and adherence, and gets 403 on absences and performance', async () => {
    expect(agentIds(await listAll(analyst, 'schedules'))).toEqual(['A1', 'A2', 'A3', 'A4']);
    expect(agentIds(await listAll(analyst, 'adherence'))).toEqual(['A1', 'A3']);
    expect((await get(analyst, '/v1/wfm/absences')).statusCode).toBe(403);
    expect((await get(analyst, '/v1/wfm/performance')).statusCode).toBe(403);
  });

  it('a wfm_manager sees everything; absence reasons only with a stated purpose, audited', async () => {
    expect(agentIds(await listAll(manager, 'performance'))).toEqual(['A1', 'A3', 'A4']);
    const plain = await listAll(manager, 'absences');
    expect(plain).toHaveLength(3);
    expect(plain.every((a) => a.reasonCode === null)).toBe(true);
    const purpose = 'return-to-work review 2026-11';
    const withPurpose = await listAll(manager, 'absences', `&purpose=${encodeURIComponent(purpose)}`);
    expect(withPurpose.map((a) => a.reasonCode).sort()).toEqual(['family_leave', 'sick', 'vacation']);
    const events = await h.ctx.database.db
      .selectFrom('audit_events')
      .select('body')
      .where('tenant_id', '=', tenantId)
      .where('action', '=', 'wfm.absence.reason.read')
      .where('actor_user_id', '=', manager.user.id)
      .execute();
    const bodies = events.map((e) => JSON.parse(e.body));
    expect(bodies).toEqual([
      expect.objectContaining({
        purpose,
        policies: ['wfm-manager-absence-reason-with-purpose'],
        details: expect.objectContaining({ reasons: 3 }),
      }),
    ]);
  });

  it('it_admin and executive get 403 on every row endpoint, with the guardrail named in the audit log', async () => {
    for (const endpoint of ENDPOINTS) {
      expect((await get(itAdmin, `/v1/wfm/${endpoint}`)).statusCode, endpoint).toBe(403);
      expect((await get(exec, `/v1/wfm/${endpoint}`)).statusCode, endpoint).toBe(403);
    }
    const denied = await h.ctx.database.db
      .selectFrom('audit_events')
      .select('body')
      .where('tenant_id', '=', tenantId)
      .where('action', '=', 'authz.data.read')
      .where('actor_user_id', 'in', [itAdmin.user.id, exec.user.id])
      .execute();
    const policies = new Set(denied.flatMap((e) => JSON.parse(e.body).policies as string[]));
    expect([...policies].sort()).toEqual([
      'executive-no-individual-records',
      'it-admin-no-employee-data-or-content',
    ]);
  });

  it('never returns a home address', async () => {
    for (const who of [agentA, agentC, supA, analyst, manager])
      for (const endpoint of ENDPOINTS) {
        const res = await get(who, `/v1/wfm/${endpoint}?limit=200&purpose=audit%20check`);
        if (res.statusCode === 200) {
          expect(res.body).not.toContain(HOME_CANARY);
          expect(res.body).not.toContain('Canary Row');
          expect(res.body).not.toMatch(/home/i);
        }
      }
  });

  it('filters by agent, team and time window, and pages with a keyset cursor', async () => {
    expect(agentIds(await listAll(manager, 'schedules', '&agent=A3'))).toEqual(['A3']);
    expect(agentIds(await listAll(manager, 'schedules', '&team=Team%20B'))).toEqual(['A3', 'A4']);
    const window = await listAll(manager, 'schedules', '&from=2026-11-23T11:00:00Z&to=2026-11-23T13:00:00Z');
    expect(window.map((s) => s.start).sort()).toEqual([
      '2026-11-23T08:00:00.000Z',
      '2026-11-23T09:00:00.000Z',
      '2026-11-23T09:00:00.000Z',
      '2026-11-23T12:30:00.000Z',
    ]);
    expect(agentIds(await listAll(manager, 'absences', '&from=2026-11-11&to=2026-11-30'))).toEqual(['A1']);
    // A date alone is midnight UTC, whatever the database's time zone.
    expect(agentIds(await listAll(manager, 'schedules', '&from=2026-11-24&to=2026-11-25'))).toEqual(['A4']);
    const all = await listAll(manager, 'schedules');
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(manager, `/v1/wfm/schedules?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      const body = res.json();
      expect(body.items.length).toBeLessThanOrEqual(2);
      paged.push(...body.items.map((i: { id: string }) => i.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.map((i) => i.id));
    expect(new Set(paged).size).toBe(5);
    expect((await get(manager, '/v1/wfm/schedules?cursor=bm9wZQ')).statusCode).toBe(422);
  });

  it('derives 15-minute adherence intervals from the state events', async () => {
    const intervals = await listAll(agentA, 'adherence', '&view=intervals');
    const seconds = Object.fromEntries(
      intervals.map((i) => [`${String(i.intervalStart).slice(11, 16)} ${i.state}`, i.seconds]),
    );
    expect(seconds).toEqual({
      '08:00 logged_in': 300,
      '08:00 available': 300,
      '08:00 on_call': 300,
      '08:15 on_call': 600,
      '08:15 after_call_work': 120,
    });
  });
});

describe('aggregate reports with cohort suppression', () => {
  // Team R: six agents at North and one (R7, on sick leave all month) at South; Team S: five at
  // South; Team T: three at West. R7's atom (Team R x South) and Team T are below five.
  const population = [
    ...[1, 2, 3, 4, 5, 6].map((i) => [`R${i}`, 'Team R', 'North']),
    ['R7', 'Team R', 'South'],
    ...[1, 2, 3, 4, 5].map((i) => [`S${i}`, 'Team S', 'South']),
    ...[1, 2, 3].map((i) => [`T${i}`, 'Team T', 'West']),
  ] as const;
  const report = (who: Who, path: string) => get(who, `/v1/wfm/reports/${path}`);
  type Cell = {
    group: string;
    suppressed: boolean;
    agents?: number;
    totals?: Record<string, number>;
    value?: number;
  };

  beforeAll(async () => {
    const agents = [
      'agent_id,name,team,site,region',
      ...population.map(([id, team, site]) => `${id},Person ${id},${team},${site},eu`),
    ];
    expect((await importCsv(manager, 'agents', `${agents.join('\n')}\n`)).statusCode).toBe(200);
    const absences = [
      'agent_id,start_date,end_date,reason_code',
      ...population.map(([id]) =>
        id === 'R7' ? 'R7,2026-10-01,2026-10-10,sick' : `${id},2026-10-05,2026-10-06,vacation`,
      ),
    ];
    expect((await importCsv(manager, 'absences', `${absences.join('\n')}\n`)).statusCode).toBe(200);
    const perf = [
      'agent_id,period_start,metric,value',
      ...population.map(([id], i) => `${id},2026-10-01,aht_seconds,${300 + i}`),
    ];
    expect((await importCsv(manager, 'performance', `${perf.join('\n')}\n`)).statusCode).toBe(200);
  });

  it('releases only cells of at least five agents, and team and site reports cannot be subtracted to isolate anyone', async () => {
    const byTeam = (await report(exec, 'absence?groupBy=team&month=2026-10')).json();
    const bySite = (await report(exec, 'absence?groupBy=site&month=2026-10')).json();
    const cells = (r: { cells: Cell[] }) => Object.fromEntries(r.cells.map((c) => [c.group, c]));
    const team = cells(byTeam);
    const site = cells(bySite);
    expect(team['Team R']).toMatchObject({ suppressed: false, agents: 6, value: 12 });
    expect(team['Team S']).toMatchObject({ suppressed: false, agents: 5, value: 10 });
    expect(team['Team T']).toEqual({ group: 'Team T', suppressed: true });
    expect(site.North).toMatchObject({ suppressed: false, agents: 6, value: 12 });
    expect(site.South).toMatchObject({ suppressed: false, agents: 5, value: 10 });
    expect(site.West).toEqual({ group: 'West', suppressed: true });
    // Team R minus North, and South minus Team S, would be R7 alone: both are zero.
    expect(team['Team R']!.value! - site.North!.value!).toBe(0);
    expect(site.South!.value! - team['Team S']!.value!).toBe(0);
    for (const r of [byTeam, bySite]) {
      expect(r.minCohort).toBe(5);
      for (const c of r.cells as Cell[]) {
        if (!c.suppressed) expect(c.agents).toBeGreaterThanOrEqual(5);
        expect(c.totals?.sick ?? 0).toBe(0);
      }
    }
  });

  it('performance means and adherence follow the same rule; small months are all suppressed', async () => {
    const perf = (await report(manager, 'performance?groupBy=team&month=2026-10&metric=aht_seconds')).json();
    expect(perf.cells.find((c: Cell) => c.group === 'Team R')).toMatchObject({ agents: 6, value: 302.5 });
    const adherence = await report(exec, 'adherence?groupBy=team&month=2026-11');
    expect(adherence.statusCode, adherence.body).toBe(200);
    expect(adherence.json().cells.every((c: Cell) => c.suppressed)).toBe(true);
    expect((await report(exec, 'performance?month=2026-10')).statusCode).toBe(422);
  });

  it('only executives and wfm_managers read reports; the decision is audited', async () => {
    for (const who of [supA, analyst, itAdmin, agentA])
      expect((await report(who, 'absence?month=2026-10')).statusCode).toBe(403);
    const events = await h.ctx.database.db
      .selectFrom('audit_events')
      .select('body')
      .where('tenant_id', '=', tenantId)
      .where('action', '=', 'authz.report.read')
      .execute();
    const outcomes = events.map((e) => JSON.parse(e.body)).map((b) => `${b.outcome}:${b.policies.join(',')}`);
    expect(outcomes).toContain('allow:executive-aggregate-reports');
    expect(outcomes).toContain('allow:wfm-manager-reports');
    expect(outcomes.filter((o) => o.startsWith('deny:')).length).toBeGreaterThanOrEqual(4);
  });
});

describe('SQL scope equals the Cedar decision per row, for every role', () => {
  it('listed ⇔ data.read allowed, and reason shown ⇔ absence.reason.read allowed (differential)', async () => {
    const teamA = agentA.user.teams[0]!.id;
    const teamB = agentC.user.teams[0]!.id;
    const principals: Array<[string, PrincipalSlice]> = [];
    const add = (name: string, roles: Role[], teams: string[], id: string = randomUUID()) =>
      principals.push([name, { id, tenantId, region: 'eu', roles, teams, cases: [] }]);
    add('agent A1', ['agent'], [teamA], agentA.user.id);
    add('agent C', ['agent'], [teamB], agentC.user.id);
    add('agent unlinked', ['agent'], [teamA]);
    add('supervisor A', ['supervisor'], [teamA]);
    add('supervisor B', ['supervisor'], [teamB]);
    add('supervisor A+B', ['supervisor'], [teamA, teamB]);
    add('supervisor no team', ['supervisor'], []);
    add('supervisor+agent', ['supervisor', 'agent'], [teamB], agentA.user.id);
    add('wfm_analyst', ['wfm_analyst'], []);
    add('wfm_manager', ['wfm_manager'], []);
    add('analyst+supervisor', ['wfm_analyst', 'supervisor'], [teamA]);
    add('it_admin', ['it_admin'], [teamA]);
    add('it_admin+wfm_manager', ['it_admin', 'wfm_manager'], []);
    add('executive', ['executive'], [teamA]);
    add('executive+supervisor', ['executive', 'supervisor'], [teamA]);
    add('qa_analyst', ['qa_analyst'], [teamA]);
    add('compliance_officer', ['compliance_officer'], []);
    add('security_analyst', ['security_analyst'], []);

    // Another tenant's rows must never appear.
    const other = await h.ctx.tenants.create('wfm-other', 'Other');
    const otherActor = { ...systemActorFor(other.id) };
    await h.ctx.wfm.importCsv(
      otherActor,
      'agents',
      'agent_id,name,team,region\nA1,Other Person,Team A,eu\n',
      {
        file: 'agents.csv',
      },
    );
    await h.ctx.wfm.importCsv(otherActor, 'schedules', schedulesCsv.split('\n').slice(0, 3).join('\n'), {
      file: 'schedules.csv',
    });

    const kinds: Array<[WfmListKind, 'Schedule' | 'Adherence' | 'Absence' | 'Performance']> = [
      ['schedules', 'Schedule'],
      ['adherence', 'Adherence'],
      ['intervals', 'Adherence'],
      ['absences', 'Absence'],
      ['performance', 'Performance'],
    ];
    let compared = 0;
    for (const [kind, type] of kinds) {
      const resources = await h.ctx.wfm.resourcesOf(kind, tenantId);
      expect(resources.length, kind).toBeGreaterThan(0);
      for (const [name, p] of principals) {
        for (const purpose of kind === 'absences' ? ['', 'return-to-work review'] : ['']) {
          const context: AuthzContext = {
            mfaAgeSeconds: 0,
            sessionAgeSeconds: 0,
            devicePosture: 'unknown',
            aggregate: false,
            purpose,
          };
          const listed = new Map<string, string | null>();
          let cursor: string | undefined;
          do {
            const filters = { cursor, limit: 3 };
            const page =
              kind === 'schedules'
                ? await h.ctx.wfm.listSchedules(p, filters)
                : kind === 'adherence'
                  ? await h.ctx.wfm.listAdherence(p, filters)
                  : kind === 'intervals'
                    ? await h.ctx.wfm.listIntervals(p, filters)
                    : kind === 'performance'
                      ? await h.ctx.wfm.listPerformance(p, filters)
                      : await h.ctx.wfm.listAbsences(
                          {
                            tenantId,
                            userId: p.id,
                            roles: p.roles,
                            sessionId: null,
                            ip: null,
                            requestId: null,
                            channel: 'system',
                          },
                          p,
                          filters,
                          context,
                        );
            for (const item of page.items)
              listed.set(item.id, 'reasonCode' in item ? (item.reasonCode as string | null) : null);
            cursor = page.nextCursor ?? undefined;
          } while (cursor);
          // The route's own decision: a caller it refuses must have no row in scope either.
          const self = {
            type,
            id: `self:${p.id}`,
            tenantId,
            region: p.region,
            team: p.teams[0] ?? '',
            agentUserId: p.id,
          } as const;
          const mayList = h.ctx.authorizer.authorize(p, 'data.read', self, context).allowed;
          // Cedar sees the regions this reader may receive (the recorded us -> eu mechanism).
          const pt = {
            ...p,
            transferFrom: (await h.ctx.transfers.sourcesFor(tenantId, p.region)).map((s) => s.from),
          };
          for (const r of resources) {
            const allowed = h.ctx.authorizer.authorize(pt, 'data.read', r, context).allowed;
            const where = `${name} ${kind} ${'id' in r ? r.id : ''} purpose=${purpose}`;
            expect(listed.has('id' in r ? r.id : ''), where).toBe(allowed);
            if (allowed) expect(mayList, where).toBe(true);
            if (kind === 'absences' && allowed) {
              const reason = h.ctx.authorizer.authorize(pt, 'absence.reason.read', r, context).allowed;
              expect(listed.get('id' in r ? r.id : '') !== null, `${where} reason`).toBe(reason);
            }
            compared++;
          }
          expect(listed.size).toBeLessThanOrEqual(resources.length);
        }
      }
    }
    expect(compared).toBeGreaterThan(300);
  });
});

function systemActorFor(id: string) {
  return {
    tenantId: id,
    userId: null,
    roles: [],
    sessionId: null,
    ip: null,
    requestId: null,
    channel: 'system' as const,
  };
}
