/**
 * 15-minute adherence aggregates, derived from the raw state events. Used by the adherence import
 * (after writing events) and by the retention job (rolling events up before removing them).
 *
 * Each state lasts until the agent's next event; the latest state of an agent is counted once a
 * later event closes it; `logged_out` is not counted.
 *
 * `wfm_adherence_daily` (seconds per state per agent per UTC day, read by the adherence report) is
 * derived from the intervals: every writer of intervals refreshes the days it touched in the same
 * transaction ({@link refreshDailyAdherence}).
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { newId } from '../../lib/ids.ts';

/** Length of one aggregate interval. */
export const INTERVAL_MS = 15 * 60_000;
const BATCH = 500;

const DAY_MS = 86_400_000;
/** The UTC calendar date holding `ms`. */
const dayOf = (ms: number) => new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

/**
 * Recomputes `wfm_adherence_daily` from `wfm_adherence_intervals` for every UTC day overlapping
 * [fromMs, toMs), for one agent or (no `agentRef`) every agent of the tenant. Returns rows written.
 */
export async function refreshDailyAdherence(
  trx: Kysely<Database>,
  tenantId: string,
  fromMs: number,
  toMs: number,
  agentRef?: string,
): Promise<number> {
  if (toMs <= fromMs) return 0;
  const first = dayOf(fromMs);
  const last = dayOf(toMs - 1);
  const end = dayOf(Date.parse(`${last}T00:00:00Z`) + DAY_MS);
  await trx
    .deleteFrom('wfm_adherence_daily')
    .where('tenant_id', '=', tenantId)
    .$if(agentRef !== undefined, (q) => q.where('agent_ref', '=', agentRef!))
    .where('day', '>=', first)
    .where('day', '<=', last)
    .execute();
  const agent = agentRef === undefined ? sql`` : sql`and agent_ref = ${agentRef}`;
  const out = await sql`
    insert into wfm_adherence_daily (tenant_id, agent_ref, day, state, seconds)
    select tenant_id, agent_ref, cast(interval_start at time zone 'UTC' as date), state, sum(seconds)
    from wfm_adherence_intervals
    where tenant_id = ${tenantId} ${agent}
      and interval_start >= cast(${`${first}T00:00:00Z`} as timestamptz)
      and interval_start < cast(${`${end}T00:00:00Z`} as timestamptz)
    group by 1, 2, 3, 4`.execute(trx);
  return Number(out.numAffectedRows ?? 0);
}

/**
 * Removes the intervals that start before `cutoff` and keeps the daily roll-up equal to what
 * remains (the day holding the cut-off is recomputed). Returns how many intervals were removed.
 */
export async function removeIntervalsBefore(
  trx: Transaction<Database>,
  tenantId: string,
  cutoff: Date,
): Promise<number> {
  const removed = await trx
    .deleteFrom('wfm_adherence_intervals')
    .where('tenant_id', '=', tenantId)
    .where('interval_start', '<', cutoff)
    .executeTakeFirst();
  const n = Number(removed.numDeletedRows);
  // Nothing removed: the roll-up already equals the intervals (every earlier removal kept it so).
  if (n === 0) return 0;
  await trx
    .deleteFrom('wfm_adherence_daily')
    .where('tenant_id', '=', tenantId)
    .where('day', '<', dayOf(cutoff.getTime()))
    .execute();
  if (cutoff.getTime() % DAY_MS !== 0)
    await refreshDailyAdherence(trx, tenantId, cutoff.getTime(), cutoff.getTime() + 1);
  return n;
}

/** The start of the 15-minute interval holding `ms`. */
export const slotOf = (ms: number) => Math.floor(ms / INTERVAL_MS) * INTERVAL_MS;

/**
 * Recomputes one agent's intervals from the interval holding the state that was current at `fromMs`
 * (the agent's event just before it), up to the interval of the agent's last stored event. Intervals
 * outside that range are left alone, so a range whose earlier or later raw events were already
 * removed (retention, or imports that keep no raw events) keeps its aggregates.
 * Returns how many interval rows were written.
 */
export async function rebuildAgentIntervals(
  trx: Transaction<Database>,
  tenantId: string,
  agentRef: string,
  fromMs: number,
): Promise<number> {
  const prev = await trx
    .selectFrom('wfm_adherence_events')
    .select((eb) => eb.fn.max('occurred_at').as('at'))
    .where('tenant_id', '=', tenantId)
    .where('agent_ref', '=', agentRef)
    .where('occurred_at', '<', new Date(fromMs))
    .executeTakeFirst();
  const prevAt = prev?.at ? new Date(prev.at).getTime() : fromMs;
  const lo = slotOf(prevAt);
  const first = await trx
    .selectFrom('wfm_adherence_events')
    .select((eb) => eb.fn.max('occurred_at').as('at'))
    .where('tenant_id', '=', tenantId)
    .where('agent_ref', '=', agentRef)
    .where('occurred_at', '<=', new Date(lo))
    .executeTakeFirst();
  const from = first?.at ? new Date(first.at) : new Date(lo);
  const events = await trx
    .selectFrom('wfm_adherence_events')
    .select(['occurred_at', 'state', 'team_id', 'region'])
    .where('tenant_id', '=', tenantId)
    .where('agent_ref', '=', agentRef)
    .where('occurred_at', '>=', from)
    .orderBy('occurred_at')
    .execute();
  const last = events[events.length - 1];
  if (!last) return 0;
  const hi = slotOf(last.occurred_at.getTime()) + INTERVAL_MS;
  const slots = new Map<
    string,
    { start: number; state: string; seconds: number; team: string; region: string }
  >();
  for (let i = 0; i + 1 < events.length; i++) {
    const ev = events[i]!;
    if (ev.state === 'logged_out') continue;
    const s = Math.max(ev.occurred_at.getTime(), lo);
    const e = events[i + 1]!.occurred_at.getTime();
    for (let slot = slotOf(s); slot < e; slot += INTERVAL_MS) {
      const a = Math.max(s, slot);
      const b = Math.min(e, slot + INTERVAL_MS);
      if (b <= a) continue;
      const key = `${slot}|${ev.state}`;
      const cur = slots.get(key) ?? {
        start: slot,
        state: ev.state,
        seconds: 0,
        team: ev.team_id,
        region: ev.region,
      };
      cur.seconds += (b - a) / 1000;
      cur.team = ev.team_id;
      cur.region = ev.region;
      slots.set(key, cur);
    }
  }
  await trx
    .deleteFrom('wfm_adherence_intervals')
    .where('tenant_id', '=', tenantId)
    .where('agent_ref', '=', agentRef)
    .where('interval_start', '>=', new Date(lo))
    .where('interval_start', '<', new Date(hi))
    .execute();
  const values = [...slots.values()].map((s) => ({
    id: newId(),
    tenant_id: tenantId,
    agent_ref: agentRef,
    team_id: s.team,
    region: s.region,
    interval_start: new Date(s.start),
    state: s.state,
    seconds: s.seconds,
  }));
  for (let i = 0; i < values.length; i += BATCH)
    await trx
      .insertInto('wfm_adherence_intervals')
      .values(values.slice(i, i + BATCH))
      .execute();
  await refreshDailyAdherence(trx, tenantId, lo, hi, agentRef);
  return values.length;
}
