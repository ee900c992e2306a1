import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltUser, buildSignedInUser, type SignedIn } from '../support/builders.ts';
import { type CliEnv, createCliEnv, runBulwark } from '../support/cli.ts';
import { createHarness, type Harness } from '../support/harness.ts';

type Who = BuiltUser & SignedIn;

let h: Harness;
let tenantId: string;
let manager: Who;
let analyst: Who;
let supervisor: Who;
let agent: Who;
let itAdmin: Who;
let exec: Who;

const FORECASTS = [
  'queue,interval_start,volume,aht_seconds',
  'billing,2026-12-01T09:00:00Z,120,310',
  'billing,2026-12-01T09:15:00Z,135.5,305',
  'sales,2026-12-01T09:00:00Z,40,420',
  '',
].join('\n');
const CAPACITY = [
  'team,period_start,required_agents,scheduled_agents',
  'Team F,2026-12-01,12.5,11',
  'Team F,2026-12-08,12,13',
  'Team G,2026-12-01,4,4',
  '',
].join('\n');

const importCsv = (who: Who, kind: string, body: string, file?: string) =>
  h.app.inject({
    method: 'POST',
    url: `/v1/wfm/forecast-imports?kind=${kind}${file ? `&file=${file}` : ''}`,
    headers: { ...who.auth, 'content-type': 'text/csv' },
    payload: body,
  });
const get = (who: Who, url: string) => h.app.inject({ method: 'GET', url, headers: who.auth });

beforeAll(async () => {
  h = await createHarness();
  tenantId = (await h.ctx.tenants.ensureDefault()).id;
  manager = await buildSignedInUser(h, { roles: ['wfm_manager'] });
  analyst = await buildSignedInUser(h, { roles: ['wfm_analyst'] });
  supervisor = await buildSignedInUser(h, { roles: ['supervisor'], teams: ['Team F'] });
  agent = await buildSignedInUser(h, { roles: ['agent'], teams: ['Team G'] });
  itAdmin = await buildSignedInUser(h, { roles: ['it_admin'] });
  exec = await buildSignedInUser(h, { roles: ['executive'] });
});

afterAll(async () => {
  await h?.close();
});

describe('forecasts and capacity', () => {
  it('imports forecasts and capacity (manager; it_admin as the integration), idempotently', async () => {
    const first = await importCsv(manager, 'forecasts', FORECASTS);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ kind: 'forecasts', rows: 3, inserted: 3, updated: 0 });
    const again = await importCsv(itAdmin, 'forecasts', FORECASTS);
    expect(again.json()).toEqual({ kind: 'forecasts', rows: 3, inserted: 0, updated: 3 });
    const cap = await importCsv(manager, 'capacity', CAPACITY);
    expect(cap.statusCode, cap.body).toBe(200);
    expect(cap.json()).toEqual({ kind: 'capacity', rows: 3, inserted: 3, updated: 0 });
    expect((await importCsv(manager, 'capacity', CAPACITY)).json().updated).toBe(3);
    const n = await h.ctx.database.db
      .selectFrom('wfm_forecasts')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(3);
  });

  it('refuses import to analysts, supervisors, agents and executives', async () => {
    for (const who of [analyst, supervisor, agent, exec])
      expect((await importCsv(who, 'forecasts', FORECASTS)).statusCode).toBe(403);
  });

  it('a bad file names file, line and column, quotes no value and imports nothing', async () => {
    const bad = await importCsv(
      manager,
      'forecasts',
      [
        'queue,interval_start,volume,aht_seconds',
        'billing,2026-12-02T09:00:00Z,10,300',
        'billing,01/12/2026 09:00,10,300',
        'billing,2026-12-02T09:15:00Z,-3,300',
        '',
      ].join('\n'),
      'plan.csv',
    );
    expect(bad.statusCode).toBe(422);
    const detail = bad.json().detail as string;
    expect(detail).toContain('plan.csv line 3, column interval_start: not an ISO 8601 time');
    expect(detail).toContain('nothing was imported');
    expect(bad.body).toContain('plan.csv line 4, column volume: not a number');
    expect(bad.body).not.toContain('01/12/2026');
    const list = await get(manager, '/v1/wfm/forecasts?from=2026-12-02T00:00:00Z');
    expect(list.json().items).toEqual([]);
    const unknownTeam = await importCsv(
      manager,
      'capacity',
      'team,period_start,required_agents,scheduled_agents\nTeam F,2026-12-15,1,1\nNo Such Team,2026-12-15,1,1\n',
      'cap.csv',
    );
    expect(unknownTeam.statusCode).toBe(422);
    expect(unknownTeam.json().detail).toContain('cap.csv line 3, column team: no team of this name');
    expect((await get(manager, '/v1/wfm/capacity?from=2026-12-15')).json().items).toEqual([]);
    const header = await importCsv(manager, 'capacity', 'team,period,required_agents\n');
    expect(header.statusCode).toBe(422);
    expect(header.json().detail).toContain('capacity.csv line 1, column period: unknown column');
  });

  it('analysts and managers read forecasts with filters; executives, supervisors, agents, it_admin do not', async () => {
    const all = await get(analyst, '/v1/wfm/forecasts');
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json().items).toHaveLength(3);
    const billing = await get(
      manager,
      '/v1/wfm/forecasts?queue=billing&from=2026-12-01T09:10:00Z&to=2026-12-01T10:00:00Z',
    );
    expect(billing.json().items).toEqual([
      { queue: 'billing', intervalStart: '2026-12-01T09:15:00.000Z', volume: 135.5, ahtSeconds: 305 },
    ]);
    for (const who of [exec, supervisor, agent, itAdmin])
      expect((await get(who, '/v1/wfm/forecasts')).statusCode).toBe(403);
    expect((await get(manager, '/v1/wfm/forecasts?from=yesterday')).statusCode).toBe(422);
  });

  it('capacity: analysts, managers and executives (aggregate) read it; supervisors, agents, it_admin do not', async () => {
    for (const who of [analyst, manager, exec]) {
      const res = await get(who, '/v1/wfm/capacity?team=Team%20F');
      expect(res.statusCode, res.body).toBe(200);
      expect(
        res.json().items.map((i: { periodStart: string; gap: number }) => [i.periodStart, i.gap]),
      ).toEqual([
        ['2026-12-01', -1.5],
        ['2026-12-08', 1],
      ]);
    }
    const window = await get(exec, '/v1/wfm/capacity?from=2026-12-01&to=2026-12-01');
    expect(window.json().items.map((i: { team: { name: string } }) => i.team.name)).toEqual([
      'Team F',
      'Team G',
    ]);
    for (const who of [supervisor, agent, itAdmin]) {
      const res = await get(who, '/v1/wfm/capacity');
      expect(res.statusCode).toBe(403);
    }
    const denied = await h.ctx.database.db
      .selectFrom('audit_events')
      .select('body')
      .where('tenant_id', '=', tenantId)
      .where('action', '=', 'authz.wfm.forecast.read')
      .where('outcome', '=', 'deny')
      .execute();
    expect(denied.length).toBeGreaterThanOrEqual(3);
  });
});

describe('bulwark wfm forecasts import', () => {
  let env: CliEnv;
  beforeAll(async () => {
    env = await createCliEnv();
  });
  afterAll(async () => env?.cleanup());

  it('imports a forecast file and refuses a bad one naming line and column', async () => {
    const file = path.join(env.dir, 'forecast.csv');
    fs.writeFileSync(file, FORECASTS);
    const ok = await runBulwark(['wfm', 'forecasts', 'import', 'forecasts', file], env.env);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('imported 3 forecasts row(s) from forecast.csv: 3 new, 0 updated\n');
    const again = await runBulwark(['wfm', 'forecasts', 'import', 'forecasts', file], env.env);
    expect(again.stdout).toBe('imported 3 forecasts row(s) from forecast.csv: 0 new, 3 updated\n');
    const badFile = path.join(env.dir, 'capacity.csv');
    fs.writeFileSync(
      badFile,
      'team,period_start,required_agents,scheduled_agents\nT,2026-13-01,1,1\nT,2026-12-01,many,1\n',
    );
    const bad = await runBulwark(['wfm', 'forecasts', 'import', 'capacity', badFile], env.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('capacity.csv line 2, column period_start: not an ISO 8601 date');
    expect(bad.stderr).toContain('capacity.csv line 3, column required_agents: not a number');
    expect(bad.stderr).toContain('nothing was imported');
    expect(bad.stderr).not.toContain('many');
  });
});
