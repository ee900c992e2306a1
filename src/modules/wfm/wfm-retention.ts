/**
 * WFM retention and minimization (GDPR Art. 5(1)(c) and (e)), configurable per tenant with
 * privacy-protective defaults: raw adherence state events 7 days, 15-minute interval aggregates
 * 2 years, leavers pseudonymised 3 months after they left, and optionally no raw events at all.
 *
 * A run (the scheduled job in `bulwark serve`, or `bulwark wfm retention run`) works per tenant in
 * one transaction: it rolls raw events older than the cut-off up into intervals first, then removes
 * them (reports keep working); removes intervals past their retention; and pseudonymises leavers
 * (name, external id, user link and home address replaced or destroyed, aggregates kept under a
 * random pseudonym). Its evidence (settings used, cut-offs, counts per category; never a name or an
 * id of a person) goes to the audit log. A dry run does the same work and rolls it back.
 * WFM data has no legal holds.
 */

import { createHmac, randomBytes } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Keyring } from '../../lib/keyring.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Actor } from '../users/users.service.ts';
import { auditActor } from './audited-import.ts';
import { INTERVAL_MS, rebuildAgentIntervals, removeIntervalsBefore, slotOf } from './wfm-intervals.ts';

type Db = Kysely<Database> | Transaction<Database>;

const DAY_MS = 86_400_000;

/** The defaults a tenant has until someone changes them. */
export const RETENTION_DEFAULTS = {
  rawEventDays: 7,
  intervalDays: 730,
  leaverDays: 90,
  captureRawEvents: true,
} as const;

/** Allowed ranges (the migration's CHECKs). */
export const RETENTION_LIMITS = {
  rawEventDays: [1, 366],
  intervalDays: [30, 3660],
  leaverDays: [0, 3660],
} as const;

export type RetentionSettings = {
  rawEventDays: number;
  intervalDays: number;
  leaverDays: number;
  captureRawEvents: boolean;
  /** Raw events before this instant were rolled up and removed (null: none yet). */
  rawEventsRemovedBefore: string | null;
  /** True while the tenant still has the defaults (nobody has set anything). */
  defaults: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
};

export type RetentionPatch = Partial<
  Pick<RetentionSettings, 'rawEventDays' | 'intervalDays' | 'leaverDays' | 'captureRawEvents'>
>;

export type RetentionRunResult = {
  tenantId: string;
  dryRun: boolean;
  settings: Pick<RetentionSettings, 'rawEventDays' | 'intervalDays' | 'leaverDays' | 'captureRawEvents'>;
  cutoffs: { rawEvents: string | null; intervals: string; leavers: string };
  rawEvents: { agentsRolledUp: number; intervalsWritten: number; boundaryEvents: number; removed: number };
  intervals: { removed: number };
  leavers: { pseudonymised: number };
};

/** A tenant's settings (the defaults when it has no row). */
export async function loadRetentionSettings(db: Db, tenantId: string): Promise<RetentionSettings> {
  const row = await db
    .selectFrom('wfm_retention_settings')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  if (!row)
    return {
      ...RETENTION_DEFAULTS,
      rawEventsRemovedBefore: null,
      defaults: true,
      updatedAt: null,
      updatedBy: null,
    };
  return {
    rawEventDays: row.raw_event_days,
    intervalDays: row.interval_days,
    leaverDays: row.leaver_days,
    captureRawEvents: row.capture_raw_events,
    rawEventsRemovedBefore: row.raw_events_removed_before
      ? new Date(row.raw_events_removed_before).toISOString()
      : null,
    defaults: false,
    updatedAt: new Date(row.updated_at).toISOString(),
    updatedBy: row.updated_by,
  };
}

/** Moves the tenant's "raw events removed before" mark forward (never back). */
export async function advanceRawHorizon(trx: Db, tenantId: string, before: Date): Promise<void> {
  await sql`
    insert into wfm_retention_settings (tenant_id, raw_events_removed_before)
    values (${tenantId}, ${before})
    on conflict (tenant_id) do update set raw_events_removed_before =
      greatest(coalesce(wfm_retention_settings.raw_events_removed_before, excluded.raw_events_removed_before),
               excluded.raw_events_removed_before)`.execute(trx);
}

/** Keyed digest of an agent's external id, kept after pseudonymisation to refuse its re-import. */
export function formerKeyDigest(keyring: Pick<Keyring, 'derivedKey'>, tenantId: string, agentId: string) {
  return createHmac('sha256', keyring.derivedKey(tenantId, 'wfm-former-agent-id'))
    .update(agentId, 'utf8')
    .digest('base64url');
}

class DryRunRollback extends Error {
  constructor(readonly result: RetentionRunResult) {
    super('dry run');
  }
}

type Deps = {
  db: Kysely<Database>;
  audit: Pick<AuditService, 'append' | 'appendNow'>;
  keyring: Pick<Keyring, 'derivedKey'>;
  clock: Clock;
};

/**
 * @example
 * const retention = createWfmRetentionService({ db, audit, keyring, clock });
 * await retention.set(actor, { rawEventDays: 3 });
 * const r = await retention.run(actor, { dryRun: true }); // counts, nothing changed
 */
export function createWfmRetentionService({ db, audit, keyring, clock }: Deps) {
  const get = (tenantId: string) => loadRetentionSettings(db, tenantId);

  /** Changes some settings; audited with the old and new values in the same transaction. */
  async function set(actor: Actor, patch: RetentionPatch): Promise<RetentionSettings> {
    for (const key of ['rawEventDays', 'intervalDays', 'leaverDays'] as const) {
      const v = patch[key];
      if (v === undefined) continue;
      const [min, max] = RETENTION_LIMITS[key];
      if (!Number.isInteger(v) || v < min || v > max)
        throw new AppError(
          'VALIDATION_FAILED',
          `${key} must be a whole number of days from ${min} to ${max}`,
          {
            details: { errors: [{ pointer: `/${key}`, message: `${min}-${max} days` }] },
          },
        );
    }
    if (Object.values(patch).every((v) => v === undefined))
      throw new AppError(
        'VALIDATION_FAILED',
        'nothing to change: give rawEventDays, intervalDays, leaverDays or captureRawEvents',
      );
    return db.transaction().execute(async (trx) => {
      const before = await loadRetentionSettings(trx, actor.tenantId);
      const next = {
        raw_event_days: patch.rawEventDays ?? before.rawEventDays,
        interval_days: patch.intervalDays ?? before.intervalDays,
        leaver_days: patch.leaverDays ?? before.leaverDays,
        capture_raw_events: patch.captureRawEvents ?? before.captureRawEvents,
        updated_by: actor.userId,
        updated_at: clock.now(),
      };
      await trx
        .insertInto('wfm_retention_settings')
        .values({ tenant_id: actor.tenantId, ...next })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet(next))
        .execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'wfm.retention.set',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'System', id: null },
        requestId: actor.requestId,
        details: {
          raw_event_days: next.raw_event_days,
          interval_days: next.interval_days,
          leaver_days: next.leaver_days,
          capture_raw_events: next.capture_raw_events,
          previous_raw_event_days: before.rawEventDays,
          previous_interval_days: before.intervalDays,
          previous_leaver_days: before.leaverDays,
          previous_capture_raw_events: before.captureRawEvents,
          channel: actor.channel,
        },
      });
      return loadRetentionSettings(trx, actor.tenantId);
    });
  }

  /** Marks an agent (by the WFM system's id) as having left on `at`; audited without the name. */
  async function leave(actor: Actor, agentId: string, at: Date): Promise<{ id: string; leftAt: string }> {
    if (Number.isNaN(at.getTime())) throw new AppError('VALIDATION_FAILED', 'the leaving date is not a date');
    return db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('wfm_agents')
        .set({ status: 'left', left_at: at, updated_at: clock.now() })
        .where('tenant_id', '=', actor.tenantId)
        .where('agent_id', '=', agentId)
        .where('pseudonymised_at', 'is', null)
        .returning(['id'])
        .executeTakeFirst();
      if (!row)
        throw new AppError('NOT_FOUND', 'no agent with this id (or the agent was already pseudonymised)');
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'wfm.agent.leave',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'WfmAgent', id: row.id },
        requestId: actor.requestId,
        details: { left_at: at.toISOString(), channel: actor.channel },
      });
      return { id: row.id, leftAt: at.toISOString() };
    });
  }

  /** Rolls raw events before `cutoff` (all of them when null) up into intervals, then removes them. */
  async function expireRawEvents(trx: Transaction<Database>, tenantId: string, cutoff: Date | null) {
    const out = { agentsRolledUp: 0, intervalsWritten: 0, boundaryEvents: 0, removed: 0 };
    const old = await trx
      .selectFrom('wfm_adherence_events')
      .select((eb) => [
        'agent_ref',
        eb.fn.min('occurred_at').as('first'),
        eb.fn.max('occurred_at').as('last'),
      ])
      .where('tenant_id', '=', tenantId)
      .$if(cutoff !== null, (q) => q.where('occurred_at', '<', cutoff!))
      .groupBy('agent_ref')
      .execute();
    let latest = 0;
    for (const a of old) {
      const first = new Date(a.first as Date).getTime();
      latest = Math.max(latest, new Date(a.last as Date).getTime());
      if (cutoff !== null) {
        // The state current at the cut-off continues into the events that stay: record it at the
        // cut-off so later roll-ups still know it, but only when a later event closes it (an open
        // state with no later event is never counted, with or without retention).
        const last = await trx
          .selectFrom('wfm_adherence_events')
          .select(['state', 'team_id', 'region'])
          .where('tenant_id', '=', tenantId)
          .where('agent_ref', '=', a.agent_ref)
          .where('occurred_at', '<', cutoff)
          .orderBy('occurred_at', 'desc')
          .limit(1)
          .executeTakeFirstOrThrow();
        const later = await trx
          .selectFrom('wfm_adherence_events')
          .select('occurred_at')
          .where('tenant_id', '=', tenantId)
          .where('agent_ref', '=', a.agent_ref)
          .where('occurred_at', '>=', cutoff)
          .orderBy('occurred_at')
          .limit(1)
          .executeTakeFirst();
        if (last.state !== 'logged_out' && later && later.occurred_at.getTime() > cutoff.getTime()) {
          await trx
            .insertInto('wfm_adherence_events')
            .values({
              id: newId(),
              tenant_id: tenantId,
              agent_ref: a.agent_ref,
              team_id: last.team_id,
              region: last.region,
              occurred_at: cutoff,
              state: last.state,
            })
            .execute();
          out.boundaryEvents += 1;
        }
      }
      out.intervalsWritten += await rebuildAgentIntervals(trx, tenantId, a.agent_ref, first);
      out.agentsRolledUp += 1;
    }
    if (old.length > 0) {
      const del = await trx
        .deleteFrom('wfm_adherence_events')
        .where('tenant_id', '=', tenantId)
        .$if(cutoff !== null, (q) => q.where('occurred_at', '<', cutoff!))
        .executeTakeFirst();
      out.removed = Number(del.numDeletedRows);
      await advanceRawHorizon(trx, tenantId, cutoff ?? new Date(slotOf(latest) + INTERVAL_MS));
    }
    return out;
  }

  /** Replaces a leaver's identifying fields with a random pseudonym; their data rows stay linked. */
  async function pseudonymiseLeavers(trx: Transaction<Database>, tenantId: string, cutoff: Date) {
    const leavers = await trx
      .selectFrom('wfm_agents')
      .select(['id', 'agent_id'])
      .where('tenant_id', '=', tenantId)
      .where('left_at', 'is not', null)
      .where('left_at', '<', cutoff)
      .where('pseudonymised_at', 'is', null)
      .execute();
    const now = clock.now();
    for (const l of leavers) {
      const pseudonym = `former-${randomBytes(8).toString('hex')}`;
      await trx
        .updateTable('wfm_agents')
        .set({
          agent_id: pseudonym,
          name: pseudonym,
          user_id: null,
          home_address_enc: null,
          former_key_digest: formerKeyDigest(keyring, tenantId, l.agent_id),
          pseudonymised_at: now,
          updated_at: now,
        })
        .where('id', '=', l.id)
        .execute();
    }
    return { pseudonymised: leavers.length };
  }

  /**
   * Enforces the tenant's settings once. With `dryRun` the same work is done and rolled back: the
   * counts are what a real run would do now, and nothing changes (the run is still audited).
   */
  async function run(actor: Actor, options: { dryRun?: boolean } = {}): Promise<RetentionRunResult> {
    const dryRun = options.dryRun === true;
    const tenantId = actor.tenantId;
    const work = async (trx: Transaction<Database>): Promise<RetentionRunResult> => {
      const s = await loadRetentionSettings(trx, tenantId);
      const now = clock.now().getTime();
      // Whole 15-minute intervals: the interval holding the cut-off is never split.
      const rawCutoff = s.captureRawEvents ? new Date(slotOf(now - s.rawEventDays * DAY_MS)) : null;
      const intervalCutoff = new Date(slotOf(now - s.intervalDays * DAY_MS));
      const leaverCutoff = new Date(now - s.leaverDays * DAY_MS);
      const rawEvents = await expireRawEvents(trx, tenantId, rawCutoff);
      // The daily roll-up of the report follows in the same transaction.
      const removedIntervals = await removeIntervalsBefore(trx, tenantId, intervalCutoff);
      const leavers = await pseudonymiseLeavers(trx, tenantId, leaverCutoff);
      const result: RetentionRunResult = {
        tenantId,
        dryRun,
        settings: {
          rawEventDays: s.rawEventDays,
          intervalDays: s.intervalDays,
          leaverDays: s.leaverDays,
          captureRawEvents: s.captureRawEvents,
        },
        cutoffs: {
          rawEvents: rawCutoff ? rawCutoff.toISOString() : null,
          intervals: intervalCutoff.toISOString(),
          leavers: leaverCutoff.toISOString(),
        },
        rawEvents,
        intervals: { removed: removedIntervals },
        leavers,
      };
      if (dryRun) throw new DryRunRollback(result);
      await audit.append(trx, evidence(actor, result));
      return result;
    };
    try {
      return await db.transaction().execute(work);
    } catch (e) {
      if (!(e instanceof DryRunRollback)) throw e;
      await audit.appendNow(evidence(actor, e.result));
      return e.result;
    }
  }

  /** The audit event of a run: settings, cut-offs and counts; no person is named. */
  const evidence = (actor: Actor, r: RetentionRunResult) => ({
    tenantId: actor.tenantId,
    action: 'wfm.retention.run',
    outcome: 'success' as const,
    actor: auditActor(actor),
    resource: { type: 'System', id: null },
    requestId: actor.requestId,
    details: {
      dry_run: r.dryRun,
      raw_event_days: r.settings.rawEventDays,
      interval_days: r.settings.intervalDays,
      leaver_days: r.settings.leaverDays,
      capture_raw_events: r.settings.captureRawEvents,
      raw_events_cutoff: r.cutoffs.rawEvents ?? 'all',
      intervals_cutoff: r.cutoffs.intervals,
      leavers_cutoff: r.cutoffs.leavers,
      raw_events_agents_rolled_up: r.rawEvents.agentsRolledUp,
      raw_events_intervals_written: r.rawEvents.intervalsWritten,
      raw_events_boundary_events: r.rawEvents.boundaryEvents,
      raw_events_removed: r.rawEvents.removed,
      intervals_removed: r.intervals.removed,
      leavers_pseudonymised: r.leavers.pseudonymised,
      channel: actor.channel,
    },
  });

  return { get, set, leave, run };
}

export type WfmRetentionService = ReturnType<typeof createWfmRetentionService>;
