/**
 * Investigation cases and legal holds. A case assigned to a compliance officer (or security
 * analyst) makes the recordings linked to it playable by that person while it is open; a legal hold
 * on a recording or a case blocks deletion and purge of every recording it covers. Holds have no
 * cap and are released one by one; released holds stay as history.
 */
import type { Kysely, Selectable } from 'kysely';
import type { CasesTable, Database } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { ResourceSlice } from '../access/authorizer.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Actor } from '../users/users.service.ts';

export type CaseView = {
  id: string;
  title: string;
  status: 'open' | 'closed';
  assigneeUserId: string | null;
  recordings: string[];
  legalHolds: HoldView[];
  createdAt: string;
  closedAt: string | null;
};

export type HoldView = {
  id: string;
  recordingId: string | null;
  caseId: string | null;
  reason: string;
  placedBy: string | null;
  placedAt: string;
  releasedAt: string | null;
};

type Deps = { db: Kysely<Database>; audit: Pick<AuditService, 'append'>; clock: Clock };
type CaseRow = Selectable<CasesTable>;

export function createCasesService({ db, audit, clock }: Deps) {
  const auditActor = (a: Actor) => ({ userId: a.userId, roles: a.roles, sessionId: a.sessionId, ip: a.ip });

  async function find(tenantId: string, id: string): Promise<CaseRow> {
    const row = await db
      .selectFrom('cases')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', 'No such case.');
    return row;
  }

  /** The Cedar resource of a case. */
  async function resourceOf(tenantId: string, id: string): Promise<ResourceSlice> {
    const row = await find(tenantId, id);
    return { type: 'Case', id, tenantId, assigneeUserId: row.assignee_user_id ?? '' };
  }

  const holdView = (h: {
    id: string;
    recording_id: string | null;
    case_id: string | null;
    reason: string;
    placed_by: string | null;
    placed_at: Date;
    released_at: Date | null;
  }): HoldView => ({
    id: h.id,
    recordingId: h.recording_id,
    caseId: h.case_id,
    reason: h.reason,
    placedBy: h.placed_by,
    placedAt: h.placed_at.toISOString(),
    releasedAt: h.released_at?.toISOString() ?? null,
  });

  async function present(rows: CaseRow[]): Promise<CaseView[]> {
    const ids = rows.map((r) => r.id);
    const links = ids.length
      ? await db
          .selectFrom('case_recordings')
          .select(['case_id', 'recording_id'])
          .where('case_id', 'in', ids)
          .execute()
      : [];
    const holds = ids.length
      ? await db
          .selectFrom('legal_holds')
          .selectAll()
          .where('case_id', 'in', ids)
          .orderBy('placed_at')
          .execute()
      : [];
    return rows.map((r) => ({
      id: r.id,
      title: r.title,
      status: r.status,
      assigneeUserId: r.assignee_user_id,
      recordings: links.filter((l) => l.case_id === r.id).map((l) => l.recording_id),
      legalHolds: holds.filter((h) => h.case_id === r.id).map(holdView),
      createdAt: r.created_at.toISOString(),
      closedAt: r.closed_at?.toISOString() ?? null,
    }));
  }

  async function requireAssignee(tenantId: string, userId: string): Promise<void> {
    const user = await db
      .selectFrom('users')
      .select(['roles', 'status'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!user) throw new AppError('VALIDATION_FAILED', 'assignee: no such user in this tenant');
    if (!user.roles.some((r) => r === 'compliance_officer' || r === 'security_analyst'))
      throw new AppError(
        'VALIDATION_FAILED',
        'assignee: cases are assigned to compliance officers or security analysts only',
      );
  }

  async function open(
    actor: Actor,
    input: { title: string; assigneeUserId?: string | undefined },
  ): Promise<CaseView> {
    if (input.assigneeUserId) await requireAssignee(actor.tenantId, input.assigneeUserId);
    const id = newId();
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('cases')
        .values({
          id,
          tenant_id: actor.tenantId,
          title: input.title,
          assignee_user_id: input.assigneeUserId ?? null,
          created_by: actor.userId,
        })
        .execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'case.open',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'Case', id },
        requestId: actor.requestId,
        details: { assignee: input.assigneeUserId ?? null, channel: actor.channel },
      });
    });
    return (await present([await find(actor.tenantId, id)]))[0]!;
  }

  async function openCaseForChange(actor: Actor, id: string): Promise<CaseRow> {
    const row = await find(actor.tenantId, id);
    if (row.status !== 'open') throw new AppError('CONFLICT', 'This case is closed.');
    return row;
  }

  async function assign(actor: Actor, id: string, assigneeUserId: string): Promise<CaseView> {
    await openCaseForChange(actor, id);
    await requireAssignee(actor.tenantId, assigneeUserId);
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('cases').set({ assignee_user_id: assigneeUserId }).where('id', '=', id).execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'case.assign',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'Case', id },
        requestId: actor.requestId,
        details: { assignee: assigneeUserId, channel: actor.channel },
      });
    });
    return (await present([await find(actor.tenantId, id)]))[0]!;
  }

  async function link(actor: Actor, id: string, recordingIds: string[], purpose: string): Promise<CaseView> {
    await openCaseForChange(actor, id);
    const unique = [...new Set(recordingIds)];
    const found = await db
      .selectFrom('recordings')
      .select('id')
      .where('tenant_id', '=', actor.tenantId)
      .where('id', 'in', unique)
      .where('status', '<>', 'deleted')
      .execute();
    const missing = unique.filter((r) => !found.some((f) => f.id === r));
    if (missing.length > 0)
      throw new AppError('VALIDATION_FAILED', `no such recording(s): ${missing.join(', ')}`, {
        details: { errors: [{ pointer: '/recordingIds', message: 'unknown or deleted recording' }] },
      });
    await db.transaction().execute(async (trx) => {
      for (const recordingId of unique) {
        await trx
          .insertInto('case_recordings')
          .values({
            tenant_id: actor.tenantId,
            case_id: id,
            recording_id: recordingId,
            linked_by: actor.userId,
          })
          .onConflict((oc) => oc.columns(['case_id', 'recording_id']).doNothing())
          .execute();
        await audit.append(trx, {
          tenantId: actor.tenantId,
          action: 'case.link',
          outcome: 'success',
          actor: auditActor(actor),
          resource: { type: 'Case', id },
          purpose,
          requestId: actor.requestId,
          details: { recording: recordingId, channel: actor.channel },
        });
      }
    });
    return (await present([await find(actor.tenantId, id)]))[0]!;
  }

  /** Closes a case: its assignee loses access to the linked recordings at once. Holds on it stay until released. */
  async function close(actor: Actor, id: string): Promise<CaseView> {
    await openCaseForChange(actor, id);
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('cases')
        .set({ status: 'closed', closed_at: clock.now() })
        .where('id', '=', id)
        .execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'case.close',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'Case', id },
        requestId: actor.requestId,
        details: { channel: actor.channel },
      });
    });
    return (await present([await find(actor.tenantId, id)]))[0]!;
  }

  async function get(tenantId: string, id: string): Promise<CaseView> {
    return (await present([await find(tenantId, id)]))[0]!;
  }

  /** Cases the caller may read: all of the tenant for case writers, else those assigned to them. */
  async function list(
    tenantId: string,
    options: { assignee?: string; status?: 'open' | 'closed' },
  ): Promise<CaseView[]> {
    let q = db.selectFrom('cases').selectAll().where('tenant_id', '=', tenantId);
    if (options.assignee) q = q.where('assignee_user_id', '=', options.assignee);
    if (options.status) q = q.where('status', '=', options.status);
    return present(await q.orderBy('created_at', 'desc').limit(500).execute());
  }

  async function placeHold(
    actor: Actor,
    target: { recordingId: string } | { caseId: string },
    reason: string,
  ): Promise<HoldView> {
    const id = newId();
    const recordingId = 'recordingId' in target ? target.recordingId : null;
    const caseId = 'caseId' in target ? target.caseId : null;
    if (recordingId) {
      const r = await db
        .selectFrom('recordings')
        .select('status')
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', recordingId)
        .executeTakeFirst();
      if (!r) throw new AppError('NOT_FOUND', 'No such recording.');
      if (r.status === 'deleted') throw new AppError('GONE', 'This recording was already deleted.');
    } else await find(actor.tenantId, caseId!);
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('legal_holds')
        .values({
          id,
          tenant_id: actor.tenantId,
          recording_id: recordingId,
          case_id: caseId,
          reason,
          placed_by: actor.userId,
        })
        .execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'legal_hold.place',
        outcome: 'success',
        actor: auditActor(actor),
        resource: recordingId ? { type: 'Recording', id: recordingId } : { type: 'Case', id: caseId },
        purpose: reason,
        requestId: actor.requestId,
        details: { hold: id, channel: actor.channel },
      });
    });
    const row = await db.selectFrom('legal_holds').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return holdView(row);
  }

  async function findHold(tenantId: string, holdId: string) {
    const row = await db
      .selectFrom('legal_holds')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', holdId)
      .executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', 'No such legal hold.');
    return row;
  }

  async function releaseHold(actor: Actor, holdId: string, reason: string): Promise<HoldView> {
    const hold = await findHold(actor.tenantId, holdId);
    if (hold.released_at) throw new AppError('CONFLICT', 'This legal hold was already released.');
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('legal_holds')
        .set({ released_at: clock.now(), released_by: actor.userId })
        .where('id', '=', holdId)
        .where('released_at', 'is', null)
        .execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'legal_hold.release',
        outcome: 'success',
        actor: auditActor(actor),
        resource: hold.recording_id
          ? { type: 'Recording', id: hold.recording_id }
          : { type: 'Case', id: hold.case_id },
        purpose: reason,
        requestId: actor.requestId,
        details: { hold: holdId, channel: actor.channel },
      });
    });
    return holdView(await findHold(actor.tenantId, holdId));
  }

  async function holdsOfRecording(tenantId: string, recordingId: string): Promise<HoldView[]> {
    const direct = await db
      .selectFrom('legal_holds')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('recording_id', '=', recordingId)
      .execute();
    const viaCase = await db
      .selectFrom('legal_holds as h')
      .innerJoin('case_recordings as cr', 'cr.case_id', 'h.case_id')
      .selectAll('h')
      .where('h.tenant_id', '=', tenantId)
      .where('cr.recording_id', '=', recordingId)
      .execute();
    return [...direct, ...viaCase]
      .sort((a, b) => a.placed_at.getTime() - b.placed_at.getTime())
      .map(holdView);
  }

  return {
    find,
    resourceOf,
    open,
    assign,
    link,
    close,
    get,
    list,
    placeHold,
    findHold,
    releaseHold,
    holdsOfRecording,
  };
}

export type CasesService = ReturnType<typeof createCasesService>;
