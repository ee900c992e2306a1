/**
 * Data subject access requests (GDPR Art. 15): requests tracked against the one-month deadline
 * (Art. 12(3)), and the export of everything Bulwark holds about the subject (./dsar-export.ts).
 * Every export is audited (`dsar.export`) with its rows per category, never the data, before the
 * first byte is sent: if the audit append fails, nothing is exported.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Keyring } from '../../lib/keyring.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Actor } from '../users/users.service.ts';
import {
  countCategories,
  EXPORT_CATEGORIES,
  type ExportCategory,
  type ExportCounts,
  type ExportMeta,
  type ExportRow,
  metaOf,
  readCategory,
  resolveSubject,
  type Subject,
  type SubjectInput,
  subjectOfRequest,
  subjectOfUser,
} from './dsar-export.ts';
import type { DsarRequestsTable } from './gdpr.schema.ts';

export const DSAR_STATUSES = ['received', 'in_progress', 'completed', 'rejected'] as const;
export type DsarStatus = (typeof DSAR_STATUSES)[number];

export type DsarView = {
  id: string;
  subject: { userId: string | null; username: string | null; agentIds: string[] };
  status: DsarStatus;
  receivedAt: string;
  dueAt: string;
  /** Still open (received or in progress) after its due date. */
  overdue: boolean;
  note: string | null;
  createdBy: string | null;
  createdAt: string;
  completedAt: string | null;
  /** Rows per category of the export that completed the request. */
  exportCounts: Record<string, number> | null;
};

/**
 * The deadline of Art. 12(3): one calendar month after receipt, the same time of day; when that
 * month has no such day, its last day (Regulation 1182/71 Art. 3(2)(c)).
 *
 * @example
 * dueDateOf(new Date('2027-01-31T10:00:00Z')) // 2027-02-28T10:00:00.000Z
 */
export function dueDateOf(received: Date): Date {
  const y = received.getUTCFullYear();
  const m = received.getUTCMonth() + 1;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const d = new Date(received);
  d.setUTCDate(1);
  d.setUTCMonth(m);
  d.setUTCDate(Math.min(received.getUTCDate(), lastDay));
  return d;
}

type Row = Selectable<DsarRequestsTable> & { username: string | null; agent_key: string | null };

type Deps = {
  db: Kysely<Database>;
  keyring: Pick<Keyring, 'decryptField'>;
  audit: Pick<AuditService, 'append' | 'appendNow'>;
  clock: Clock;
};

export type ExportFormat = 'json' | 'csv' | 'html' | 'directory';

/** What an export's caller streams: the metadata (with counts) and a reader per category. */
export type PreparedExport = {
  meta: ExportMeta;
  subject: Subject;
  read: (c: ExportCategory) => AsyncIterable<ExportRow>;
};

const OPEN: readonly DsarStatus[] = ['received', 'in_progress'];

/**
 * @example
 * const dsar = createDsarService({ db, keyring, audit, clock });
 * const req = await dsar.create(actor, { subject: { username: 'alice' } });
 * const out = await dsar.prepareExport(actor, await dsar.subjectOf(req.id, tenantId), { format: 'json' });
 */
export function createDsarService({ db, keyring, audit, clock }: Deps) {
  const auditActor = (a: Actor) => ({ userId: a.userId, roles: a.roles, sessionId: a.sessionId, ip: a.ip });

  const view = (r: Row, now: Date): DsarView => ({
    id: r.id,
    subject: {
      userId: r.subject_user_id,
      username: r.username,
      agentIds: r.agent_key ? [r.agent_key] : [],
    },
    status: r.status,
    receivedAt: r.received_at.toISOString(),
    dueAt: r.due_at.toISOString(),
    overdue: OPEN.includes(r.status) && now.getTime() > r.due_at.getTime(),
    note: r.note,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    completedAt: r.completed_at ? r.completed_at.toISOString() : null,
    exportCounts: r.export_counts
      ? typeof r.export_counts === 'string'
        ? (JSON.parse(r.export_counts) as Record<string, number>)
        : r.export_counts
      : null,
  });

  const baseQuery = (tenantId: string) =>
    db
      .selectFrom('dsar_requests as d')
      .leftJoin('users as u', 'u.id', 'd.subject_user_id')
      .leftJoin('wfm_agents as a', 'a.id', 'd.subject_agent_ref')
      .selectAll('d')
      .select(['u.username as username', 'a.agent_id as agent_key'])
      .where('d.tenant_id', '=', tenantId);

  async function row(tenantId: string, id: string): Promise<Row> {
    const r = await baseQuery(tenantId).where('d.id', '=', id).executeTakeFirst();
    if (!r) throw new AppError('NOT_FOUND', 'No access request with this id in the tenant.');
    return r;
  }

  /** Records a request received (now, or at `receivedAt`) about a user or a WFM agent. */
  async function create(
    actor: Actor,
    input: { subject: SubjectInput; receivedAt?: Date | undefined; note?: string | undefined },
  ): Promise<DsarView> {
    const now = clock.now();
    const received = input.receivedAt ?? now;
    if (received.getTime() > now.getTime() + 60_000)
      throw new AppError('VALIDATION_FAILED', 'receivedAt is in the future', {
        details: { errors: [{ pointer: '/receivedAt', message: 'must not be in the future' }] },
      });
    const subject = await resolveSubject(db, actor.tenantId, input.subject);
    const id = newId();
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('dsar_requests')
        .values({
          id,
          tenant_id: actor.tenantId,
          subject_user_id: subject.userId,
          subject_agent_ref: subject.userId ? null : subject.agents[0]!.ref,
          received_at: received,
          due_at: dueDateOf(received),
          note: input.note ?? null,
          created_by: actor.userId,
          updated_at: now,
        })
        .execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'dsar.create',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'DsarRequest', id },
        requestId: actor.requestId,
        details: {
          subjectUserId: subject.userId,
          subjectAgentRef: subject.userId ? null : subject.agents[0]!.ref,
          channel: actor.channel,
        },
      });
    });
    return view(await row(actor.tenantId, id), now);
  }

  /** Requests by due date (soonest first), optionally one status or only the overdue ones. */
  async function list(
    tenantId: string,
    filters: {
      status?: DsarStatus | undefined;
      overdue?: boolean | undefined;
      cursor?: string | undefined;
      limit?: number | undefined;
    },
  ): Promise<{ items: DsarView[]; nextCursor: string | null }> {
    const now = clock.now();
    const limit = Math.min(Math.max(filters.limit ?? 50, 1), 200);
    let q = baseQuery(tenantId);
    if (filters.status) q = q.where('d.status', '=', filters.status);
    if (filters.overdue === true) q = q.where('d.status', 'in', [...OPEN]).where('d.due_at', '<', now);
    if (filters.cursor) {
      const m = /^([0-9T:.\-Z]{20,30})\|([0-9a-f-]{36})$/.exec(
        Buffer.from(filters.cursor, 'base64url').toString('utf8'),
      );
      if (!m || Number.isNaN(Date.parse(m[1]!)))
        throw new AppError('VALIDATION_FAILED', 'cursor is not a value returned by this API', {
          details: { errors: [{ pointer: '/cursor', message: 'invalid cursor' }] },
        });
      const at = new Date(m[1]!);
      q = q.where((eb) =>
        eb.or([eb('d.due_at', '>', at), eb.and([eb('d.due_at', '=', at), eb('d.id', '>', m[2]!)])]),
      );
    }
    const rows = await q
      .orderBy('d.due_at')
      .orderBy('d.id')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => view(r, now)),
      nextCursor:
        rows.length > limit && last
          ? Buffer.from(`${last.due_at.toISOString()}|${last.id}`).toString('base64url')
          : null,
    };
  }

  const get = async (tenantId: string, id: string) => view(await row(tenantId, id), clock.now());

  /** Moves an open request to in_progress or rejected (a completed or rejected request is final). */
  async function setStatus(
    actor: Actor,
    id: string,
    status: 'in_progress' | 'rejected',
    note?: string | undefined,
  ): Promise<DsarView> {
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      const r = await trx
        .selectFrom('dsar_requests')
        .select('status')
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!r) throw new AppError('NOT_FOUND', 'No access request with this id in the tenant.');
      if (!OPEN.includes(r.status))
        throw new AppError('CONFLICT', `The request is ${r.status}; its status can no longer change.`);
      await trx
        .updateTable('dsar_requests')
        .set({ status, updated_at: now, ...(note !== undefined ? { note } : {}) })
        .where('id', '=', id)
        .execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'dsar.update',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'DsarRequest', id },
        requestId: actor.requestId,
        details: { from: r.status, to: status, channel: actor.channel },
      });
    });
    return get(actor.tenantId, id);
  }

  /** The subject a stored request is about. */
  async function subjectOf(tenantId: string, id: string): Promise<{ subject: Subject; request: DsarView }> {
    const r = await row(tenantId, id);
    return {
      subject: await subjectOfRequest(db, tenantId, r.subject_user_id, r.subject_agent_ref),
      request: view(r, clock.now()),
    };
  }

  /** The subject of a signed-in user (self-service export and data summary). */
  const subjectOfSelf = async (tenantId: string, userId: string) => {
    const u = await db.selectFrom('users').select('username').where('id', '=', userId).executeTakeFirst();
    return subjectOfUser(db, tenantId, userId, u?.username ?? null);
  };

  const auditResource = (s: Subject) =>
    s.userId ? { type: 'UserAccount', id: s.userId } : { type: 'WfmAgent', id: s.agents[0]?.ref ?? null };
  const flatCounts = (c: ExportCounts) => Object.fromEntries(EXPORT_CATEGORIES.map((k) => [k, c[k]]));

  /**
   * Produces the export of a request: counts every category, marks the request completed with
   * those counts, audited as `dsar.complete`. The data itself is downloaded with {@link prepareExport}.
   */
  async function complete(actor: Actor, id: string): Promise<DsarView> {
    const { subject, request } = await subjectOf(actor.tenantId, id);
    if (request.status === 'rejected')
      throw new AppError('CONFLICT', 'The request was rejected; nothing is exported.');
    const counts = await countCategories(db, subject);
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('dsar_requests')
        .set({
          status: 'completed',
          completed_at: request.completedAt ? new Date(request.completedAt) : now,
          export_counts: JSON.stringify(counts),
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'dsar.complete',
        outcome: 'success',
        actor: auditActor(actor),
        resource: auditResource(subject),
        requestId: actor.requestId,
        details: { dsarRequest: id, channel: actor.channel, ...flatCounts(counts) },
      });
    });
    return get(actor.tenantId, id);
  }

  /**
   * Counts the subject's data and writes `dsar.export` (counts per category, format, channel,
   * request id; never the data) before returning the readers: fail closed if the log is down.
   */
  async function prepareExport(
    actor: Actor,
    subject: Subject,
    options: {
      format: ExportFormat;
      category?: ExportCategory | undefined;
      request?: DsarView | undefined;
      self?: boolean;
    },
  ): Promise<PreparedExport> {
    const counts = await countCategories(db, subject);
    const now = clock.now();
    await audit.appendNow({
      tenantId: actor.tenantId,
      action: 'dsar.export',
      outcome: 'success',
      actor: auditActor(actor),
      resource: auditResource(subject),
      requestId: actor.requestId,
      details: {
        format: options.format,
        category: options.category ?? null,
        dsarRequest: options.request?.id ?? null,
        self: options.self === true,
        channel: actor.channel,
        ...flatCounts(counts),
      },
    });
    const request = options.request
      ? { id: options.request.id, receivedAt: options.request.receivedAt, dueAt: options.request.dueAt }
      : null;
    return {
      // The event just written names the subject, so the audit category now holds one more row.
      meta: metaOf(subject, { ...counts, audit: counts.audit + 1 }, now, request),
      subject,
      read: (c) => readCategory({ db, keyring }, subject, c),
    };
  }

  /** Rows per category for a subject, without auditing (the caller's own data summary). */
  const counts = (subject: Subject) => countCategories(db, subject);

  /** Home addresses, recording bodies and transcripts held about the subject (counts only). */
  async function contentCounts(
    subject: Subject,
  ): Promise<{ home_address: number; recording_content: number; transcripts: number }> {
    const refs = subject.agents.map((a) => a.ref);
    const home =
      refs.length === 0
        ? 0
        : Number(
            (
              await db
                .selectFrom('wfm_agents')
                .select((eb) => eb.fn.countAll().as('n'))
                .where('id', 'in', refs)
                .where('home_address_enc', 'is not', null)
                .executeTakeFirstOrThrow()
            ).n,
          );
    if (!subject.userId) return { home_address: home, recording_content: 0, transcripts: 0 };
    const r = await db
      .selectFrom('recordings')
      .select((eb) => [eb.fn.countAll().as('bodies'), eb.fn.count('transcript_blob_key').as('transcripts')])
      .where('tenant_id', '=', subject.tenantId)
      .where('agent_user_id', '=', subject.userId)
      .where('status', '<>', 'deleted')
      .executeTakeFirstOrThrow();
    return { home_address: home, recording_content: Number(r.bodies), transcripts: Number(r.transcripts) };
  }

  return {
    create,
    list,
    get,
    setStatus,
    complete,
    subjectOf,
    subjectOfSelf,
    prepareExport,
    counts,
    contentCounts,
    resolveSubject: (tenantId: string, input: SubjectInput) => resolveSubject(db, tenantId, input),
  };
}

export type DsarService = ReturnType<typeof createDsarService>;
