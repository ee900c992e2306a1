/**
 * Everything Bulwark holds about one person, read category by category with keyset pages (1,000
 * rows a query, each query on an index that starts with the subject), so an export of years of
 * adherence history streams in bounded memory. Secrets never leave: no password hash, TOTP secret,
 * recovery code, session secret or passkey key is selected. Customer references on recordings stay
 * tokens; recording and transcript content is never read. Home addresses are decrypted: the subject
 * is the person the address belongs to.
 *
 * Formats: one JSON document for the whole export, CSV per category, and a plain HTML summary in
 * which every value is escaped.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { AppError } from '../../lib/errors.ts';
import type { Keyring } from '../../lib/keyring.ts';
import { homeAddressAad } from '../wfm/wfm.service.ts';

export const EXPORT_CATEGORIES = [
  'identity',
  'sessions',
  'audit',
  'wfm_agent',
  'schedules',
  'adherence_events',
  'adherence_intervals',
  'absences',
  'performance',
  'shift_swaps',
  'recordings',
] as const;
export type ExportCategory = (typeof EXPORT_CATEGORIES)[number];
export type ExportCounts = Record<ExportCategory, number>;
export type ExportRow = Record<string, string | number | boolean | null | readonly string[]>;

/** Columns of each category, in CSV order. */
export const EXPORT_COLUMNS: Readonly<Record<ExportCategory, readonly string[]>> = {
  identity: [
    'userId',
    'username',
    'roles',
    'teams',
    'region',
    'site',
    'status',
    'permissions',
    'mfaEnrolled',
    'mfaEnrolledAt',
    'passkeys',
    'unusedRecoveryCodes',
    'mustChangePassword',
    'lockedUntil',
    'createdAt',
    'updatedAt',
  ],
  sessions: ['createdAt', 'lastSeenAt', 'expiresAt', 'mfaAt', 'sourceIp', 'revokedAt', 'revokedReason'],
  audit: [
    'eventId',
    'time',
    'relation',
    'action',
    'outcome',
    'resourceType',
    'resourceId',
    'actorUserId',
    'actorRoles',
    'actorIp',
    'purpose',
    'reason',
    'policies',
    'details',
  ],
  wfm_agent: [
    'agentId',
    'name',
    'team',
    'site',
    'region',
    'status',
    'leftAt',
    'homeAddress',
    'createdAt',
    'updatedAt',
  ],
  schedules: ['agentId', 'start', 'end', 'activity', 'team', 'region'],
  adherence_events: ['agentId', 'timestamp', 'state', 'team', 'region'],
  adherence_intervals: ['agentId', 'intervalStart', 'state', 'seconds', 'team', 'region'],
  absences: ['agentId', 'startDate', 'endDate', 'reasonCode', 'team', 'region'],
  performance: ['agentId', 'periodStart', 'metric', 'value', 'team', 'region'],
  shift_swaps: [
    'agentId',
    'offerId',
    'role',
    'start',
    'end',
    'activity',
    'team',
    'region',
    'status',
    'note',
    'claimed',
    'offeredAt',
    'claimedAt',
    'decidedAt',
  ],
  recordings: [
    'recordingId',
    'callId',
    'kind',
    'startedAt',
    'endedAt',
    'team',
    'site',
    'region',
    'customerRefToken',
    'codec',
    'contentType',
    'paymentTaken',
    'tags',
    'status',
    'derivedFrom',
    'hasTranscript',
    'createdAt',
    'deletedAt',
  ],
};

export const EXPORT_TITLES: Readonly<Record<ExportCategory, string>> = {
  identity: 'User account',
  sessions: 'Sessions',
  audit: 'Audit events (you acted, or your records were acted on)',
  wfm_agent: 'Workforce record',
  schedules: 'Schedules',
  adherence_events: 'Adherence state events',
  adherence_intervals: 'Adherence intervals (15 minutes)',
  absences: 'Absences',
  performance: 'Performance metrics',
  shift_swaps: 'Shift swaps you offered or claimed (your side only)',
  recordings: 'Recordings where you are the agent (metadata only)',
};

/** The person an export is about: their Bulwark user, WFM agent records, or both. */
export type Subject = {
  tenantId: string;
  userId: string | null;
  username: string | null;
  agents: ReadonlyArray<{ ref: string; agentId: string }>;
};

export type SubjectInput = { username: string } | { agentId: string };

/** Rows a query fetches at a time. */
export const PAGE = 1000;

const iso = (v: unknown): string | null =>
  v === null || v === undefined ? null : (v instanceof Date ? v : new Date(String(v))).toISOString();
/** A timestamptz as exact text (microseconds), for keyset comparison. */
const tsKey = (col: string) =>
  sql<string>`to_char(${sql.ref(col)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

type Db = Kysely<Database>;

/** Resolves a subject by username or WFM agent id (404 naming which one is unknown). */
export async function resolveSubject(db: Db, tenantId: string, input: SubjectInput): Promise<Subject> {
  if ('username' in input) {
    const user = await db
      .selectFrom('users')
      .select(['id', 'username'])
      .where('tenant_id', '=', tenantId)
      .where('username', '=', input.username)
      .executeTakeFirst();
    if (!user) throw new AppError('NOT_FOUND', 'No user has this username in the tenant (subject.username).');
    return subjectOfUser(db, tenantId, user.id, user.username);
  }
  const agent = await db
    .selectFrom('wfm_agents')
    .select(['id', 'agent_id', 'user_id'])
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', input.agentId)
    .executeTakeFirst();
  if (!agent)
    throw new AppError('NOT_FOUND', 'No WFM agent has this agent id in the tenant (subject.agentId).');
  if (agent.user_id) {
    const user = await db
      .selectFrom('users')
      .select('username')
      .where('id', '=', agent.user_id)
      .executeTakeFirst();
    return subjectOfUser(db, tenantId, agent.user_id, user?.username ?? null);
  }
  return { tenantId, userId: null, username: null, agents: [{ ref: agent.id, agentId: agent.agent_id }] };
}

/** The subject of a Bulwark user: the user and every WFM agent record linked to them. */
export async function subjectOfUser(
  db: Db,
  tenantId: string,
  userId: string,
  username: string | null,
): Promise<Subject> {
  const agents = await db
    .selectFrom('wfm_agents')
    .select(['id', 'agent_id'])
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .orderBy('id')
    .execute();
  return { tenantId, userId, username, agents: agents.map((a) => ({ ref: a.id, agentId: a.agent_id })) };
}

/** The subject a request stored (user and/or agent reference), with the user's other agent records. */
export async function subjectOfRequest(
  db: Db,
  tenantId: string,
  userId: string | null,
  agentRef: string | null,
): Promise<Subject> {
  if (userId) {
    const user = await db.selectFrom('users').select('username').where('id', '=', userId).executeTakeFirst();
    return subjectOfUser(db, tenantId, userId, user?.username ?? null);
  }
  const agent = await db
    .selectFrom('wfm_agents')
    .select(['id', 'agent_id'])
    .where('id', '=', agentRef!)
    .executeTakeFirstOrThrow();
  return { tenantId, userId: null, username: null, agents: [{ ref: agent.id, agentId: agent.agent_id }] };
}

/** Ids under which audit events name the subject as their resource. */
const subjectResourceIds = (s: Subject): string[] => [
  ...(s.userId ? [s.userId] : []),
  ...s.agents.flatMap((a) => [a.ref, a.agentId]),
];

/** Keyset pages of one query until a short page. */
async function* pages<R>(fetch: (after: R | undefined) => Promise<R[]>): AsyncGenerator<R> {
  let after: R | undefined;
  for (;;) {
    const rows = await fetch(after);
    for (const r of rows) yield r;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1];
  }
}

type WfmTable =
  | 'wfm_schedules'
  | 'wfm_adherence_events'
  | 'wfm_adherence_intervals'
  | 'wfm_absences'
  | 'wfm_performance';

/** One WFM table of one agent, in the order of its unique key (tenant, agent, key...). */
async function* wfmRows(
  db: Db,
  tenantId: string,
  agent: { ref: string; agentId: string },
  table: WfmTable,
  keys: ReadonlyArray<{ col: string; type: 'timestamptz' | 'date' | 'text' }>,
  columns: string,
): AsyncGenerator<Record<string, unknown>> {
  const keyExprs = keys.map((k, i) =>
    k.type === 'timestamptz'
      ? sql`${tsKey(`r.${k.col}`)} as ${sql.ref(`k${i}`)}`
      : sql`r.${sql.ref(k.col)}::text as ${sql.ref(`k${i}`)}`,
  );
  const keyCols = sql.join(keys.map((k) => sql.ref(`r.${k.col}`)));
  yield* pages<Record<string, unknown>>(async (after) => {
    const where = [sql`r.tenant_id = ${tenantId}`, sql`r.agent_ref = ${agent.ref}`];
    if (after)
      where.push(
        sql`(${keyCols}) > (${sql.join(keys.map((k, i) => sql`cast(${String(after[`k${i}`])} as ${sql.raw(k.type)})`))})`,
      );
    const res = await sql<Record<string, unknown>>`
      select ${sql.join(keyExprs)}, ${sql.raw(columns)}, t.name as team_name, r.region
      from ${sql.table(table)} r join teams t on t.id = r.team_id
      where ${sql.join(where, sql` and `)}
      order by ${keyCols}
      limit ${PAGE}`.execute(db);
    return res.rows;
  });
}

type ReadDeps = { db: Db; keyring: Pick<Keyring, 'decryptField'> };

/** The rows of one category, streamed. */
export async function* readCategory(
  { db, keyring }: ReadDeps,
  s: Subject,
  category: ExportCategory,
): AsyncGenerator<ExportRow> {
  const { tenantId } = s;
  switch (category) {
    case 'identity': {
      if (!s.userId) return;
      const u = await db
        .selectFrom('users')
        .select([
          'id',
          'username',
          'roles',
          'region',
          'site',
          'status',
          'permissions',
          'totp_enrolled_at',
          'must_change_password',
          'locked_until',
          'created_at',
          'updated_at',
        ])
        .where('tenant_id', '=', tenantId)
        .where('id', '=', s.userId)
        .executeTakeFirst();
      if (!u) return;
      const teams = await db
        .selectFrom('user_teams as ut')
        .innerJoin('teams as t', 't.id', 'ut.team_id')
        .select('t.name')
        .where('ut.user_id', '=', u.id)
        .orderBy('t.name')
        .execute();
      const count = async (table: 'webauthn_credentials' | 'recovery_codes') =>
        Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll().as('n'))
              .where('user_id', '=', u.id)
              .$if(table === 'recovery_codes', (q) => q.where(sql<boolean>`used_at is null`))
              .executeTakeFirstOrThrow()
          ).n,
        );
      yield {
        userId: u.id,
        username: u.username,
        roles: u.roles,
        teams: teams.map((t) => t.name),
        region: u.region,
        site: u.site,
        status: u.status,
        permissions: u.permissions,
        mfaEnrolled: u.totp_enrolled_at !== null,
        mfaEnrolledAt: iso(u.totp_enrolled_at),
        passkeys: await count('webauthn_credentials'),
        unusedRecoveryCodes: await count('recovery_codes'),
        mustChangePassword: u.must_change_password,
        lockedUntil: iso(u.locked_until),
        createdAt: iso(u.created_at),
        updatedAt: iso(u.updated_at),
      };
      return;
    }
    case 'sessions': {
      if (!s.userId) return;
      const userId = s.userId;
      for await (const r of pages<Record<string, unknown>>(async (after) => {
        const res = await sql<Record<string, unknown>>`
          select id, ${tsKey('created_at')} as k, created_at, last_seen_at, absolute_expires_at, mfa_at,
                 source_ip, revoked_at, revoked_reason
          from sessions
          where user_id = ${userId} and tenant_id = ${tenantId}
            ${after ? sql`and (created_at, id) > (cast(${String(after.k)} as timestamptz), cast(${String(after.id)} as uuid))` : sql``}
          order by created_at, id
          limit ${PAGE}`.execute(db);
        return res.rows;
      }))
        yield {
          createdAt: iso(r.created_at),
          lastSeenAt: iso(r.last_seen_at),
          expiresAt: iso(r.absolute_expires_at),
          mfaAt: iso(r.mfa_at),
          sourceIp: (r.source_ip as string | null) ?? null,
          revokedAt: iso(r.revoked_at),
          revokedReason: (r.revoked_reason as string | null) ?? null,
        };
      return;
    }
    case 'audit': {
      const userId = s.userId;
      const toRow = (body: string, relation: 'actor' | 'subject'): ExportRow => {
        const e = JSON.parse(body) as {
          id: string;
          time: string;
          action: string;
          outcome: string;
          resource: { type: string; id: string | null };
          actor: { user: string | null; roles: string[]; ip: string | null };
          purpose: string | null;
          reason: string | null;
          policies: string[];
          details: Record<string, unknown>;
        };
        const own = userId !== null && e.actor.user === userId;
        return {
          eventId: e.id,
          time: e.time,
          relation,
          action: e.action,
          outcome: e.outcome,
          resourceType: e.resource.type,
          resourceId: e.resource.id,
          actorUserId: e.actor.user,
          actorRoles: e.actor.roles,
          // Another person's IP address is their data, not the subject's.
          actorIp: own ? e.actor.ip : null,
          purpose: e.purpose,
          reason: e.reason,
          policies: e.policies,
          details: JSON.stringify(e.details ?? {}),
        };
      };
      if (userId)
        for await (const r of pages<{ id: number; body: string }>(async (after) =>
          db
            .selectFrom('audit_events')
            .select(['id', 'body'])
            .where('tenant_id', '=', tenantId)
            .where('actor_user_id', '=', userId)
            .$if(after !== undefined, (q) => q.where('id', '>', after!.id))
            .orderBy('id')
            .limit(PAGE)
            .execute(),
        ))
          yield toRow(r.body, 'actor');
      for (const resourceId of subjectResourceIds(s))
        for await (const r of pages<{ id: number; body: string }>(async (after) =>
          db
            .selectFrom('audit_events')
            .select(['id', 'body'])
            .where('tenant_id', '=', tenantId)
            .where('resource_id', '=', resourceId)
            .$if(userId !== null, (q) =>
              q.where((eb) => eb.or([eb('actor_user_id', 'is', null), eb('actor_user_id', '!=', userId!)])),
            )
            .$if(after !== undefined, (q) => q.where('id', '>', after!.id))
            .orderBy('id')
            .limit(PAGE)
            .execute(),
        ))
          yield toRow(r.body, 'subject');
      return;
    }
    case 'wfm_agent': {
      for (const a of s.agents) {
        const r = await db
          .selectFrom('wfm_agents as a')
          .innerJoin('teams as t', 't.id', 'a.team_id')
          .select([
            'a.agent_id',
            'a.name',
            't.name as team',
            'a.site',
            'a.region',
            'a.status',
            'a.left_at',
            'a.home_address_enc',
            'a.created_at',
            'a.updated_at',
          ])
          .where('a.id', '=', a.ref)
          .executeTakeFirst();
        if (!r) continue;
        yield {
          agentId: r.agent_id,
          name: r.name,
          team: r.team,
          site: r.site,
          region: r.region,
          status: r.status,
          leftAt: iso(r.left_at),
          homeAddress: r.home_address_enc
            ? keyring.decryptField(tenantId, r.home_address_enc, homeAddressAad(tenantId, r.agent_id))
            : null,
          createdAt: iso(r.created_at),
          updatedAt: iso(r.updated_at),
        };
      }
      return;
    }
    case 'schedules':
      for (const a of s.agents)
        for await (const r of wfmRows(
          db,
          tenantId,
          a,
          'wfm_schedules',
          [{ col: 'starts_at', type: 'timestamptz' }],
          'r.starts_at, r.ends_at, r.activity',
        ))
          yield {
            agentId: a.agentId,
            start: iso(r.starts_at),
            end: iso(r.ends_at),
            activity: String(r.activity),
            team: String(r.team_name),
            region: String(r.region),
          };
      return;
    case 'adherence_events':
      for (const a of s.agents)
        for await (const r of wfmRows(
          db,
          tenantId,
          a,
          'wfm_adherence_events',
          [{ col: 'occurred_at', type: 'timestamptz' }],
          'r.occurred_at, r.state',
        ))
          yield {
            agentId: a.agentId,
            timestamp: iso(r.occurred_at),
            state: String(r.state),
            team: String(r.team_name),
            region: String(r.region),
          };
      return;
    case 'adherence_intervals':
      for (const a of s.agents)
        for await (const r of wfmRows(
          db,
          tenantId,
          a,
          'wfm_adherence_intervals',
          [
            { col: 'interval_start', type: 'timestamptz' },
            { col: 'state', type: 'text' },
          ],
          'r.interval_start, r.state, r.seconds',
        ))
          yield {
            agentId: a.agentId,
            intervalStart: iso(r.interval_start),
            state: String(r.state),
            seconds: Number(r.seconds),
            team: String(r.team_name),
            region: String(r.region),
          };
      return;
    case 'absences':
      for (const a of s.agents)
        for await (const r of wfmRows(
          db,
          tenantId,
          a,
          'wfm_absences',
          [{ col: 'start_date', type: 'date' }],
          'r.end_date::text as end_date, r.reason_code',
        ))
          yield {
            agentId: a.agentId,
            startDate: String(r.k0),
            endDate: String(r.end_date),
            reasonCode: String(r.reason_code),
            team: String(r.team_name),
            region: String(r.region),
          };
      return;
    case 'performance':
      for (const a of s.agents)
        for await (const r of wfmRows(
          db,
          tenantId,
          a,
          'wfm_performance',
          [
            { col: 'period_start', type: 'date' },
            { col: 'metric', type: 'text' },
          ],
          'r.value',
        ))
          yield {
            agentId: a.agentId,
            periodStart: String(r.k0),
            metric: String(r.k1),
            value: Number(r.value),
            team: String(r.team_name),
            region: String(r.region),
          };
      return;
    case 'shift_swaps':
      // The subject's side only: as offerer their note and whether someone claimed (never who), as
      // claimant the shift they claimed (never who offered it, nor the offerer's note); never who decided.
      for (const a of s.agents)
        for (const role of ['offerer', 'claimant'] as const)
          for await (const r of pages<Record<string, unknown>>(async (after) => {
            const mine = role === 'offerer' ? sql`w.offered_by_agent` : sql`w.claimed_by_agent`;
            const res = await sql<Record<string, unknown>>`
              select w.id, ${tsKey('w.created_at')} as k, w.starts_at, w.ends_at, w.activity, t.name as team_name,
                     w.region, w.status, w.note, w.claimed_by_agent is not null as claimed, w.created_at,
                     w.claimed_at, w.decided_at
              from wfm_shift_swaps w join teams t on t.id = w.team_id
              where w.tenant_id = ${tenantId} and ${mine} = ${a.ref}
                ${after ? sql`and (w.created_at, w.id) > (cast(${String(after.k)} as timestamptz), cast(${String(after.id)} as uuid))` : sql``}
              order by w.created_at, w.id
              limit ${PAGE}`.execute(db);
            return res.rows;
          }))
            yield {
              agentId: a.agentId,
              offerId: String(r.id),
              role,
              start: iso(r.starts_at),
              end: iso(r.ends_at),
              activity: String(r.activity),
              team: String(r.team_name),
              region: String(r.region),
              status: String(r.status),
              note: role === 'offerer' ? ((r.note as string | null) ?? null) : null,
              claimed: r.claimed === true || r.claimed === 't',
              offeredAt: iso(r.created_at),
              claimedAt: iso(r.claimed_at),
              decidedAt: iso(r.decided_at),
            };
      return;
    case 'recordings': {
      const names = [...(s.username ? [s.username] : []), ...s.agents.map((a) => a.agentId)];
      const selectors = [
        ...(s.userId ? [sql`r.agent_user_id = ${s.userId}`] : []),
        // Recorded under their name or agent id without a linked user (never someone else's user).
        ...names.map((n) => sql`r.agent = ${n} and r.agent_user_id is null`),
      ];
      for (const selector of selectors)
        for await (const r of pages<Record<string, unknown>>(async (after) => {
          const res = await sql<Record<string, unknown>>`
            select r.id, ${tsKey('r.started_at')} as k, r.call_id, r.kind, r.started_at, r.ended_at,
                   t.name as team_name, r.site, r.region, r.customer_ref_token, r.codec, r.content_type,
                   r.payment_taken, r.tags, r.status, r.derived_from, r.transcript_blob_key is not null as has_transcript,
                   r.created_at, r.deleted_at
            from recordings r join teams t on t.id = r.team_id
            where r.tenant_id = ${tenantId} and ${selector}
              ${after ? sql`and (r.started_at, r.id) > (cast(${String(after.k)} as timestamptz), cast(${String(after.id)} as uuid))` : sql``}
            order by r.started_at, r.id
            limit ${PAGE}`.execute(db);
          return res.rows;
        }))
          yield {
            recordingId: String(r.id),
            callId: String(r.call_id),
            kind: String(r.kind),
            startedAt: iso(r.started_at),
            endedAt: iso(r.ended_at),
            team: String(r.team_name),
            site: (r.site as string | null) ?? null,
            region: String(r.region),
            customerRefToken: (r.customer_ref_token as string | null) ?? null,
            codec: (r.codec as string | null) ?? null,
            contentType: String(r.content_type),
            paymentTaken: r.payment_taken === true || r.payment_taken === 't',
            tags: (r.tags as string[]) ?? [],
            status: String(r.status),
            derivedFrom: (r.derived_from as string | null) ?? null,
            hasTranscript: r.has_transcript === true || r.has_transcript === 't',
            createdAt: iso(r.created_at),
            deletedAt: iso(r.deleted_at),
          };
      return;
    }
  }
}

/** Rows per category (the same selections as {@link readCategory}, counted in SQL). */
export async function countCategories(db: Db, s: Subject): Promise<ExportCounts> {
  const { tenantId } = s;
  const n = async (q: { executeTakeFirstOrThrow: () => Promise<{ n: unknown }> }) =>
    Number((await q.executeTakeFirstOrThrow()).n);
  const refs = s.agents.map((a) => a.ref);
  const wfm = async (table: WfmTable) =>
    refs.length === 0
      ? 0
      : n(
          db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .where('tenant_id', '=', tenantId)
            .where('agent_ref', 'in', refs),
        );
  const userId = s.userId;
  let audit = 0;
  if (userId)
    audit += await n(
      db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('tenant_id', '=', tenantId)
        .where('actor_user_id', '=', userId),
    );
  const ids = subjectResourceIds(s);
  if (ids.length > 0)
    audit += await n(
      db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('tenant_id', '=', tenantId)
        .where('resource_id', 'in', ids)
        .$if(userId !== null, (q) =>
          q.where((eb) => eb.or([eb('actor_user_id', 'is', null), eb('actor_user_id', '!=', userId!)])),
        ),
    );
  const names = [...(s.username ? [s.username] : []), ...s.agents.map((a) => a.agentId)];
  let recordings = 0;
  if (userId)
    recordings += await n(
      db
        .selectFrom('recordings')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('tenant_id', '=', tenantId)
        .where('agent_user_id', '=', userId),
    );
  if (names.length > 0)
    recordings += await n(
      db
        .selectFrom('recordings')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('tenant_id', '=', tenantId)
        .where('agent', 'in', names)
        .where('agent_user_id', 'is', null),
    );
  return {
    identity: userId ? 1 : 0,
    sessions: userId
      ? await n(
          db
            .selectFrom('sessions')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('tenant_id', '=', tenantId)
            .where('user_id', '=', userId),
        )
      : 0,
    audit,
    wfm_agent: s.agents.length,
    schedules: await wfm('wfm_schedules'),
    adherence_events: await wfm('wfm_adherence_events'),
    adherence_intervals: await wfm('wfm_adherence_intervals'),
    absences: await wfm('wfm_absences'),
    performance: await wfm('wfm_performance'),
    shift_swaps:
      refs.length === 0
        ? 0
        : await n(
            db
              .selectFrom('wfm_shift_swaps')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('tenant_id', '=', tenantId)
              .where((eb) => eb.or([eb('offered_by_agent', 'in', refs), eb('claimed_by_agent', 'in', refs)])),
          ),
    recordings,
  };
}

// ---------------------------------------------------------------------------------------------
// Formats

/**
 * One CSV cell (RFC 4180). Arrays are joined with "; ". A text value starting with = + - @ or a
 * control character gets a leading apostrophe so a spreadsheet shows it instead of running it.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = Array.isArray(v) ? v.join('; ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV of one category: a header line, then one line per row. */
export async function* csvOf(
  columns: readonly string[],
  rows: AsyncIterable<ExportRow>,
): AsyncGenerator<string> {
  yield `${columns.join(',')}\r\n`;
  let batch: string[] = [];
  for await (const r of rows) {
    batch.push(columns.map((c) => csvCell(r[c])).join(','));
    if (batch.length >= 500) {
      yield `${batch.join('\r\n')}\r\n`;
      batch = [];
    }
  }
  if (batch.length > 0) yield `${batch.join('\r\n')}\r\n`;
}

/** A JSON array streamed from rows. */
export async function* jsonArrayOf(rows: AsyncIterable<ExportRow>): AsyncGenerator<string> {
  yield '[';
  let first = true;
  let batch: string[] = [];
  for await (const r of rows) {
    batch.push(`${first ? '' : ','}\n${JSON.stringify(r)}`);
    first = false;
    if (batch.length >= 500) {
      yield batch.join('');
      batch = [];
    }
  }
  yield `${batch.join('')}${first ? '' : '\n'}]`;
}

export const escapeHtml = (v: unknown): string =>
  String(v ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** Rows of each category shown in the HTML summary; the CSV and JSON hold them all. */
export const HTML_ROWS = 200;

export type ExportMeta = {
  generatedAt: string;
  subject: { userId: string | null; username: string | null; agentIds: string[] };
  request: { id: string; receivedAt: string; dueAt: string } | null;
  counts: ExportCounts;
};

export const metaOf = (
  s: Subject,
  counts: ExportCounts,
  generatedAt: Date,
  request: ExportMeta['request'],
): ExportMeta => ({
  generatedAt: generatedAt.toISOString(),
  subject: { userId: s.userId, username: s.username, agentIds: s.agents.map((a) => a.agentId) },
  request,
  counts,
});

/**
 * A plain, readable HTML page: who the export is about, the rows per category, and the first
 * {@link HTML_ROWS} rows of each category as a table. Every value is escaped; no script, no
 * external resource. `links` names the files of a directory export (CLI).
 */
export async function* htmlOf(
  meta: ExportMeta,
  read: (c: ExportCategory) => AsyncIterable<ExportRow>,
  options: { links?: boolean; retention?: Partial<Record<ExportCategory, string>> } = {},
): AsyncGenerator<string> {
  const who = meta.subject.username ?? meta.subject.agentIds.join(', ');
  yield `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Personal data held by Bulwark: ${escapeHtml(who)}</title>
<style>body{font:15px/1.45 system-ui,sans-serif;margin:2rem;max-width:72rem;color:#111}table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #bbb;padding:.2rem .45rem;text-align:left;vertical-align:top}th{background:#eee}caption{text-align:left;font-weight:600}</style>
</head><body>
<h1>Personal data held by Bulwark</h1>
<p>About: <strong>${escapeHtml(who)}</strong>${meta.subject.userId ? ` (user id ${escapeHtml(meta.subject.userId)})` : ''}${meta.subject.agentIds.length > 0 ? `; WFM agent id(s) ${escapeHtml(meta.subject.agentIds.join(', '))}` : ''}.<br>
Generated ${escapeHtml(meta.generatedAt)}${meta.request ? `; request ${escapeHtml(meta.request.id)} received ${escapeHtml(meta.request.receivedAt)}, due ${escapeHtml(meta.request.dueAt)}` : ''}.</p>
<p>Secrets (password hashes, second-factor secrets, recovery codes, session tokens) are never exported. Recording and transcript content is not included; customer references are shown as tokens.</p>
<table><caption>What is held</caption><thead><tr><th scope="col">Category</th><th scope="col">Rows</th>${options.retention ? '<th scope="col">Kept for</th>' : ''}${options.links ? '<th scope="col">Files</th>' : ''}</tr></thead><tbody>
`;
  for (const c of EXPORT_CATEGORIES)
    yield `<tr><td><a href="#${c}">${escapeHtml(EXPORT_TITLES[c])}</a></td><td>${meta.counts[c]}</td>${options.retention ? `<td>${escapeHtml(options.retention[c] ?? '')}</td>` : ''}${options.links ? `<td><a href="${c}.json">${c}.json</a> · <a href="${c}.csv">${c}.csv</a></td>` : ''}</tr>\n`;
  yield '</tbody></table>\n';
  for (const c of EXPORT_CATEGORIES) {
    const columns = EXPORT_COLUMNS[c];
    yield `<h2 id="${c}">${escapeHtml(EXPORT_TITLES[c])}</h2>\n`;
    if (meta.counts[c] === 0) {
      yield '<p>Nothing held.</p>\n';
      continue;
    }
    if (meta.counts[c] > HTML_ROWS)
      yield `<p>The first ${HTML_ROWS} of ${meta.counts[c]} rows; the CSV and JSON of this category hold every row.</p>\n`;
    yield `<table><thead><tr>${columns.map((col) => `<th scope="col">${escapeHtml(col)}</th>`).join('')}</tr></thead><tbody>\n`;
    let shown = 0;
    for await (const r of read(c)) {
      yield `<tr>${columns.map((col) => `<td>${escapeHtml(Array.isArray(r[col]) ? (r[col] as string[]).join(', ') : r[col])}</td>`).join('')}</tr>\n`;
      if (++shown >= HTML_ROWS) break;
    }
    yield '</tbody></table>\n';
  }
  yield '</body></html>\n';
}

/** The whole export as one JSON document: metadata, then every category's rows. */
export async function* jsonDocumentOf(
  meta: ExportMeta,
  read: (c: ExportCategory) => AsyncIterable<ExportRow>,
): AsyncGenerator<string> {
  const head = JSON.stringify({ format: 'bulwark-dsar-export/v1', ...meta });
  yield `${head.slice(0, -1)},"categories":{`;
  let first = true;
  for (const c of EXPORT_CATEGORIES) {
    yield `${first ? '' : ','}\n${JSON.stringify(c)}:`;
    first = false;
    yield* jsonArrayOf(read(c));
  }
  yield '}}\n';
}
