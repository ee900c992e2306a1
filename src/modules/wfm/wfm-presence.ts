/**
 * Incident support: which agents were logged in during a window, by team and site, from two sources
 * together: Bulwark sessions of the users linked to agents, and adherence (raw state events, or the
 * 15-minute intervals once raw events are gone). First and last seen are clipped to the window.
 *
 * Agents of another residency region are included only under a recorded transfer mechanism (the same
 * rule as the WFM lists); others are counted in `withheld`. The caller's route audits the read.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { AppError } from '../../lib/errors.ts';
import type { TransferSource } from '../transfers/transfers.service.ts';
import { INTERVAL_MS } from './wfm-intervals.ts';
import { loadRetentionSettings } from './wfm-retention.ts';

/** Longest window one query may cover. */
export const MAX_PRESENCE_DAYS = 31;
/** How far before the window an adherence state is looked for (the state current at its start). */
const LOOKBACK_MS = 12 * 3600_000;

export type PresenceSource = 'session' | 'adherence';
export type PresenceItem = {
  agentId: string;
  agentName: string;
  team: { id: string; name: string };
  site: string | null;
  region: string;
  firstSeen: string;
  lastSeen: string;
  sources: PresenceSource[];
};
export type PresenceResult = {
  from: string;
  to: string;
  items: PresenceItem[];
  groups: Array<{ team: string; site: string | null; agents: number }>;
  withheld: Record<string, number>;
};

type AgentRow = {
  id: string;
  agent_id: string;
  name: string;
  team_id: string;
  team_name: string;
  site: string | null;
  region: string;
};

/**
 * @example await presence(db, tenantId, { from, to, team: 'Team A' }, { own: 'eu', sources: [] })
 */
export async function presence(
  db: Kysely<Database>,
  tenantId: string,
  q: { from: Date; to: Date; team?: string | undefined; site?: string | undefined },
  regions: { own: string; sources: readonly TransferSource[] },
): Promise<PresenceResult & { regionsRead: string[] }> {
  const fromMs = q.from.getTime();
  const toMs = q.to.getTime();
  if (!(toMs > fromMs))
    throw new AppError('VALIDATION_FAILED', 'to must be after from', {
      details: { errors: [{ pointer: '/to', message: 'not after from' }] },
    });
  if (toMs - fromMs > MAX_PRESENCE_DAYS * 86_400_000)
    throw new AppError('VALIDATION_FAILED', `the window is longer than ${MAX_PRESENCE_DAYS} days`, {
      details: { errors: [{ pointer: '/to', message: `at most ${MAX_PRESENCE_DAYS} days after from` }] },
    });
  const agentWhere = [sql`a.tenant_id = ${tenantId}`];
  if (q.team) agentWhere.push(sql`(t.name = ${q.team} or t.id::text = ${q.team})`);
  if (q.site) agentWhere.push(sql`a.site = ${q.site}`);
  const agentsSql = sql`select a.id from wfm_agents a join teams t on t.id = a.team_id where ${sql.join(agentWhere, sql` and `)}`;

  const spans = new Map<string, { first: number; last: number; sources: Set<PresenceSource> }>();
  const add = (ref: string, a: number, b: number, source: PresenceSource) => {
    const s = Math.max(a, fromMs);
    const e = Math.min(b, toMs);
    if (e < s) return;
    const cur = spans.get(ref) ?? { first: s, last: e, sources: new Set<PresenceSource>() };
    cur.first = Math.min(cur.first, s);
    cur.last = Math.max(cur.last, e);
    cur.sources.add(source);
    spans.set(ref, cur);
  };

  // Sessions of users linked to agents that overlap the window.
  const sessions = await sql<{ ref: string; created_at: Date; last_seen_at: Date; revoked_at: Date | null }>`
    select a.id as ref, s.created_at, s.last_seen_at, s.revoked_at
    from sessions s join wfm_agents a on a.user_id = s.user_id and a.tenant_id = s.tenant_id
    where s.tenant_id = ${tenantId} and s.created_at < ${q.to} and s.last_seen_at >= ${q.from}
      and a.id in (${agentsSql})`.execute(db);
  for (const s of sessions.rows) {
    const end = Math.min(
      new Date(s.last_seen_at).getTime(),
      s.revoked_at ? new Date(s.revoked_at).getTime() : Number.POSITIVE_INFINITY,
    );
    add(s.ref, new Date(s.created_at).getTime(), end, 'session');
  }

  // Raw adherence events: each state other than logged_out lasts until the agent's next event.
  const events = await sql<{ ref: string; occurred_at: Date; state: string }>`
    select e.agent_ref as ref, e.occurred_at, e.state from wfm_adherence_events e
    where e.tenant_id = ${tenantId} and e.occurred_at >= ${new Date(fromMs - LOOKBACK_MS)}
      and e.occurred_at < ${q.to} and e.agent_ref in (${agentsSql})
    order by e.agent_ref, e.occurred_at`.execute(db);
  for (let i = 0; i < events.rows.length; i++) {
    const ev = events.rows[i]!;
    if (ev.state === 'logged_out') continue;
    const next = events.rows[i + 1];
    const start = new Date(ev.occurred_at).getTime();
    const end = next && next.ref === ev.ref ? new Date(next.occurred_at).getTime() : start;
    add(ev.ref, start, end, 'adherence');
  }

  // Interval aggregates where raw events are gone (before the tenant's "removed before" mark): the
  // raw events are exact to the second, so intervals (15-minute resolution) only fill that gap.
  const horizon = (await loadRetentionSettings(db, tenantId)).rawEventsRemovedBefore;
  const intervals = horizon
    ? await sql<{ ref: string; interval_start: Date }>`
        select i.agent_ref as ref, i.interval_start from wfm_adherence_intervals i
        where i.tenant_id = ${tenantId} and i.state <> 'logged_out' and i.seconds > 0
          and i.interval_start > ${new Date(fromMs - INTERVAL_MS)} and i.interval_start < ${q.to}
          and i.interval_start < ${new Date(horizon)} and i.agent_ref in (${agentsSql})`.execute(db)
    : { rows: [] };
  for (const i of intervals.rows) {
    const s = new Date(i.interval_start).getTime();
    add(i.ref, s, s + INTERVAL_MS, 'adherence');
  }

  const refs = [...spans.keys()];
  const agents: AgentRow[] =
    refs.length === 0
      ? []
      : (
          await sql<AgentRow>`
            select a.id, a.agent_id, a.name, a.team_id, t.name as team_name, a.site, a.region
            from wfm_agents a join teams t on t.id = a.team_id
            where a.tenant_id = ${tenantId} and a.id in (${sql.join(refs.map((r) => sql`cast(${r} as uuid)`))})`.execute(
            db,
          )
        ).rows;
  const readable = new Set([regions.own, ...regions.sources.map((s) => s.from)]);
  const withheld: Record<string, number> = {};
  const items: PresenceItem[] = [];
  for (const a of agents) {
    if (!readable.has(a.region)) {
      withheld[a.region] = (withheld[a.region] ?? 0) + 1;
      continue;
    }
    const s = spans.get(a.id)!;
    items.push({
      agentId: a.agent_id,
      agentName: a.name,
      team: { id: a.team_id, name: a.team_name },
      site: a.site,
      region: a.region,
      firstSeen: new Date(s.first).toISOString(),
      lastSeen: new Date(s.last).toISOString(),
      sources: [...s.sources].sort(),
    });
  }
  const key = (i: PresenceItem) => `${i.team.name}\u0000${i.site ?? ''}\u0000${i.agentId}`;
  items.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
  const groups: PresenceResult['groups'] = [];
  for (const i of items) {
    const g = groups[groups.length - 1];
    if (g && g.team === i.team.name && g.site === i.site) g.agents += 1;
    else groups.push({ team: i.team.name, site: i.site, agents: 1 });
  }
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    items,
    groups,
    withheld: Object.fromEntries(Object.entries(withheld).sort()),
    regionsRead: items.map((i) => i.region),
  };
}
