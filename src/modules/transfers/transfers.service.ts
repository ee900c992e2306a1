/**
 * Cross-border transfer mechanisms (GDPR Chapter V): personal data whose residency region is
 * `from` may be read by a user of region `to` only while a mechanism (an adequacy decision, standard
 * contractual clauses or binding corporate rules) is recorded for that pair. Recording and revoking
 * one is audited in the same transaction; a revocation takes effect on the next read (nothing is
 * cached). The reads that enforce it (the WFM lists and presence) ask {@link TransfersService.sourcesFor}.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Actor } from '../users/users.service.ts';

export const TRANSFER_MECHANISMS = ['adequacy', 'scc', 'bcr'] as const;
export type TransferMechanismKind = (typeof TRANSFER_MECHANISMS)[number];
export const REGION_RE = /^[a-z]{2}(-[a-z0-9-]{1,30})?$/;

export type TransferMechanism = {
  id: string;
  from: string;
  to: string;
  mechanism: TransferMechanismKind;
  reference: string | null;
  createdAt: string;
  createdBy: string | null;
  revokedAt: string | null;
};

/** A region whose data a reader's region may receive, and under which mechanism. */
export type TransferSource = { from: string; mechanism: TransferMechanismKind; id: string };

type Deps = { db: Kysely<Database>; audit: Pick<AuditService, 'append'>; clock: Clock };

const auditActor = (a: Actor) => ({ userId: a.userId, roles: a.roles, sessionId: a.sessionId, ip: a.ip });

function checkRegion(value: string, pointer: string): string {
  const v = value.trim().toLowerCase();
  if (!REGION_RE.test(v))
    throw new AppError(
      'VALIDATION_FAILED',
      `${pointer.slice(1)}: a region looks like "eu", "us" or "eu-west"`,
      {
        details: { errors: [{ pointer, message: 'not a region' }] },
      },
    );
  return v;
}

/**
 * @example
 * const transfers = createTransfersService({ db, audit, clock });
 * await transfers.allow(actor, { from: 'us', to: 'eu', mechanism: 'scc', reference: 'DPA 2026-04' });
 * await transfers.sourcesFor(tenantId, 'eu'); // [{ from: 'us', mechanism: 'scc', id }]
 */
export function createTransfersService({ db, audit, clock }: Deps) {
  const view = (r: {
    id: string;
    from_region: string;
    to_region: string;
    mechanism: TransferMechanismKind;
    reference: string | null;
    created_at: Date;
    created_by: string | null;
    revoked_at: Date | null;
  }): TransferMechanism => ({
    id: r.id,
    from: r.from_region,
    to: r.to_region,
    mechanism: r.mechanism,
    reference: r.reference,
    createdAt: new Date(r.created_at).toISOString(),
    createdBy: r.created_by,
    revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
  });

  /** Mechanisms of the tenant, active first; revoked ones only with `includeRevoked`. */
  async function list(tenantId: string, options: { includeRevoked?: boolean } = {}) {
    let q = db
      .selectFrom('transfer_mechanisms')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('revoked_at', (ob) => ob.desc().nullsFirst())
      .orderBy('from_region')
      .orderBy('to_region')
      .orderBy('created_at', 'desc');
    if (!options.includeRevoked) q = q.where('revoked_at', 'is', null);
    return (await q.execute()).map(view);
  }

  /** Records a mechanism for (from → to); CONFLICT when one is already active for the pair. */
  async function allow(
    actor: Actor,
    input: {
      from: string;
      to: string;
      mechanism: TransferMechanismKind;
      reference?: string | null | undefined;
    },
  ): Promise<TransferMechanism> {
    const from = checkRegion(input.from, '/from');
    const to = checkRegion(input.to, '/to');
    if (from === to)
      throw new AppError('VALIDATION_FAILED', 'from and to are the same region: no transfer to record', {
        details: { errors: [{ pointer: '/to', message: 'same as from' }] },
      });
    if (!(TRANSFER_MECHANISMS as readonly string[]).includes(input.mechanism))
      throw new AppError('VALIDATION_FAILED', `mechanism must be one of ${TRANSFER_MECHANISMS.join(', ')}`);
    const reference = input.reference?.trim() || null;
    if (reference && reference.length > 500)
      throw new AppError('VALIDATION_FAILED', 'reference: at most 500 characters');
    return db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('transfer_mechanisms')
        .select('id')
        .where('tenant_id', '=', actor.tenantId)
        .where('from_region', '=', from)
        .where('to_region', '=', to)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (existing)
        throw new AppError(
          'CONFLICT',
          `a transfer mechanism for ${from} -> ${to} is already recorded (${existing.id}); revoke it first to replace it`,
        );
      const row = await trx
        .insertInto('transfer_mechanisms')
        .values({
          id: newId(),
          tenant_id: actor.tenantId,
          from_region: from,
          to_region: to,
          mechanism: input.mechanism,
          reference,
          created_by: actor.userId,
          created_at: clock.now(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'transfer.allow',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'TransferMechanism', id: row.id },
        requestId: actor.requestId,
        details: { from, to, mechanism: input.mechanism, reference, channel: actor.channel },
      });
      return view(row);
    });
  }

  /**
   * Revokes the active mechanism with this id, or (given `from`/`to`) the active one of that pair.
   * NOT_FOUND when there is none.
   */
  async function revoke(
    actor: Actor,
    target: { id: string } | { from: string; to: string },
  ): Promise<TransferMechanism> {
    return db.transaction().execute(async (trx) => {
      let q = trx
        .updateTable('transfer_mechanisms')
        .set({ revoked_at: clock.now(), revoked_by: actor.userId })
        .where('tenant_id', '=', actor.tenantId)
        .where('revoked_at', 'is', null);
      if ('id' in target) {
        if (!/^[0-9a-f-]{36}$/.test(target.id))
          throw new AppError('NOT_FOUND', 'no active transfer mechanism has this id');
        q = q.where('id', '=', target.id);
      } else {
        q = q
          .where('from_region', '=', checkRegion(target.from, '/from'))
          .where('to_region', '=', checkRegion(target.to, '/to'));
      }
      const row = await q.returningAll().executeTakeFirst();
      if (!row)
        throw new AppError(
          'NOT_FOUND',
          'id' in target
            ? 'no active transfer mechanism has this id'
            : `no active transfer mechanism for ${target.from} -> ${target.to}`,
        );
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'transfer.revoke',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'TransferMechanism', id: row.id },
        requestId: actor.requestId,
        details: {
          from: row.from_region,
          to: row.to_region,
          mechanism: row.mechanism,
          channel: actor.channel,
        },
      });
      return view(row);
    });
  }

  /** Regions whose personal data users of `toRegion` may read now, with the mechanism of each. */
  async function sourcesFor(tenantId: string, toRegion: string): Promise<TransferSource[]> {
    const rows = await db
      .selectFrom('transfer_mechanisms')
      .select(['id', 'from_region', 'mechanism'])
      .where('tenant_id', '=', tenantId)
      .where('to_region', '=', toRegion)
      .where('revoked_at', 'is', null)
      .orderBy('from_region')
      .execute();
    return rows.map((r) => ({ from: r.from_region, mechanism: r.mechanism, id: r.id }));
  }

  return { list, allow, revoke, sourcesFor };
}

export type TransfersService = ReturnType<typeof createTransfersService>;
