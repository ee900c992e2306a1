/**
 * Aggregate WFM reports for executives and WFM managers: adherence, absence and performance per
 * team or site for one calendar month, with cohort suppression.
 *
 * Suppression holds across queries: the cells of every grouping are built from the same atoms
 * (team x site), and any atom with fewer than {@link MIN_COHORT} contributing agents is left out of
 * every grouping of that month's report. A released cell, and the difference of any two released
 * cells or sums of cells (team totals minus site totals, a group minus the tenant total), is then a
 * union of whole atoms of at least five agents: subtracting two aggregates cannot isolate one
 * person. Reports are fixed to calendar months so that time windows cannot be differenced either.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { AppError } from '../../lib/errors.ts';
import { ABSENCE_REASONS, ADHERENCE_STATES } from './wfm-csv.ts';

/** No released figure describes fewer agents than this. */
export const MIN_COHORT = 5;
export const REPORT_KINDS = ['adherence', 'absence', 'performance'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
export type GroupBy = 'team' | 'site';

export type ReportCell =
  | { group: string; suppressed: true }
  | {
      group: string;
      suppressed: false;
      agents: number;
      /** adherence: seconds per state; absence: absence days per reason category. */
      totals?: Record<string, number>;
      /** absence: total absence days in the month; performance: mean of the agents' values. */
      value?: number;
    };

export type Report = {
  report: ReportKind;
  groupBy: GroupBy;
  month: string;
  metric: string | null;
  minCohort: number;
  cells: ReportCell[];
};

type AgentFigures = {
  agent: string;
  team: string;
  site: string;
  totals: Record<string, number>;
  value: number;
};

/** `YYYY-MM` → [first day, first day of the next month) as dates. */
function monthRange(month: string): { from: string; to: string; days: number } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new AppError('VALIDATION_FAILED', 'month must look like 2026-11');
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const next = mo === 12 ? `${y + 1}-01-01` : `${y}-${String(mo + 1).padStart(2, '0')}-01`;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return { from: `${month}-01`, to: next, days };
}

/** Per-agent figures of the month, with the agent's current team name and site. */
async function agentFigures(
  db: Kysely<Database>,
  tenantId: string,
  kind: ReportKind,
  month: string,
  metric: string | null,
): Promise<AgentFigures[]> {
  const { from, to } = monthRange(month);
  const byAgent = new Map<string, AgentFigures>();
  const entry = (r: { agent: string; team: string; site: string | null }) => {
    let e = byAgent.get(r.agent);
    if (!e) {
      e = { agent: r.agent, team: r.team, site: r.site ?? '(no site)', totals: {}, value: 0 };
      byAgent.set(r.agent, e);
    }
    return e;
  };
  if (kind === 'adherence') {
    // From the daily roll-up (migration 0010): the same per-agent sums as the month's 15-minute
    // intervals, read as days; one row per agent and day keeps the agent count per cell exact.
    const rows = await sql<{
      agent: string;
      team: string;
      site: string | null;
      state: string;
      seconds: number;
    }>`
      select a.id as agent, t.name as team, a.site, d.state, d.seconds
      from (
        select agent_ref, state, sum(seconds)::float8 as seconds from wfm_adherence_daily
        where tenant_id = ${tenantId} and day >= cast(${from} as date) and day < cast(${to} as date)
        group by agent_ref, state
      ) d join wfm_agents a on a.id = d.agent_ref join teams t on t.id = a.team_id`.execute(db);
    for (const r of rows.rows) {
      const e = entry(r);
      e.totals[r.state] = (e.totals[r.state] ?? 0) + Number(r.seconds);
    }
  } else if (kind === 'absence') {
    const rows = await sql<{
      agent: string;
      team: string;
      site: string | null;
      reason: string;
      days: number;
    }>`
      select a.id as agent, t.name as team, a.site, b.reason_code as reason,
             sum(least(b.end_date, cast(${to} as date) - 1) - greatest(b.start_date, cast(${from} as date)) + 1)::int as days
      from wfm_absences b join wfm_agents a on a.id = b.agent_ref join teams t on t.id = a.team_id
      where b.tenant_id = ${tenantId} and b.end_date >= cast(${from} as date) and b.start_date < cast(${to} as date)
      group by a.id, t.name, a.site, b.reason_code`.execute(db);
    for (const r of rows.rows) {
      const e = entry(r);
      e.totals[r.reason] = (e.totals[r.reason] ?? 0) + Number(r.days);
      e.value += Number(r.days);
    }
  } else {
    if (!metric) throw new AppError('VALIDATION_FAILED', 'metric is required for the performance report');
    const rows = await sql<{ agent: string; team: string; site: string | null; value: number }>`
      select a.id as agent, t.name as team, a.site, avg(p.value)::float8 as value
      from wfm_performance p join wfm_agents a on a.id = p.agent_ref join teams t on t.id = a.team_id
      where p.tenant_id = ${tenantId} and p.metric = ${metric}
        and p.period_start >= cast(${from} as date) and p.period_start < cast(${to} as date)
      group by a.id, t.name, a.site`.execute(db);
    for (const r of rows.rows) entry(r).value = Number(r.value);
  }
  return [...byAgent.values()];
}

/**
 * The report of one month grouped by team or site; every released cell covers at least
 * {@link MIN_COHORT} agents, and atoms (team x site) below it are left out of every grouping.
 * @example await buildReport(db, tenantId, 'absence', 'team', '2026-11', null)
 */
export async function buildReport(
  db: Kysely<Database>,
  tenantId: string,
  kind: ReportKind,
  groupBy: GroupBy,
  month: string,
  metric: string | null,
): Promise<Report> {
  const figures = await agentFigures(db, tenantId, kind, month, metric);
  const atomSize = new Map<string, number>();
  const atomOf = (f: AgentFigures) => JSON.stringify([f.team, f.site]);
  for (const f of figures) atomSize.set(atomOf(f), (atomSize.get(atomOf(f)) ?? 0) + 1);
  const groups = new Map<string, AgentFigures[]>();
  for (const f of figures) {
    const key = groupBy === 'team' ? f.team : f.site;
    if (!groups.has(key)) groups.set(key, []);
    if ((atomSize.get(atomOf(f)) ?? 0) >= MIN_COHORT) groups.get(key)!.push(f);
  }
  const cells: ReportCell[] = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, members]): ReportCell => {
      // Every included atom has >= MIN_COHORT agents, so a non-empty group does too.
      if (members.length < MIN_COHORT) return { group, suppressed: true };
      const cell: ReportCell = { group, suppressed: false, agents: members.length };
      if (kind === 'adherence') {
        const totals: Record<string, number> = {};
        for (const s of ADHERENCE_STATES) if (s !== 'logged_out') totals[s] = 0;
        for (const m of members)
          for (const [k, v] of Object.entries(m.totals)) totals[k] = (totals[k] ?? 0) + v;
        cell.totals = totals;
      } else if (kind === 'absence') {
        const totals: Record<string, number> = Object.fromEntries(ABSENCE_REASONS.map((r) => [r, 0]));
        for (const m of members)
          for (const [k, v] of Object.entries(m.totals)) totals[k] = (totals[k] ?? 0) + v;
        cell.totals = totals;
        cell.value = members.reduce((a, m) => a + m.value, 0);
      } else {
        cell.value = members.reduce((a, m) => a + m.value, 0) / members.length;
      }
      return cell;
    });
  return { report: kind, groupBy, month, metric, minCohort: MIN_COHORT, cells };
}
