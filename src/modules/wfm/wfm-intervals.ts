/**
 * 15-minute adherence aggregates, derived from the raw state events. Used by the adherence import
 * (after writing events) and by the retention job (rolling events up before removing them).
 *
 * Each state lasts until the agent's next event; the latest state of an agent is counted once a
 * later event closes it; `logged_out` is not counted.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { newId } from '../../lib/ids.ts';

/** Length of one aggregate interval. */
export const INTERVAL_MS = 15 * 60_000;
const BATCH = 500;

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
  return values.length;
}
