/**
 * Retention of recordings: policies by kind, region and tag, and the purge that crypto-shreds and
 * deletes what has expired. Which policy applies to a recording: of the policies whose selectors all
 * match (a NULL selector matches anything), the most specific one (most selectors set); among
 * equally specific ones, the longest retention, so a recording is never deleted earlier than an
 * equally specific policy asks. A recording no policy matches is kept (deleting data nobody decided
 * to delete is not a default a vault should have). Legal holds always win.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, RetentionPoliciesTable } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Actor } from '../users/users.service.ts';
import type { RecordingsService } from './recordings.service.ts';

export type RetentionPolicy = {
  id: string;
  kind: 'audio' | 'screen' | null;
  region: string | null;
  tag: string | null;
  retainDays: number;
};

export type PurgeResult = {
  examined: number;
  purged: Array<{ id: string; policyId: string; bytes: number }>;
  /** Expired but kept because of a legal hold. */
  held: string[];
  failed: Array<{ id: string; reason: string }>;
  dryRun: boolean;
};

type Row = Selectable<RetentionPoliciesTable>;
type Deps = {
  db: Kysely<Database>;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
  recordings: Pick<RecordingsService, 'remove' | 'isHeld'>;
};

const DAY_MS = 86_400_000;
const PURGE_BATCH = 500;

const view = (r: Row): RetentionPolicy => ({
  id: r.id,
  kind: r.kind,
  region: r.region,
  tag: r.tag,
  retainDays: r.retain_days,
});

/** The policy that decides for a recording, or undefined when none matches (the recording is kept). */
export function effectivePolicy(
  policies: readonly RetentionPolicy[],
  rec: { kind: string; region: string; tags: readonly string[] },
): RetentionPolicy | undefined {
  let best: RetentionPolicy | undefined;
  let bestSpecificity = -1;
  for (const p of policies) {
    if (p.kind !== null && p.kind !== rec.kind) continue;
    if (p.region !== null && p.region !== rec.region) continue;
    if (p.tag !== null && !rec.tags.includes(p.tag)) continue;
    const specificity = (p.kind ? 1 : 0) + (p.region ? 1 : 0) + (p.tag ? 1 : 0);
    if (
      specificity > bestSpecificity ||
      (specificity === bestSpecificity && p.retainDays > best!.retainDays)
    ) {
      best = p;
      bestSpecificity = specificity;
    }
  }
  return best;
}

export function createRetentionService({ db, audit, clock, recordings }: Deps) {
  const auditActor = (a: Actor) => ({ userId: a.userId, roles: a.roles, sessionId: a.sessionId, ip: a.ip });

  async function list(tenantId: string): Promise<RetentionPolicy[]> {
    const rows = await db
      .selectFrom('retention_policies')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .execute();
    return rows.map(view);
  }

  /** Creates or replaces the policy for exactly this selector (kind, region, tag). */
  async function set(
    actor: Actor,
    input: {
      kind?: 'audio' | 'screen' | null;
      region?: string | null;
      tag?: string | null;
      retainDays: number;
    },
  ): Promise<RetentionPolicy> {
    const kind = input.kind ?? null;
    const region = input.region ?? null;
    const tag = input.tag ?? null;
    if (!Number.isInteger(input.retainDays) || input.retainDays < 1 || input.retainDays > 36_500)
      throw new AppError('VALIDATION_FAILED', 'retainDays must be a whole number from 1 to 36500');
    return db.transaction().execute(async (trx) => {
      let q = trx.selectFrom('retention_policies').selectAll().where('tenant_id', '=', actor.tenantId);
      q = kind === null ? q.where('kind', 'is', null) : q.where('kind', '=', kind);
      q = region === null ? q.where('region', 'is', null) : q.where('region', '=', region);
      q = tag === null ? q.where('tag', 'is', null) : q.where('tag', '=', tag);
      const existing = await q.forUpdate().executeTakeFirst();
      const id = existing?.id ?? newId();
      if (existing)
        await trx
          .updateTable('retention_policies')
          .set({ retain_days: input.retainDays, updated_at: clock.now() })
          .where('id', '=', id)
          .execute();
      else
        await trx
          .insertInto('retention_policies')
          .values({
            id,
            tenant_id: actor.tenantId,
            kind,
            region,
            tag,
            retain_days: input.retainDays,
            updated_at: clock.now(),
          })
          .execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'retention.set',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'RetentionPolicy', id },
        requestId: actor.requestId,
        details: {
          kind,
          region,
          tag,
          retainDays: input.retainDays,
          previousDays: existing?.retain_days ?? null,
          channel: actor.channel,
        },
      });
      return { id, kind, region, tag, retainDays: input.retainDays };
    });
  }

  async function remove(actor: Actor, id: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const res = await trx
        .deleteFrom('retention_policies')
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) throw new AppError('NOT_FOUND', 'No such retention policy.');
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'retention.delete',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'RetentionPolicy', id },
        requestId: actor.requestId,
        details: { channel: actor.channel },
      });
    });
  }

  /**
   * Crypto-shreds and deletes every recording of the tenant whose retention has expired, skipping
   * those under legal hold. Each deletion is its own transaction with its audit evidence; a failure
   * is listed and the purge carries on. `dryRun` reports without deleting.
   */
  async function purge(actor: Actor, options: { dryRun?: boolean } = {}): Promise<PurgeResult> {
    const result: PurgeResult = {
      examined: 0,
      purged: [],
      held: [],
      failed: [],
      dryRun: options.dryRun === true,
    };
    const policies = await list(actor.tenantId);
    if (policies.length === 0) return result;
    const now = clock.now().getTime();
    const shortest = Math.min(...policies.map((p) => p.retainDays));
    const olderThan = new Date(now - shortest * DAY_MS);
    let after: { startedAt: Date; id: string } | undefined;
    for (;;) {
      let q = db
        .selectFrom('recordings')
        .select(['id', 'kind', 'region', 'tags', 'started_at', 'plaintext_bytes'])
        .where('tenant_id', '=', actor.tenantId)
        .where('status', '<>', 'deleted')
        .where('started_at', '<', olderThan);
      if (after) {
        const a = after;
        q = q.where((eb) =>
          eb.or([
            eb('started_at', '>', a.startedAt),
            eb.and([eb('started_at', '=', a.startedAt), eb('id', '>', a.id)]),
          ]),
        );
      }
      const rows = await q.orderBy('started_at').orderBy('id').limit(PURGE_BATCH).execute();
      if (rows.length === 0) break;
      const last = rows[rows.length - 1]!;
      after = { startedAt: last.started_at, id: last.id };
      for (const r of rows) {
        result.examined += 1;
        const policy = effectivePolicy(policies, r);
        if (!policy || r.started_at.getTime() + policy.retainDays * DAY_MS > now) continue;
        if (await recordings.isHeld(db, r.id)) {
          result.held.push(r.id);
          continue;
        }
        if (result.dryRun) {
          result.purged.push({ id: r.id, policyId: policy.id, bytes: r.plaintext_bytes });
          continue;
        }
        try {
          await recordings.remove(actor, r.id, {
            kind: 'retention',
            purpose: `retention policy ${policy.id}: ${policy.retainDays} days`,
            policyId: policy.id,
          });
          result.purged.push({ id: r.id, policyId: policy.id, bytes: r.plaintext_bytes });
        } catch (e) {
          // A hold placed since the check above, or a concurrent deletion: report, never force.
          result.failed.push({ id: r.id, reason: e instanceof Error ? e.message : 'unknown error' });
        }
      }
    }
    if (!result.dryRun)
      await db.transaction().execute((trx) =>
        audit.append(trx, {
          tenantId: actor.tenantId,
          action: 'retention.purge',
          outcome: result.failed.length === 0 ? 'success' : 'failure',
          actor: auditActor(actor),
          resource: { type: 'Recording' },
          requestId: actor.requestId,
          details: {
            examined: result.examined,
            purged: result.purged.length,
            held: result.held.length,
            failed: result.failed.length,
            channel: actor.channel,
          },
        }),
      );
    return result;
  }

  return { list, set, remove, purge };
}

export type RetentionService = ReturnType<typeof createRetentionService>;
