/**
 * Shift-swap marketplace (issue 6): an agent offers one of their own schedule segments, an agent of
 * the same team claims it (first claim wins), and a supervisor of the team or a WFM manager approves
 * (the segment moves to the claimant) or rejects. Every change is written in one transaction with its
 * audit event.
 *
 * Privacy: an offer is an opaque random id with the shift's time, team and activity. The offering
 * agent's identity, the schedule row and the note reach only the offerer and whoever decides; the
 * claimant's identity only the claimant and whoever decides. Nothing here reads absence reasons,
 * adherence or metrics; the overlap check reads the claimant's own schedule and absence dates only.
 *
 * Routes authorize with Cedar (`swap.*` on the offered segment as a `Schedule` whose `agentUserId` is
 * the offerer) before calling these functions; the functions enforce the rules Cedar cannot see
 * (status, expiry, overlap, the claimant's WFM record in the team).
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import type { PrincipalSlice, ResourceSlice } from '../access/authorizer.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Actor } from '../users/users.service.ts';

type Db = Kysely<Database> | Transaction<Database>;

export type StoredSwapStatus = 'open' | 'claimed' | 'approved' | 'rejected' | 'withdrawn';
/** `expired`: open or claimed when the shift started (computed from the clock, never stored). */
export type SwapStatus = StoredSwapStatus | 'expired';

/** What any agent of the team sees: no person, no schedule row, no note. */
export type SwapMarketView = {
  id: string;
  team: { id: string; name: string };
  start: string;
  end: string;
  activity: string;
  status: SwapStatus;
};
/** The offerer's or the claimant's own view: their side only, never the other person. */
export type SwapOwnView = SwapMarketView & {
  role: 'offerer' | 'claimant';
  /** The offered segment (offerer only). */
  scheduleId: string | null;
  /** The offerer's note (offerer only). */
  note: string | null;
  claimed: boolean;
  claimedAt: string | null;
  decidedAt: string | null;
};
type Person = { agentId: string; name: string; userId: string };
/** What the deciding supervisor or WFM manager sees. */
export type SwapDecisionView = SwapMarketView & {
  scheduleId: string;
  note: string | null;
  offeredBy: Person;
  claimedBy: Person | null;
  claimedAt: string | null;
  decidedAt: string | null;
};

/** One stored offer with its team name (internal; never returned as is). */
type SwapRow = {
  id: string;
  tenant_id: string;
  schedule_id: string;
  team_id: string;
  team_name: string;
  region: string;
  starts_at: Date | string;
  ends_at: Date | string;
  activity: string;
  offered_by_agent: string;
  offered_by_user: string;
  note: string | null;
  status: StoredSwapStatus;
  claimed_by_agent: string | null;
  claimed_by_user: string | null;
  claimed_at: Date | string | null;
  decided_by: string | null;
  decided_at: Date | string | null;
};

/** An offer as the routes need it: the Cedar resource and who is on each side. */
export type SwapTarget = {
  id: string;
  resource: ResourceSlice;
  offeredByUser: string;
  claimedByUser: string | null;
};

const iso = (v: Date | string) => (v instanceof Date ? v : new Date(v)).toISOString();
const isoOrNull = (v: Date | string | null) => (v === null ? null : iso(v));
const notFound = () => new AppError('NOT_FOUND', 'No shift-swap offer has this id.');

type Deps = {
  db: Kysely<Database>;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
};

/**
 * @example
 * const swaps = createSwapsService({ db, audit, clock });
 * const target = await swaps.scheduleTarget(tenantId, scheduleId); // then authorize swap.offer
 * const offer = await swaps.offer(actor, scheduleId, 'dentist');
 */
export function createSwapsService({ db, audit, clock }: Deps) {
  const auditActor = (a: Actor) => ({ userId: a.userId, roles: a.roles, sessionId: a.sessionId, ip: a.ip });

  const statusOf = (r: SwapRow, now: Date): SwapStatus =>
    (r.status === 'open' || r.status === 'claimed') && new Date(r.starts_at).getTime() <= now.getTime()
      ? 'expired'
      : r.status;

  const market = (r: SwapRow, now: Date): SwapMarketView => ({
    id: r.id,
    team: { id: r.team_id, name: r.team_name },
    start: iso(r.starts_at),
    end: iso(r.ends_at),
    activity: r.activity,
    status: statusOf(r, now),
  });

  const ownView = (r: SwapRow, userId: string, now: Date): SwapOwnView => {
    const offerer = r.offered_by_user === userId;
    return {
      ...market(r, now),
      role: offerer ? 'offerer' : 'claimant',
      scheduleId: offerer ? r.schedule_id : null,
      note: offerer ? r.note : null,
      claimed: r.claimed_by_user !== null,
      claimedAt: isoOrNull(r.claimed_at),
      decidedAt: isoOrNull(r.decided_at),
    };
  };

  const selectSwaps = (trx: Db) =>
    trx
      .selectFrom('wfm_shift_swaps as s')
      .innerJoin('teams as t', 't.id', 's.team_id')
      .select([
        's.id',
        's.tenant_id',
        's.schedule_id',
        's.team_id',
        't.name as team_name',
        's.region',
        's.starts_at',
        's.ends_at',
        's.activity',
        's.offered_by_agent',
        's.offered_by_user',
        's.note',
        's.status',
        's.claimed_by_agent',
        's.claimed_by_user',
        's.claimed_at',
        's.decided_by',
        's.decided_at',
      ]);

  async function load(trx: Db, tenantId: string, id: string): Promise<SwapRow> {
    if (!isUuid(id)) throw notFound();
    const row = await selectSwaps(trx)
      .where('s.tenant_id', '=', tenantId)
      .where('s.id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound();
    return row as SwapRow;
  }

  async function decisionView(trx: Db, r: SwapRow, now: Date): Promise<SwapDecisionView> {
    const ids = [r.offered_by_agent, ...(r.claimed_by_agent ? [r.claimed_by_agent] : [])];
    const agents = await trx
      .selectFrom('wfm_agents')
      .select(['id', 'agent_id', 'name', 'user_id'])
      .where('tenant_id', '=', r.tenant_id)
      .where('id', 'in', ids)
      .execute();
    const person = (agentRef: string, userId: string): Person => {
      const a = agents.find((x) => x.id === agentRef);
      return { agentId: a?.agent_id ?? '', name: a?.name ?? '', userId };
    };
    return {
      ...market(r, now),
      scheduleId: r.schedule_id,
      note: r.note,
      offeredBy: person(r.offered_by_agent, r.offered_by_user),
      claimedBy:
        r.claimed_by_agent && r.claimed_by_user ? person(r.claimed_by_agent, r.claimed_by_user) : null,
      claimedAt: isoOrNull(r.claimed_at),
      decidedAt: isoOrNull(r.decided_at),
    };
  }

  /** The segment to offer, as a Cedar resource (`agentUserId`: the agent it is scheduled for). */
  async function scheduleTarget(tenantId: string, scheduleId: string): Promise<ResourceSlice> {
    const row = isUuid(scheduleId)
      ? await db
          .selectFrom('wfm_schedules as s')
          .innerJoin('wfm_agents as a', 'a.id', 's.agent_ref')
          .select(['s.id', 's.team_id', 's.region', 'a.user_id'])
          .where('s.tenant_id', '=', tenantId)
          .where('s.id', '=', scheduleId)
          .executeTakeFirst()
      : undefined;
    if (!row) throw new AppError('NOT_FOUND', 'No schedule segment has this scheduleId.');
    return {
      type: 'Schedule',
      id: row.id,
      tenantId,
      region: row.region,
      team: row.team_id,
      agentUserId: row.user_id ?? '',
    };
  }

  /** An offer as a Cedar resource: the offered segment, its team and the offering agent. */
  async function target(tenantId: string, id: string): Promise<SwapTarget> {
    const r = await load(db, tenantId, id);
    return {
      id: r.id,
      resource: {
        type: 'Schedule',
        id: r.id,
        tenantId,
        region: r.region,
        team: r.team_id,
        agentUserId: r.offered_by_user,
      },
      offeredByUser: r.offered_by_user,
      claimedByUser: r.claimed_by_user,
    };
  }

  const event = (
    actor: Actor,
    action: string,
    r: { id: string; team_id: string },
    details: Record<string, string | number | boolean | null> = {},
  ) => ({
    tenantId: actor.tenantId,
    action,
    outcome: 'allow' as const,
    actor: auditActor(actor),
    resource: { type: 'ShiftSwap', id: r.id },
    requestId: actor.requestId,
    details: { team: r.team_id, channel: actor.channel, ...details },
  });

  /**
   * Offers the caller's own segment (the route has authorized `swap.offer` on it). Refused when the
   * shift has started or already has a live offer.
   */
  async function offer(actor: Actor, scheduleId: string, note: string | null): Promise<SwapOwnView> {
    const now = clock.now();
    return db.transaction().execute(async (trx) => {
      const seg = await trx
        .selectFrom('wfm_schedules as s')
        .innerJoin('wfm_agents as a', 'a.id', 's.agent_ref')
        .select([
          's.id',
          's.team_id',
          's.region',
          's.starts_at',
          's.ends_at',
          's.activity',
          'a.id as agent_ref',
        ])
        .select(['a.user_id', 'a.status as agent_status'])
        .where('s.tenant_id', '=', actor.tenantId)
        .where('s.id', '=', scheduleId)
        .executeTakeFirst();
      if (!seg || seg.user_id !== actor.userId)
        throw new AppError('NOT_FOUND', 'No schedule segment of yours has this scheduleId.');
      if (seg.agent_status !== 'active')
        throw new AppError('CONFLICT', 'Your WFM record is marked as left; shifts can no longer be offered.');
      if (new Date(seg.starts_at).getTime() <= now.getTime())
        throw new AppError('CONFLICT', 'This shift has already started; only future shifts can be offered.');
      const live = await trx
        .selectFrom('wfm_shift_swaps')
        .select('id')
        .where('tenant_id', '=', actor.tenantId)
        .where('schedule_id', '=', scheduleId)
        .where('status', 'in', ['open', 'claimed'])
        .executeTakeFirst();
      if (live)
        throw new AppError(
          'CONFLICT',
          `This shift is already offered (offer ${live.id}); withdraw it first.`,
          {
            details: { offerId: live.id },
          },
        );
      const id = newId();
      const inserted = await trx
        .insertInto('wfm_shift_swaps')
        .values({
          id,
          tenant_id: actor.tenantId,
          schedule_id: seg.id,
          team_id: seg.team_id,
          region: seg.region,
          starts_at: seg.starts_at,
          ends_at: seg.ends_at,
          activity: seg.activity,
          offered_by_agent: seg.agent_ref,
          offered_by_user: actor.userId!,
          note,
          status: 'open',
          created_at: now,
          updated_at: now,
        })
        // A concurrent offer of the same segment (the partial unique index) is a conflict, not a 500.
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'schedule_id']).where('status', 'in', ['open', 'claimed']).doNothing(),
        )
        .returning('id')
        .executeTakeFirst();
      if (!inserted)
        throw new AppError('CONFLICT', 'This shift was offered at the same moment; list your offers.');
      await audit.append(
        trx,
        event(actor, 'wfm.swap.offer', { id, team_id: seg.team_id }, { schedule: seg.id }),
      );
      return ownView(await load(trx, actor.tenantId, id), actor.userId!, now);
    });
  }

  /** Why a claim cannot take this shift: one of the claimant's own segments, absences or claims overlaps it. */
  async function overlapOf(
    trx: Db,
    tenantId: string,
    userId: string,
    r: SwapRow,
    pendingClaims: boolean,
  ): Promise<string | null> {
    const starts = new Date(r.starts_at);
    const ends = new Date(r.ends_at);
    const shift = await trx
      .selectFrom('wfm_schedules as s')
      .innerJoin('wfm_agents as a', 'a.id', 's.agent_ref')
      .select(['s.starts_at', 's.ends_at'])
      .where('s.tenant_id', '=', tenantId)
      .where('a.user_id', '=', userId)
      .where('s.id', '!=', r.schedule_id)
      .where('s.starts_at', '<', ends)
      .where('s.ends_at', '>', starts)
      .orderBy('s.starts_at')
      .executeTakeFirst();
    if (shift) return `it overlaps your shift ${iso(shift.starts_at)} to ${iso(shift.ends_at)}`;
    // An absence covers whole UTC days: [start_date 00:00Z, end_date + 1 day 00:00Z).
    const absence = await trx
      .selectFrom('wfm_absences as b')
      .innerJoin('wfm_agents as a', 'a.id', 'b.agent_ref')
      .select([
        sql<string>`b.start_date::text`.as('start_date'),
        sql<string>`b.end_date::text`.as('end_date'),
      ])
      .where('b.tenant_id', '=', tenantId)
      .where('a.user_id', '=', userId)
      .where(sql<boolean>`(b.start_date::timestamp at time zone 'UTC') < ${ends}`)
      .where(sql<boolean>`((b.end_date + 1)::timestamp at time zone 'UTC') > ${starts}`)
      .executeTakeFirst();
    if (absence) return `it overlaps your absence ${absence.start_date} to ${absence.end_date}`;
    if (!pendingClaims) return null;
    const claim = await trx
      .selectFrom('wfm_shift_swaps')
      .select(['id', 'starts_at', 'ends_at'])
      .where('tenant_id', '=', tenantId)
      .where('claimed_by_user', '=', userId)
      .where('status', '=', 'claimed')
      .where('id', '!=', r.id)
      .where('starts_at', '<', ends)
      .where('ends_at', '>', starts)
      .executeTakeFirst();
    if (claim)
      return `it overlaps your pending claim ${claim.id} (${iso(claim.starts_at)} to ${iso(claim.ends_at)})`;
    return null;
  }

  /** Explains why a conditional update matched nothing (re-read after the race was lost). */
  function unavailable(r: SwapRow, now: Date, wanted: string): AppError {
    const status = statusOf(r, now);
    const why =
      status === 'expired'
        ? 'the shift has started, so the offer expired'
        : status === 'claimed'
          ? 'it has already been claimed'
          : status === 'open'
            ? 'nobody has claimed it yet'
            : `it was ${status}`;
    return new AppError('CONFLICT', `This offer cannot be ${wanted}: ${why}.`, { details: { status } });
  }

  /**
   * Claims an open offer for the caller (the route has authorized `swap.claim`: an agent of the
   * shift's team, not the offerer). The caller needs an active WFM record in the shift's team and no
   * own segment, absence or pending claim overlapping it. First claim wins: the status changes only
   * from `open`, in one conditional UPDATE.
   */
  async function claim(actor: Actor, id: string): Promise<SwapOwnView> {
    const now = clock.now();
    const userId = actor.userId!;
    return db.transaction().execute(async (trx) => {
      const r = await load(trx, actor.tenantId, id);
      if (r.offered_by_user === userId) throw new AppError('CONFLICT', 'You cannot claim your own offer.');
      if (statusOf(r, now) !== 'open') throw unavailable(r, now, 'claimed');
      const agent = await trx
        .selectFrom('wfm_agents')
        .select('id')
        .where('tenant_id', '=', actor.tenantId)
        .where('user_id', '=', userId)
        .where('team_id', '=', r.team_id)
        .where('status', '=', 'active')
        .orderBy('id')
        .executeTakeFirst();
      if (!agent)
        throw new AppError(
          'FORBIDDEN',
          "You can claim only shifts of your own team: no active WFM agent record of yours is in this shift's team.",
        );
      const overlap = await overlapOf(trx, actor.tenantId, userId, r, true);
      if (overlap) throw new AppError('CONFLICT', `You cannot claim this shift: ${overlap}.`);
      const won = await trx
        .updateTable('wfm_shift_swaps')
        .set({
          status: 'claimed',
          claimed_by_agent: agent.id,
          claimed_by_user: userId,
          claimed_at: now,
          updated_at: now,
        })
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', r.id)
        .where('status', '=', 'open')
        .where('starts_at', '>', now)
        .returning('id')
        .executeTakeFirst();
      if (!won) throw unavailable(await load(trx, actor.tenantId, r.id), now, 'claimed');
      await audit.append(trx, event(actor, 'wfm.swap.claim', r));
      return ownView(await load(trx, actor.tenantId, r.id), userId, now);
    });
  }

  /** The offerer withdraws an open or claimed offer before it is decided (route: `swap.withdraw`). */
  async function withdraw(actor: Actor, id: string): Promise<SwapOwnView> {
    const now = clock.now();
    const userId = actor.userId!;
    return db.transaction().execute(async (trx) => {
      const r = await load(trx, actor.tenantId, id);
      if (r.offered_by_user !== userId) throw notFound();
      const done = await trx
        .updateTable('wfm_shift_swaps')
        .set({ status: 'withdrawn', updated_at: now })
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', r.id)
        .where('status', 'in', ['open', 'claimed'])
        .where('starts_at', '>', now)
        .returning('id')
        .executeTakeFirst();
      if (!done) throw unavailable(await load(trx, actor.tenantId, r.id), now, 'withdrawn');
      await audit.append(trx, event(actor, 'wfm.swap.withdraw', r, { was_claimed: r.status === 'claimed' }));
      return ownView(await load(trx, actor.tenantId, r.id), userId, now);
    });
  }

  /**
   * Approves a claimed offer (route: `swap.approve`; never one's own shift or claim). In one
   * transaction: the offer becomes `approved` only from `claimed` and before the shift starts, the
   * claimant's overlap is checked again, the segment moves to the claimant's WFM record only while it
   * is unchanged and still the offerer's, and the audit event is appended.
   */
  async function approve(actor: Actor, id: string): Promise<SwapDecisionView> {
    const now = clock.now();
    return db.transaction().execute(async (trx) => {
      const r = await load(trx, actor.tenantId, id);
      if (r.claimed_by_user === actor.userId || r.offered_by_user === actor.userId)
        throw new AppError(
          'FORBIDDEN',
          'You cannot decide a swap you are part of; another supervisor decides.',
        );
      const done = await trx
        .updateTable('wfm_shift_swaps')
        .set({ status: 'approved', decided_by: actor.userId, decided_at: now, updated_at: now })
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', r.id)
        .where('status', '=', 'claimed')
        .where('starts_at', '>', now)
        .returning(['claimed_by_agent', 'claimed_by_user'])
        .executeTakeFirst();
      if (!done) throw unavailable(await load(trx, actor.tenantId, r.id), now, 'approved');
      const claimant = await trx
        .selectFrom('wfm_agents')
        .select(['id', 'region', 'team_id', 'status'])
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', done.claimed_by_agent!)
        .executeTakeFirstOrThrow();
      if (claimant.status !== 'active' || claimant.team_id !== r.team_id)
        throw new AppError(
          'CONFLICT',
          "The claimant is no longer an active member of the shift's team; reject this swap.",
        );
      const overlap = await overlapOf(trx, actor.tenantId, done.claimed_by_user!, r, false);
      if (overlap)
        throw new AppError(
          'CONFLICT',
          `The claimant can no longer take this shift: ${overlap.replaceAll('your', 'their')}; reject this swap.`,
        );
      const moved = await trx
        .updateTable('wfm_schedules')
        .set({ agent_ref: claimant.id, region: claimant.region })
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', r.schedule_id)
        .where('agent_ref', '=', r.offered_by_agent)
        .where('starts_at', '=', new Date(r.starts_at))
        .where('ends_at', '=', new Date(r.ends_at))
        .where('activity', '=', r.activity)
        .returning('id')
        .executeTakeFirst();
      if (!moved)
        throw new AppError(
          'CONFLICT',
          'The offered shift changed or moved since it was offered (for example by a new schedule import); reject this swap.',
        );
      await audit.append(
        trx,
        event(actor, 'wfm.swap.approve', r, {
          schedule: r.schedule_id,
          from_agent: r.offered_by_agent,
          to_agent: claimant.id,
          from_user: r.offered_by_user,
          to_user: done.claimed_by_user,
        }),
      );
      return decisionView(trx, await load(trx, actor.tenantId, r.id), now);
    });
  }

  /** Rejects an open or claimed offer (route: `swap.approve`); the shift stays with the offerer. */
  async function reject(actor: Actor, id: string): Promise<SwapDecisionView> {
    const now = clock.now();
    return db.transaction().execute(async (trx) => {
      const r = await load(trx, actor.tenantId, id);
      if (r.claimed_by_user === actor.userId || r.offered_by_user === actor.userId)
        throw new AppError(
          'FORBIDDEN',
          'You cannot decide a swap you are part of; another supervisor decides.',
        );
      const done = await trx
        .updateTable('wfm_shift_swaps')
        .set({ status: 'rejected', decided_by: actor.userId, decided_at: now, updated_at: now })
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', r.id)
        .where('status', 'in', ['open', 'claimed'])
        .where('starts_at', '>', now)
        .returning('id')
        .executeTakeFirst();
      if (!done) throw unavailable(await load(trx, actor.tenantId, r.id), now, 'rejected');
      await audit.append(trx, event(actor, 'wfm.swap.reject', r, { was_claimed: r.status === 'claimed' }));
      return decisionView(trx, await load(trx, actor.tenantId, r.id), now);
    });
  }

  /**
   * The marketplace as the caller may see it (the route has authorized `swap.list`):
   * - `available`: open, unexpired offers of teams the caller belongs to (Bulwark team membership and
   *   an active WFM record in the team), not their own; agents only; time, team and activity only.
   * - `mine`: offers the caller made or claimed (agents), each with their own side only.
   * - `toDecide`: claimed, unexpired offers of the teams a supervisor supervises (every team for a
   *   WFM manager), with both people; never a swap the caller is part of.
   */
  async function list(p: PrincipalSlice): Promise<{
    available: SwapMarketView[];
    mine: SwapOwnView[];
    toDecide: SwapDecisionView[];
  }> {
    const now = clock.now();
    const isAgent = p.roles.includes('agent');
    const teams = p.teams;
    const out = {
      available: [] as SwapMarketView[],
      mine: [] as SwapOwnView[],
      toDecide: [] as SwapDecisionView[],
    };
    if (isAgent && teams.length > 0) {
      const rows = await selectSwaps(db)
        .where('s.tenant_id', '=', p.tenantId)
        .where('s.status', '=', 'open')
        .where('s.starts_at', '>', now)
        .where('s.offered_by_user', '!=', p.id)
        .where('s.team_id', 'in', teams)
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('wfm_agents as a')
              .select('a.id')
              .whereRef('a.team_id', '=', 's.team_id')
              .where('a.tenant_id', '=', p.tenantId)
              .where('a.user_id', '=', p.id)
              .where('a.status', '=', 'active'),
          ),
        )
        .orderBy('s.starts_at')
        .orderBy('s.id')
        .limit(200)
        .execute();
      out.available = rows.map((r) => market(r as SwapRow, now));
    }
    if (isAgent) {
      const rows = await selectSwaps(db)
        .where('s.tenant_id', '=', p.tenantId)
        .where((eb) => eb.or([eb('s.offered_by_user', '=', p.id), eb('s.claimed_by_user', '=', p.id)]))
        .orderBy('s.starts_at', 'desc')
        .orderBy('s.id')
        .limit(200)
        .execute();
      out.mine = rows.map((r) => ownView(r as SwapRow, p.id, now));
    }
    const manager = p.roles.includes('wfm_manager');
    const supervised = p.roles.includes('supervisor') ? teams : [];
    if (manager || supervised.length > 0) {
      let q = selectSwaps(db)
        .where('s.tenant_id', '=', p.tenantId)
        .where('s.status', '=', 'claimed')
        .where('s.starts_at', '>', now)
        .where('s.offered_by_user', '!=', p.id)
        .where('s.claimed_by_user', '!=', p.id);
      if (!manager) q = q.where('s.team_id', 'in', supervised);
      const rows = await q.orderBy('s.starts_at').orderBy('s.id').limit(200).execute();
      for (const r of rows) out.toDecide.push(await decisionView(db, r as SwapRow, now));
    }
    return out;
  }

  return { scheduleTarget, target, offer, claim, withdraw, approve, reject, list };
}

export type SwapsService = ReturnType<typeof createSwapsService>;
