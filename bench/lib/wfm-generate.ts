/**
 * A synthetic contact center for the WFM benchmarks (bench/wfm.bench.ts) and for manual exploration
 * (scripts/generate-wfm.ts). Everything is written by set-based `INSERT ... SELECT generate_series`
 * statements, a batch of agents at a time, on PostgreSQL and PGlite alike; nothing is row by row.
 *
 * Shape (deterministic: the same arguments give the same rows, ids aside):
 * - teams of {@link TEAM_SIZE} agents ("Team 001", ...); team k sits at site "Site A".."Site E"
 *   (k mod 5), and site E's agents reside in region "us", every other agent in "eu";
 * - agents `A000001`.. ("Agent 000001"), no home address, no Bulwark user (link one yourself);
 * - schedules: one 8.5-hour "phone" shift (every 20th a "training" day) on 5 of 7 days per agent,
 *   starting between 06:00 and 13:00 UTC, for every day of the period;
 * - absences: 10 per agent-year, 1 to 5 days, never overlapping, a coded reason each;
 * - performance: 4 metrics per agent per calendar month;
 * - 15-minute adherence intervals (one state row per interval of each shift) for the whole period
 *   for the first `intervalSampleAgents` agents, and for every agent in `fullIntervalMonth`;
 * - raw adherence state events (12 per shift) for the last `rawEventDays` days only, as the default
 *   retention (7 days) keeps them;
 * - the daily roll-up of the intervals (`wfm_adherence_daily`), computed once at the end as the
 *   interval writers keep it.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/db/schema.ts';
import { refreshDailyAdherence } from '../../src/modules/wfm/wfm-intervals.ts';

export const TEAM_SIZE = 50;
export const SITES = 5;
export const METRICS = ['aht_seconds', 'adherence_pct', 'csat', 'occupancy_pct'] as const;
export const REGIONS = ['eu', 'us'] as const;
const REASONS = `array['vacation','sick','family_leave','personal','other']`;
const DAY_MS = 86_400_000;

export type WfmScale = {
  agents: number;
  /** Length of the period in years (365 days each); fractions allowed. */
  years: number;
  /** Exclusive end of the period (midnight UTC); default: today's midnight UTC. */
  end?: Date;
  /** Agents (from A000001 on) with intervals over the whole period. */
  intervalSampleAgents: number;
  /** `YYYY-MM`: a month with intervals for every agent (default: the last whole month of the period), or null. */
  fullIntervalMonth?: string | null;
  rawEventDays: number;
  /** Agents per INSERT statement. */
  batchAgents?: number;
};

export type Generated = {
  start: Date;
  end: Date;
  days: number;
  teams: number;
  fullIntervalMonth: string | null;
  rows: Record<
    | 'wfm_agents'
    | 'wfm_schedules'
    | 'wfm_absences'
    | 'wfm_performance'
    | 'wfm_adherence_intervals'
    | 'wfm_adherence_events',
    number
  >;
  ms: Record<string, number>;
};

export const agentKey = (n: number) => `A${String(n).padStart(6, '0')}`;
export const teamName = (k: number) => `Team ${String(k).padStart(3, '0')}`;
const todayUtc = () => new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);

/** The last whole calendar month before `end`. */
export function lastWholeMonth(end: Date): string {
  const d = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
}

/**
 * Generates the contact center into `tenantId` (agent numbers must not exist yet). Returns the
 * period, row counts and milliseconds per table.
 */
export async function generateWfm(
  db: Kysely<Database>,
  tenantId: string,
  scale: WfmScale,
  log: (message: string) => void = () => {},
): Promise<Generated> {
  const end = scale.end ?? todayUtc();
  const days = Math.max(1, Math.round(scale.years * 365));
  const start = new Date(end.getTime() - days * DAY_MS);
  const teams = Math.ceil(scale.agents / TEAM_SIZE);
  const month = scale.fullIntervalMonth === undefined ? lastWholeMonth(end) : scale.fullIntervalMonth;
  const batch = scale.batchAgents ?? 250;
  const startTs = sql`cast(${start.toISOString()} as timestamptz)`;
  const startDate = sql`cast(${start.toISOString().slice(0, 10)} as date)`;
  const ms: Record<string, number> = {};
  const timed = async (label: string, fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    ms[label] = (ms[label] ?? 0) + performance.now() - t;
  };

  await timed('teams', () =>
    sql`insert into teams (id, tenant_id, name)
        select gen_random_uuid(), ${tenantId}, 'Team ' || lpad(k::text, 3, '0')
        from generate_series(1, ${sql.lit(teams)}) k
        on conflict (tenant_id, name) do nothing`.execute(db),
  );
  await timed('wfm_agents', () =>
    sql`insert into wfm_agents (id, tenant_id, agent_id, name, team_id, site, region)
        select gen_random_uuid(), ${tenantId}, 'A' || lpad(g::text, 6, '0'), 'Agent ' || lpad(g::text, 6, '0'),
               t.id, 'Site ' || chr(65 + ((g - 1) / ${sql.lit(TEAM_SIZE)}) % ${sql.lit(SITES)}),
               case when ((g - 1) / ${sql.lit(TEAM_SIZE)}) % ${sql.lit(SITES)} = ${sql.lit(SITES - 1)} then 'us' else 'eu' end
        from generate_series(1, ${sql.lit(scale.agents)}) g
        join teams t on t.tenant_id = ${tenantId}
          and t.name = 'Team ' || lpad((((g - 1) / ${sql.lit(TEAM_SIZE)}) + 1)::text, 3, '0')`.execute(db),
  );

  // The agents of numbers [lo, hi] with their number n, as a derived table `a`.
  const agentsIn = (lo: number, hi: number) => sql`(
    select id, tenant_id, team_id, region, substr(agent_id, 2)::int as n from wfm_agents
    where tenant_id = ${tenantId} and agent_id between ${agentKey(lo)} and ${agentKey(hi)}) a`;
  // Working days of the period per agent: d in [0, days), 5 of every 7.
  const shiftStart = sql`${startTs} + d * interval '1 day' + (6 + a.n % 8) * interval '1 hour'`;

  const monthRange = month
    ? (() => {
        const [y, m] = month.split('-').map(Number) as [number, number];
        const from = Math.max(0, Math.round((Date.UTC(y, m - 1, 1) - start.getTime()) / DAY_MS));
        const to = Math.min(days, Math.round((Date.UTC(y, m, 1) - start.getTime()) / DAY_MS));
        return { from, to };
      })()
    : null;
  const rawFrom = Math.max(0, days - scale.rawEventDays);

  for (let lo = 1; lo <= scale.agents; lo += batch) {
    const hi = Math.min(scale.agents, lo + batch - 1);
    const a = agentsIn(lo, hi);
    await timed('wfm_schedules', () =>
      sql`insert into wfm_schedules (id, tenant_id, agent_ref, team_id, region, starts_at, ends_at, activity)
          select gen_random_uuid(), a.tenant_id, a.id, a.team_id, a.region, ${shiftStart},
                 ${shiftStart} + interval '8 hours 30 minutes',
                 case when (a.n + d) % 20 = 0 then 'training' else 'phone' end
          from ${a} cross join generate_series(0, ${sql.lit(days - 1)}) d
          where (d + a.n) % 7 < 5`.execute(db),
    );
    await timed('wfm_absences', () =>
      sql`insert into wfm_absences (id, tenant_id, agent_ref, team_id, region, start_date, end_date, reason_code)
          select gen_random_uuid(), a.tenant_id, a.id, a.team_id, a.region, s, s + (a.n + k) % 5,
                 (${sql.raw(REASONS)})[1 + (a.n * 3 + k) % 5]
          from ${a} cross join generate_series(0, ${sql.lit(Math.ceil((days / 365) * 10) - 1)}) k
          cross join lateral (select ${startDate} + k * 36 + (a.n * 7 + k * 13) % 28 as s) x
          where s + (a.n + k) % 5 < ${startDate} + ${sql.lit(days)}`.execute(db),
    );
    await timed('wfm_performance', () =>
      sql`insert into wfm_performance (id, tenant_id, agent_ref, team_id, region, period_start, metric, value)
          select gen_random_uuid(), a.tenant_id, a.id, a.team_id, a.region, p, m,
                 case m when 'aht_seconds' then 240 + (a.n * 17 + i * 29) % 180
                        when 'adherence_pct' then 80 + (a.n * 7 + i * 3) % 20
                        when 'csat' then 3 + ((a.n + i) % 20) / 10.0
                        else 60 + (a.n * 11 + i * 5) % 35 end
          from ${a} cross join generate_series(0, ${sql.lit(Math.max(1, Math.round((days / 365) * 12)) - 1)}) i
          cross join lateral (select cast(date_trunc('month', ${startTs} at time zone 'UTC') + i * interval '1 month' as date) as p) x
          cross join unnest(${sql.raw(`array['${METRICS.join("','")}']`)}) m
          where p < ${startDate} + ${sql.lit(days)}`.execute(db),
    );
    // Intervals: the whole period for the sample, the full month for everyone else.
    const dayRanges: Array<{ lo: number; hi: number; from: number; to: number }> = [];
    const sampleHi = Math.min(hi, scale.intervalSampleAgents);
    if (sampleHi >= lo) dayRanges.push({ lo, hi: sampleHi, from: 0, to: days });
    if (monthRange && monthRange.to > monthRange.from && hi > sampleHi)
      dayRanges.push({ lo: Math.max(lo, sampleHi + 1), hi, from: monthRange.from, to: monthRange.to });
    for (const r of dayRanges)
      await timed('wfm_adherence_intervals', () =>
        sql`insert into wfm_adherence_intervals (id, tenant_id, agent_ref, team_id, region, interval_start, state, seconds)
            select gen_random_uuid(), a.tenant_id, a.id, a.team_id, a.region, ${shiftStart} + slot * interval '15 minutes',
                   case when slot in (8, 24) then 'break' when slot % 4 = 3 then 'after_call_work'
                        when slot % 5 = 1 then 'available' else 'on_call' end,
                   600 + (a.n * 7 + slot * 13 + d) % 300
            from ${agentsIn(r.lo, r.hi)} cross join generate_series(${sql.lit(r.from)}, ${sql.lit(r.to - 1)}) d
            cross join generate_series(0, 31) slot
            where (d + a.n) % 7 < 5`.execute(db),
      );
    if (rawFrom < days)
      await timed('wfm_adherence_events', () =>
        sql`insert into wfm_adherence_events (id, tenant_id, agent_ref, team_id, region, occurred_at, state)
            select gen_random_uuid(), a.tenant_id, a.id, a.team_id, a.region,
                   ${shiftStart} + e * interval '45 minutes' + (a.n % 60) * interval '1 second',
                   case when e = 0 then 'logged_in' when e = 11 then 'logged_out' when e = 6 then 'break'
                        when e % 3 = 0 then 'after_call_work' when e % 3 = 1 then 'on_call' else 'available' end
            from ${a} cross join generate_series(${sql.lit(rawFrom)}, ${sql.lit(days - 1)}) d
            cross join generate_series(0, 11) e
            where (d + a.n) % 7 < 5`.execute(db),
      );
    log(`agents ${lo}-${hi} of ${scale.agents}`);
  }

  await timed('wfm_adherence_daily', () =>
    refreshDailyAdherence(db, tenantId, start.getTime(), end.getTime()),
  );

  const tables = [
    'wfm_agents',
    'wfm_schedules',
    'wfm_absences',
    'wfm_performance',
    'wfm_adherence_intervals',
    'wfm_adherence_events',
  ] as const;
  const rows = {} as Generated['rows'];
  for (const t of tables) {
    const r = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(t)}
      where tenant_id = ${tenantId}`.execute(db);
    rows[t] = Number(r.rows[0]!.n);
  }
  await sql`analyze`.execute(db);
  return { start, end, days, teams, fullIntervalMonth: month, rows, ms };
}
