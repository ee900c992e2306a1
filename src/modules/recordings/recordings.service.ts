/**
 * The recording vault: streaming ingest (encrypt as the bytes arrive, constant memory), metadata
 * reads and scoped lists, random-access playback that decrypts only the chunks a range needs,
 * deletion by crypto-shredding, and pause/resume markers with a gap report.
 *
 * Bodies are Cobblestone-256 ciphertext in the blob store under a fresh data key per recording; the
 * data key is stored only wrapped by the KEK provider (see ../keys/data-keys.service.ts). Nothing in
 * the database or the data dir can decrypt a body.
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Database, RecordingsTable } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { PrincipalSlice, ResourceSlice } from '../access/authorizer.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { DataKeysService } from '../keys/data-keys.service.ts';
import { KekRetiredError } from '../keys/data-keys.service.ts';
import { KeyShreddedError, recordingContext, wipe } from '../keys/envelope.ts';
import { KeyUnwrapError } from '../keys/key-provider.ts';
import type { TokensService } from '../tokens/tokens.service.ts';
import type { Actor, UsersService } from '../users/users.service.ts';
import { BlobNotFoundError, type BlobReader, type BlobStore } from './blob-store.ts';
import {
  CHUNK_SIZE,
  ChunkedDecryptError,
  createEncryptStream,
  openRangeDecryptor,
} from './chunked-encryption.ts';

export type RecordingKind = 'audio' | 'screen';
type RecordingRow = Selectable<RecordingsTable>;
type Db = Kysely<Database> | Transaction<Database>;

export type IngestInput = {
  callId: string;
  kind: RecordingKind;
  /** Agent username (linked to the Bulwark user when one exists) or the recorder's agent id. */
  agent: string;
  /** Team name; created when new, like `bulwark users add --team`. */
  team: string;
  site?: string | undefined;
  /** Residency region; defaults to the agent's region when the agent is a Bulwark user. */
  region?: string | undefined;
  /** Customer reference (account number, CRM id): tokenized before it is stored. */
  customerRef?: string | undefined;
  startedAt: Date;
  endedAt?: Date | undefined;
  codec?: string | undefined;
  contentType: string;
  paymentTaken?: boolean | undefined;
  tags?: string[] | undefined;
};

export type RecordingView = {
  id: string;
  callId: string;
  kind: RecordingKind;
  agent: string;
  agentUserId: string | null;
  team: { id: string; name: string };
  site: string | null;
  region: string;
  customerRef: string | null;
  startedAt: string;
  endedAt: string | null;
  codec: string | null;
  contentType: string;
  paymentTaken: boolean;
  tags: string[];
  derivedFrom: string | null;
  status: 'stored' | 'restricted' | 'deleted';
  bytes: number;
  cases: string[];
  legalHold: boolean;
  /** A redacted transcript is attached: findings redacted and audio spans known. */
  transcript: { bytes: number; redactions: number } | null;
  createdAt: string;
};

export type ListFilters = {
  team?: string | undefined;
  agent?: string | undefined;
  callId?: string | undefined;
  kind?: RecordingKind | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  paymentTaken?: boolean | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
};

/** Which rows a caller may list: the SQL twin of the Cedar `recording.read` permits. */
export type ListScope = { teams: readonly string[]; cases: readonly string[] };

export type Marker = {
  id: number;
  kind: 'pause' | 'resume';
  atSeconds: number;
  reason: string | null;
  createdAt: string;
};

export type GapReportRow = {
  recordingId: string;
  callId: string;
  team: string;
  startedAt: string;
  durationSeconds: number | null;
  gaps: Array<{ from: number; to: number | null; seconds: number | null; reason: string | null }>;
  pausedSeconds: number;
  /** Markers out of order (resume without pause, pause while paused) or a pause never resumed. */
  anomalies: string[];
};

type Deps = {
  db: Kysely<Database>;
  blobs: BlobStore;
  keys: DataKeysService;
  audit: Pick<AuditService, 'append'>;
  tokens: Pick<TokensService, 'tokenize'>;
  teams: Pick<UsersService, 'ensureTeams'>;
  clock: Clock;
  maxBytes: number;
};

const PLAY_WINDOW = 64 * CHUNK_SIZE; // 1 MiB of plaintext per read while streaming a range

/** Counts plaintext bytes and refuses a body past `max` (constant memory). */
class ByteLimit extends Transform {
  bytes = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) {
      cb(new AppError('PAYLOAD_TOO_LARGE', `the recording is larger than the limit of ${this.max} bytes`));
      return;
    }
    cb(null, chunk);
  }
}

/** The recording id in a blob key (`tenant/xx/<id>.c2sp` or `<id>.transcript.c2sp`). */
const BLOB_ID_RE = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\.transcript)?\.c2sp$/;

const blobKeyFor = (tenantId: string, id: string) => `${tenantId}/${id.slice(0, 2)}/${id}.c2sp`;

const decodeCursor = (cursor: string): { startedAt: Date; id: string } => {
  const m = /^r1:(\d{1,15}):([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m)
    throw new AppError('VALIDATION_FAILED', 'cursor is not a value returned by this API', {
      details: { errors: [{ pointer: '/cursor', message: 'invalid cursor' }] },
    });
  return { startedAt: new Date(Number(m[1])), id: m[2]! };
};
const encodeCursor = (r: { started_at: Date; id: string }) =>
  Buffer.from(`r1:${r.started_at.getTime()}:${r.id}`).toString('base64url');

/**
 * @example
 * const vault = createRecordingsService({ db, blobs, keys, audit, tokens, teams: users, clock, maxBytes });
 * const rec = await vault.ingest(actor, meta, req.raw);
 * const content = await vault.openContent(rec.id, tenantId); // then content.stream(start, end)
 */
export function createRecordingsService({ db, blobs, keys, audit, tokens, teams, clock, maxBytes }: Deps) {
  const auditActor = (a: Actor) => ({ userId: a.userId, roles: a.roles, sessionId: a.sessionId, ip: a.ip });

  async function casesOf(ids: string[]): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>();
    if (ids.length === 0) return map;
    const rows = await db
      .selectFrom('case_recordings')
      .select(['recording_id', 'case_id'])
      .where('recording_id', 'in', ids)
      .execute();
    for (const r of rows) map.set(r.recording_id, [...(map.get(r.recording_id) ?? []), r.case_id]);
    return map;
  }

  /** Recording ids (of `ids`) under an active legal hold, directly or through a linked case. */
  async function heldIds(dbOrTrx: Db, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const direct = await dbOrTrx
      .selectFrom('legal_holds')
      .select('recording_id')
      .where('recording_id', 'in', ids)
      .where('released_at', 'is', null)
      .execute();
    const viaCase = await dbOrTrx
      .selectFrom('legal_holds as h')
      .innerJoin('case_recordings as cr', 'cr.case_id', 'h.case_id')
      .select('cr.recording_id')
      .where('cr.recording_id', 'in', ids)
      .where('h.released_at', 'is', null)
      .execute();
    return new Set([...direct.map((d) => d.recording_id!), ...viaCase.map((d) => d.recording_id)]);
  }

  async function present(rows: RecordingRow[]): Promise<RecordingView[]> {
    const ids = rows.map((r) => r.id);
    const teamIds = [...new Set(rows.map((r) => r.team_id))];
    const teams =
      teamIds.length === 0
        ? []
        : await db.selectFrom('teams').select(['id', 'name']).where('id', 'in', teamIds).execute();
    const teamName = new Map(teams.map((t) => [t.id, t.name]));
    const cases = await casesOf(ids);
    const held = await heldIds(db, ids);
    return rows.map((r) => ({
      id: r.id,
      callId: r.call_id,
      kind: r.kind,
      agent: r.agent,
      agentUserId: r.agent_user_id,
      team: { id: r.team_id, name: teamName.get(r.team_id) ?? '' },
      site: r.site,
      region: r.region,
      customerRef: r.customer_ref_token,
      startedAt: r.started_at.toISOString(),
      endedAt: r.ended_at?.toISOString() ?? null,
      codec: r.codec,
      contentType: r.content_type,
      paymentTaken: r.payment_taken,
      tags: r.tags,
      derivedFrom: r.derived_from,
      status: r.status,
      bytes: r.plaintext_bytes,
      cases: cases.get(r.id) ?? [],
      legalHold: held.has(r.id),
      transcript:
        r.transcript_blob_key && r.transcript_bytes !== null
          ? { bytes: r.transcript_bytes, redactions: r.transcript_redactions ?? 0 }
          : null,
      createdAt: r.created_at.toISOString(),
    }));
  }

  /**
   * Streams `body` into the vault: a fresh data key is wrapped by the KEK provider, the bytes are
   * encrypted as they arrive (Cobblestone-256, context = tenant + recording id + data-key version)
   * into a blob, and only when the blob is complete are the row, the wrapped key and the audit event
   * committed together. A failed upload leaves nothing behind.
   */
  async function ingest(
    actor: Actor,
    input: IngestInput,
    body: Readable,
    options: {
      onBytes?: (plaintextBytes: number) => void;
      /** A redacted derivative: the recording it was made from. */
      derivedFrom?: string;
      /** Copy an existing customer-reference token (derivatives) instead of tokenizing a value. */
      customerRefToken?: string | null;
    } = {},
  ): Promise<RecordingView> {
    const tenantId = actor.tenantId;
    if (input.endedAt && input.endedAt < input.startedAt)
      throw new AppError('VALIDATION_FAILED', 'endedAt is before startedAt');
    const agentUser = await db
      .selectFrom('users')
      .select(['id', 'region'])
      .where('tenant_id', '=', tenantId)
      .where('username', '=', input.agent)
      .executeTakeFirst();
    const region = input.region ?? agentUser?.region;
    if (!region)
      throw new AppError(
        'VALIDATION_FAILED',
        `region is required: agent "${input.agent}" is not a Bulwark user whose region could be used`,
        { details: { errors: [{ pointer: '/region', message: 'required' }] } },
      );
    const customerRefToken = input.customerRef
      ? (
          await tokens.tokenize(actor, {
            value: input.customerRef,
            type: 'CUSTOMER_REF',
            deterministic: true,
          })
        ).token
      : null;

    const id = newId();
    const blobKey = blobKeyFor(tenantId, id);
    const dekVersion = 1;
    const { dataKey, wrapped } = await keys.seal(tenantId, id, dekVersion);
    const limit = new ByteLimit(maxBytes);
    let ciphertextBytes: number;
    try {
      const encrypted = createEncryptStream(dataKey, recordingContext(tenantId, id, dekVersion));
      if (options.onBytes) {
        const report = options.onBytes;
        limit.on('data', () => report(limit.bytes));
      }
      // Feeding and writing fail together (pipeline destroys every stream on the first error);
      // both outcomes are awaited so neither rejection goes unobserved.
      const [fed, written] = await Promise.allSettled([
        pipeline(body, limit, encrypted),
        blobs.write(blobKey, encrypted),
      ]);
      if (fed.status === 'rejected') throw fed.reason;
      if (written.status === 'rejected') throw written.reason;
      ciphertextBytes = written.value;
    } finally {
      wipe(dataKey);
    }
    try {
      await db.transaction().execute(async (trx) => {
        const teamId = (await teams.ensureTeams(trx, tenantId, [input.team])).get(input.team)!;
        await trx
          .insertInto('recordings')
          .values({
            id,
            tenant_id: tenantId,
            call_id: input.callId,
            kind: input.kind,
            agent_user_id: agentUser?.id ?? null,
            agent: input.agent,
            team_id: teamId,
            site: input.site ?? null,
            region,
            customer_ref_token: customerRefToken,
            started_at: input.startedAt,
            ended_at: input.endedAt ?? null,
            codec: input.codec ?? null,
            content_type: input.contentType,
            payment_taken: input.paymentTaken ?? false,
            tags: input.tags ?? [],
            derived_from: options.derivedFrom ?? null,
            blob_key: blobKey,
            plaintext_bytes: limit.bytes,
            ciphertext_bytes: ciphertextBytes,
            dek_version: dekVersion,
            created_by: actor.userId,
          })
          .execute();
        await keys.storeWrapped(trx, tenantId, id, wrapped);
        await audit.append(trx, {
          tenantId,
          action: options.derivedFrom ? 'recording.derive' : 'recording.ingest',
          outcome: 'success',
          actor: auditActor(actor),
          resource: { type: 'Recording', id },
          requestId: actor.requestId,
          details: {
            kind: input.kind,
            team: teamId,
            bytes: limit.bytes,
            kekProvider: wrapped.provider,
            kekVersion: wrapped.version,
            derivedFrom: options.derivedFrom ?? null,
            channel: actor.channel,
          },
        });
      });
    } catch (e) {
      await blobs.delete(blobKey).catch(() => {});
      throw e;
    }
    return (await present([await require(tenantId, id)]))[0]!;
  }

  async function find(tenantId: string, id: string): Promise<RecordingRow | undefined> {
    return db
      .selectFrom('recordings')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async function require(tenantId: string, id: string): Promise<RecordingRow> {
    const row = await find(tenantId, id);
    if (!row) throw new AppError('NOT_FOUND', 'No such recording.');
    return row;
  }

  /** The Cedar resource for a recording: its team, region and every case it is linked to. */
  async function resourceOf(
    tenantId: string,
    id: string,
  ): Promise<{ row: RecordingRow; resource: Extract<ResourceSlice, { type: 'Recording' | 'Transcript' }> }> {
    const row = await require(tenantId, id);
    const cases = (await casesOf([id])).get(id) ?? [];
    // A restricted original (replaced by a redacted derivative) belongs to no team for policy
    // purposes: only an investigation case reaches it, as in the list scope.
    const team = row.status === 'restricted' ? '' : row.team_id;
    return { row, resource: { type: 'Recording', id, tenantId, region: row.region, team, cases } };
  }

  async function view(row: RecordingRow): Promise<RecordingView> {
    return (await present([row]))[0]!;
  }

  /**
   * Lists recordings the caller may read: those of their teams (QA, supervisors where enabled) and
   * those linked to their open cases (compliance, security), newest first, keyset-paginated.
   */
  async function list(
    tenantId: string,
    scope: ListScope,
    filters: ListFilters,
  ): Promise<{ items: RecordingView[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(filters.limit ?? 50, 1), 200);
    if (scope.teams.length === 0 && scope.cases.length === 0) return { items: [], nextCursor: null };
    let q = db
      .selectFrom('recordings as r')
      .selectAll('r')
      .where('r.tenant_id', '=', tenantId)
      .where('r.status', '<>', 'deleted')
      .where((eb) => {
        const ors = [];
        // Restricted originals (a redacted derivative replaced them) are reached only through a case.
        if (scope.teams.length > 0)
          ors.push(eb.and([eb('r.team_id', 'in', [...scope.teams]), eb('r.status', '=', 'stored')]));
        if (scope.cases.length > 0)
          ors.push(
            eb.exists(
              eb
                .selectFrom('case_recordings as cr')
                .select('cr.recording_id')
                .whereRef('cr.recording_id', '=', 'r.id')
                .where('cr.case_id', 'in', [...scope.cases]),
            ),
          );
        return eb.or(ors);
      });
    if (filters.team) {
      const team = await db
        .selectFrom('teams')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where((eb) => eb.or([eb('name', '=', filters.team!), eb(sql`id::text`, '=', filters.team!)]))
        .executeTakeFirst();
      if (!team) return { items: [], nextCursor: null };
      q = q.where('r.team_id', '=', team.id);
    }
    if (filters.agent) q = q.where('r.agent', '=', filters.agent);
    if (filters.callId) q = q.where('r.call_id', '=', filters.callId);
    if (filters.kind) q = q.where('r.kind', '=', filters.kind);
    if (filters.paymentTaken !== undefined) q = q.where('r.payment_taken', '=', filters.paymentTaken);
    if (filters.from) q = q.where('r.started_at', '>=', filters.from);
    if (filters.to) q = q.where('r.started_at', '<', filters.to);
    if (filters.cursor) {
      const c = decodeCursor(filters.cursor);
      q = q.where((eb) =>
        eb.or([
          eb('r.started_at', '<', c.startedAt),
          eb.and([eb('r.started_at', '=', c.startedAt), eb('r.id', '<', c.id)]),
        ]),
      );
    }
    const rows = await q
      .orderBy('r.started_at', 'desc')
      .orderBy('r.id', 'desc')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const more = rows.length > limit;
    return { items: await present(page), nextCursor: more ? encodeCursor(page[page.length - 1]!) : null };
  }

  /** The rows-in-scope rule of {@link list} for one principal (teams for QA and enabled supervisors, cases for compliance and security). */
  function scopeOf(p: PrincipalSlice, supervisorPlayback: boolean): ListScope {
    const teamRoles =
      p.roles.includes('qa_analyst') || (supervisorPlayback && p.roles.includes('supervisor'));
    const caseRoles = p.roles.includes('compliance_officer') || p.roles.includes('security_analyst');
    return { teams: teamRoles ? p.teams : [], cases: caseRoles ? p.cases : [] };
  }

  /**
   * Opens a recording's body for random access: unwraps its data key (typed errors when shredded or
   * retired), authenticates the header and length, then serves ranges chunk by chunk.
   */
  async function openContent(row: RecordingRow) {
    if (row.status === 'deleted')
      throw new AppError('GONE', 'This recording was deleted; its key was destroyed.');
    let dataKey: Uint8Array;
    try {
      dataKey = await keys.open(row.tenant_id, row.id, row.dek_version);
    } catch (e) {
      if (e instanceof KeyShreddedError)
        throw new AppError('GONE', 'This recording was crypto-shredded; it can never be decrypted.');
      if (e instanceof KekRetiredError) throw new AppError('CONFLICT', e.message);
      if (e instanceof KeyUnwrapError)
        throw new AppError('INTERNAL', 'The recording key does not unwrap; see the server log.', {
          cause: e,
        });
      throw e;
    }
    let opened: Awaited<ReturnType<typeof openRangeDecryptor>>;
    let reader: BlobReader;
    try {
      reader = await blobs.open(row.blob_key);
    } catch (e) {
      wipe(dataKey);
      if (e instanceof BlobNotFoundError)
        throw new AppError('INTERNAL', 'The stored recording is missing; see the server log.', { cause: e });
      throw e;
    }
    try {
      opened = await openRangeDecryptor(
        (offset, length) => reader.read(offset, length),
        row.ciphertext_bytes,
        dataKey,
        recordingContext(row.tenant_id, row.id, row.dek_version),
      );
    } catch (e) {
      await reader.close();
      if (e instanceof ChunkedDecryptError)
        throw new AppError('INTERNAL', 'The stored recording failed its integrity check.', { cause: e });
      throw e;
    } finally {
      wipe(dataKey);
    }
    if (opened.length !== row.plaintext_bytes) {
      await reader.close();
      throw new AppError('INTERNAL', 'The stored recording does not have the recorded length.');
    }
    return {
      length: opened.length,
      contentType: row.content_type,
      /**
       * Plaintext `[start, end)` as a stream, decrypting 1 MiB at a time (constant memory). Closes
       * the blob when it ends or is destroyed; call it once per `openContent`.
       */
      stream(start: number, end: number): Readable {
        let at = start;
        return new Readable({
          async read() {
            if (at >= end) {
              await reader.close();
              this.push(null);
              return;
            }
            const to = Math.min(end, at + PLAY_WINDOW - (at % CHUNK_SIZE));
            try {
              const piece = await opened.read(at, to);
              at = to;
              this.push(piece);
            } catch (e) {
              this.destroy(e as Error);
            }
          },
          destroy(err, cb) {
            reader.close().then(
              () => cb(err),
              () => cb(err),
            );
          },
        });
      },
      /** Releases the blob without streaming (e.g. a refused range). */
      close: () => reader.close(),
    };
  }

  /** Whether any active legal hold covers the recording (directly or through a linked case). */
  async function isHeld(dbOrTrx: Db, id: string): Promise<boolean> {
    return (await heldIds(dbOrTrx, [id])).size > 0;
  }

  /**
   * Deletes a recording: refused under legal hold; otherwise the wrapped data key is destroyed
   * (crypto-shredding: the body is unreadable from this commit on), the row becomes a tombstone
   * without customer data, deletion evidence goes to the audit log in the same transaction, and the
   * ciphertext blob is removed afterwards.
   */
  async function remove(
    actor: Actor,
    id: string,
    reason: { kind: 'request' | 'retention' | 'redaction'; purpose: string; policyId?: string },
  ): Promise<{ id: string; deletedAt: string; bytes: number }> {
    const now = clock.now();
    const row = await db.transaction().execute(async (trx) => {
      const r = await trx
        .selectFrom('recordings')
        .selectAll()
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!r) throw new AppError('NOT_FOUND', 'No such recording.');
      if (r.status === 'deleted') throw new AppError('GONE', 'This recording was already deleted.');
      if (await isHeld(trx, id))
        throw new AppError('CONFLICT', 'This recording is under legal hold and cannot be deleted.', {
          details: { reason: 'legal_hold' },
        });
      const shredded = await keys.shred(trx, actor.tenantId, id);
      await trx
        .updateTable('recordings')
        .set({
          status: 'deleted',
          deleted_at: now,
          deleted_reason: reason.kind,
          customer_ref_token: null,
          transcript_silence: null,
        })
        .where('id', '=', id)
        .execute();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: 'recording.delete',
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'Recording', id },
        purpose: reason.purpose,
        requestId: actor.requestId,
        details: {
          reason: reason.kind,
          retentionPolicy: reason.policyId ?? null,
          keyDestroyed: shredded,
          blob: r.blob_key,
          bytes: r.plaintext_bytes,
          kind: r.kind,
          startedAt: r.started_at.toISOString(),
          channel: actor.channel,
        },
      });
      return r;
    });
    // After the commit: the key is already gone, so the blobs are noise; a failure here leaves only that.
    await blobs.delete(row.blob_key);
    if (row.transcript_blob_key) await blobs.delete(row.transcript_blob_key);
    return { id, deletedAt: now.toISOString(), bytes: row.plaintext_bytes };
  }

  async function addMarker(
    actor: Actor,
    id: string,
    input: { kind: 'pause' | 'resume'; atSeconds: number; reason?: string | undefined },
  ): Promise<Marker> {
    return db.transaction().execute(async (trx) => {
      const r = await trx
        .selectFrom('recordings')
        .select(['id', 'status'])
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!r || r.status === 'deleted') throw new AppError('NOT_FOUND', 'No such recording.');
      const inserted = await trx
        .insertInto('recording_markers')
        .values({
          tenant_id: actor.tenantId,
          recording_id: id,
          kind: input.kind,
          at_seconds: input.atSeconds,
          reason: input.reason ?? null,
          created_by: actor.userId,
        })
        .returning(['id', 'created_at'])
        .executeTakeFirstOrThrow();
      await audit.append(trx, {
        tenantId: actor.tenantId,
        action: `recording.${input.kind}`,
        outcome: 'success',
        actor: auditActor(actor),
        resource: { type: 'Recording', id },
        requestId: actor.requestId,
        details: { atSeconds: input.atSeconds, reason: input.reason ?? null, channel: actor.channel },
      });
      return {
        id: inserted.id,
        kind: input.kind,
        atSeconds: input.atSeconds,
        reason: input.reason ?? null,
        createdAt: inserted.created_at.toISOString(),
      };
    });
  }

  async function markersOf(ids: string[]): Promise<Map<string, Marker[]>> {
    const map = new Map<string, Marker[]>();
    if (ids.length === 0) return map;
    const rows = await db
      .selectFrom('recording_markers')
      .selectAll()
      .where('recording_id', 'in', ids)
      .orderBy('recording_id')
      .orderBy('at_seconds')
      .orderBy('id')
      .execute();
    for (const m of rows)
      map.set(m.recording_id, [
        ...(map.get(m.recording_id) ?? []),
        {
          id: m.id,
          kind: m.kind,
          atSeconds: m.at_seconds,
          reason: m.reason,
          createdAt: m.created_at.toISOString(),
        },
      ]);
    return map;
  }

  /**
   * Pause/resume gaps per recording for quality teams: each pause to the next resume (or to the end
   * of the recording when never resumed), the total paused time, and marker sequences that do not
   * make sense (flagged, not guessed).
   */
  async function gapReport(
    tenantId: string,
    scope: ListScope,
    filters: ListFilters,
  ): Promise<{ items: GapReportRow[]; nextCursor: string | null }> {
    const page = await list(tenantId, scope, filters);
    const markers = await markersOf(page.items.map((r) => r.id));
    const items = page.items.map((r) => {
      const duration = r.endedAt ? (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000 : null;
      const gaps: GapReportRow['gaps'] = [];
      const anomalies: string[] = [];
      let open: Marker | null = null;
      for (const m of markers.get(r.id) ?? []) {
        if (m.kind === 'pause') {
          if (open) anomalies.push(`pause at ${m.atSeconds}s while already paused since ${open.atSeconds}s`);
          else open = m;
        } else if (!open) anomalies.push(`resume at ${m.atSeconds}s without a pause`);
        else {
          gaps.push({
            from: open.atSeconds,
            to: m.atSeconds,
            seconds: m.atSeconds - open.atSeconds,
            reason: open.reason,
          });
          open = null;
        }
      }
      if (open) {
        anomalies.push(`pause at ${open.atSeconds}s never resumed`);
        gaps.push({
          from: open.atSeconds,
          to: duration,
          seconds: duration === null ? null : Math.max(0, duration - open.atSeconds),
          reason: open.reason,
        });
      }
      return {
        recordingId: r.id,
        callId: r.callId,
        team: r.team.name,
        startedAt: r.startedAt,
        durationSeconds: duration,
        gaps,
        pausedSeconds: gaps.reduce((a, g) => a + (g.seconds ?? 0), 0),
        anomalies,
      };
    });
    return { items, nextCursor: page.nextCursor };
  }

  /**
   * Removes blobs no live recording points at: left by a crash between the blob write and the
   * commit, or by a deletion whose blob removal failed. Only blobs older than `graceMs` are
   * touched, so an upload between its rename and its commit is never taken. They hold ciphertext
   * whose key is gone or was never stored, so this frees space; it does not change what is readable.
   */
  async function sweepOrphanBlobs(graceMs = 3_600_000): Promise<{ examined: number; removed: string[] }> {
    const cutoff = clock.now().getTime() - graceMs;
    const removed: string[] = [];
    let examined = 0;
    for await (const blob of blobs.list()) {
      examined += 1;
      if (blob.modifiedAt.getTime() > cutoff) continue;
      const id = BLOB_ID_RE.exec(blob.key)?.[1];
      const row = id
        ? await db
            .selectFrom('recordings')
            .select(['status', 'blob_key', 'transcript_blob_key'])
            .where('id', '=', id)
            .executeTakeFirst()
        : undefined;
      const live =
        row !== undefined &&
        row.status !== 'deleted' &&
        (row.blob_key === blob.key || row.transcript_blob_key === blob.key);
      if (live) continue;
      await blobs.delete(blob.key);
      removed.push(blob.key);
    }
    return { examined, removed };
  }

  /** Counts and bytes for administrators: no content, no customer metadata. */
  async function storage(tenantId: string) {
    const rows = await db
      .selectFrom('recordings')
      .select([
        'kind',
        'status',
        sql<number>`count(*)::int`.as('n'),
        sql<number>`coalesce(sum(plaintext_bytes), 0)::bigint`.as('bytes'),
        sql<number>`coalesce(sum(ciphertext_bytes), 0)::bigint`.as('stored'),
      ])
      .where('tenant_id', '=', tenantId)
      .groupBy(['kind', 'status'])
      .execute();
    const holds = await db
      .selectFrom('legal_holds')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('tenant_id', '=', tenantId)
      .where('released_at', 'is', null)
      .executeTakeFirstOrThrow();
    return {
      byKindAndStatus: rows.map((r) => ({
        kind: r.kind,
        status: r.status,
        recordings: Number(r.n),
        bytes: Number(r.bytes),
        storedBytes: Number(r.stored),
      })),
      activeLegalHolds: Number(holds.n),
    };
  }

  return {
    ingest,
    find,
    require,
    resourceOf,
    view,
    list,
    scopeOf,
    openContent,
    isHeld,
    remove,
    addMarker,
    markersOf,
    gapReport,
    storage,
    sweepOrphanBlobs,
  };
}

export type RecordingsService = ReturnType<typeof createRecordingsService>;
