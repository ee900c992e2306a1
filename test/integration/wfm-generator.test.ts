import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWfm, REGIONS, TEAM_SIZE } from '../../bench/lib/wfm-generate.ts';
import { createHarness, type Harness } from '../support/harness.ts';

// The synthetic contact center of the benchmarks (bench/wfm.bench.ts, scripts/generate-wfm.ts) at a
// tiny scale: its rows must be consistent, or the benchmark figures describe impossible data.
let h: Harness;
let tenantId: string;
const AGENTS = 260; // 6 teams, the last one of 10 agents; team 5 is site E (region us)

const count = async (query: ReturnType<typeof sql<{ n: string | number }>>) =>
  Number((await query.execute(h.ctx.database.db)).rows[0]!.n);

beforeAll(async () => {
  h = await createHarness();
  tenantId = (await h.ctx.tenants.ensureDefault()).id;
  await generateWfm(h.ctx.database.db, tenantId, {
    agents: AGENTS,
    years: 0.1,
    end: new Date('2026-03-10T00:00:00Z'),
    intervalSampleAgents: 3,
    rawEventDays: 7,
    batchAgents: 100,
  });
});
afterAll(async () => {
  await h?.close();
});

describe('WFM generator (tiny scale)', () => {
  it('puts every agent in a team of at most 50 with a valid region, one region per site', async () => {
    const teams = await sql<{ name: string; n: string | number; regions: string; sites: string }>`
      select t.name, count(*) as n, string_agg(distinct a.region, ',') as regions, string_agg(distinct a.site, ',') as sites
      from wfm_agents a join teams t on t.id = a.team_id and t.tenant_id = a.tenant_id
      where a.tenant_id = ${tenantId} group by t.name order by t.name`.execute(h.ctx.database.db);
    expect(teams.rows.map((t) => Number(t.n))).toEqual([50, 50, 50, 50, 50, 10]);
    for (const t of teams.rows) {
      expect(REGIONS).toContain(t.regions);
      expect(t.sites.split(',')).toHaveLength(1);
    }
    expect(teams.rows[4]!.regions).toBe('us');
    expect(Math.max(...teams.rows.map((t) => Number(t.n)))).toBeLessThanOrEqual(TEAM_SIZE);
  });

  it('references an agent of the tenant, with the agent’s team and region, from every WFM row', async () => {
    for (const table of [
      'wfm_schedules',
      'wfm_absences',
      'wfm_performance',
      'wfm_adherence_intervals',
      'wfm_adherence_events',
    ]) {
      const total = await count(
        sql`select count(*) as n from ${sql.table(table)} where tenant_id = ${tenantId}`,
      );
      expect(total, table).toBeGreaterThan(0);
      const bad = await count(sql`select count(*) as n from ${sql.table(table)} r
        left join wfm_agents a on a.id = r.agent_ref and a.tenant_id = r.tenant_id
        where r.tenant_id = ${tenantId}
          and (a.id is null or r.team_id <> a.team_id or r.region <> a.region or r.region not in ('eu', 'us'))`);
      expect(bad, table).toBe(0);
    }
  });

  it('fills the daily adherence roll-up with the sums of the intervals, as the interval writers keep it', async () => {
    const days = await count(
      sql`select count(*) as n from wfm_adherence_daily where tenant_id = ${tenantId}`,
    );
    expect(days).toBeGreaterThan(0);
    const differing = await count(sql`select count(*) as n from (
        select agent_ref, cast(interval_start at time zone 'UTC' as date) as day, state, sum(seconds) as seconds
        from wfm_adherence_intervals where tenant_id = ${tenantId} group by 1, 2, 3) i
      full join (select * from wfm_adherence_daily where tenant_id = ${tenantId}) d
        on d.agent_ref = i.agent_ref and d.day = i.day and d.state = i.state
      where d.seconds is null or i.seconds is null or abs(d.seconds - i.seconds) > 1e-6`);
    expect(differing).toBe(0);
  });

  it('keeps each agent’s shifts and absences apart and inside the period', async () => {
    const overlappingShifts = await count(sql`select count(*) as n from wfm_schedules x join wfm_schedules y
      on x.agent_ref = y.agent_ref and x.id <> y.id and x.starts_at < y.ends_at and y.starts_at < x.ends_at`);
    expect(overlappingShifts).toBe(0);
    const overlappingAbsences = await count(sql`select count(*) as n from wfm_absences x join wfm_absences y
      on x.agent_ref = y.agent_ref and x.id <> y.id and x.start_date <= y.end_date and y.start_date <= x.end_date`);
    expect(overlappingAbsences).toBe(0);
    const outside = await count(sql`select count(*) as n from wfm_schedules
      where tenant_id = ${tenantId} and (starts_at < '2026-01-31T00:00:00Z' or ends_at > '2026-03-10T12:00:00Z')`);
    expect(outside).toBe(0);
    // 5 working days of 7 for each of the 37 days: between 25 and 28 shifts per agent.
    const perAgent = await sql<{ lo: number; hi: number }>`select min(n)::int as lo, max(n)::int as hi from
      (select count(*) as n from wfm_schedules where tenant_id = ${tenantId} group by agent_ref) c`.execute(
      h.ctx.database.db,
    );
    expect(perAgent.rows[0]!.lo).toBeGreaterThanOrEqual(25);
    expect(perAgent.rows[0]!.hi).toBeLessThanOrEqual(28);
  });

  it('writes raw events only for the last 7 days, and intervals inside shifts', async () => {
    const oldEvents = await count(sql`select count(*) as n from wfm_adherence_events
      where tenant_id = ${tenantId} and occurred_at < '2026-03-03T00:00:00Z'`);
    expect(oldEvents).toBe(0);
    const orphanIntervals = await count(sql`select count(*) as n from wfm_adherence_intervals i
      where i.tenant_id = ${tenantId} and not exists (select 1 from wfm_schedules s where s.agent_ref = i.agent_ref
        and i.interval_start >= s.starts_at and i.interval_start < s.ends_at)`);
    expect(orphanIntervals).toBe(0);
    const monthAgents = await count(sql`select count(distinct agent_ref) as n from wfm_adherence_intervals
      where tenant_id = ${tenantId} and interval_start >= '2026-02-01T00:00:00Z' and interval_start < '2026-03-01T00:00:00Z'`);
    expect(monthAgents).toBe(AGENTS);
  });
});
