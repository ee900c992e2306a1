/**
 * Workforce-management data: import from the WFM system (idempotent upserts, the whole file in one
 * transaction, audited with counts only) and scoped reads of schedules, adherence, absences and
 * performance.
 *
 * Reads are filtered in SQL by {@link scopeOf}, the twin of the Cedar `data.read` permits in
 * policies/wfm.cedar (test/integration/wfm.test.ts proves them equal row by row). Absence reasons
 * are decided per row by Cedar (`absence.reason.read`), and every reason shown is audited. Home
 * addresses are stored encrypted and never returned by these reads.
 */
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Keyring } from '../../lib/keyring.ts';
import type {
  Authorizer,
  AuthzContext,
  EmployeeDataType,
  PrincipalSlice,
  ResourceSlice,
} from '../access/authorizer.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { Actor, UsersService } from '../users/users.service.ts';
import {
  type AdherenceRow,
  type ColumnMapping,
  EMPTY_MAPPING,
  type ImportIssue,
  importError,
  MAX_ISSUES,
  type ParsedImport,
  parseImport,
  type WfmKind,
} from './wfm-csv.ts';
import { buildReport, type GroupBy, type ReportKind } from './wfm-reports.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows written per INSERT statement (well under PostgreSQL's 65,535 parameters). */
const BATCH = 500;
const INTERVAL_MS = 15 * 60_000;

export type ImportResult = { kind: WfmKind; rows: number; inserted: number; updated: number };
/** Phases: checking rows, writing rows, then (adherence) rebuilding each agent's 15-minute intervals. */
export type ImportProgress = (
  phase: 'checking' | 'writing' | 'aggregating',
  done: number,
  total: number,
) => void;

/** The AAD that binds a home address ciphertext to its tenant and agent. */
export const homeAddressAad = (tenantId: string, agentId: string) =>
  `wfm_agents:home_address_enc:${tenantId}:${agentId}`;

export type WfmListKind = 'schedules' | 'adherence' | 'intervals' | 'absences' | 'performance';

/** Which rows a caller may read: everything in the tenant, or their own and their teams' rows. */
export type WfmScope = { all: boolean; userId: string | null; teams: readonly string[] };

export type ListFilters = {
  agent?: string | undefined;
  team?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
};

type Common = {
  id: string;
  agentId: string;
  agentName: string;
  team: { id: string; name: string };
  region: string;
};
export type ScheduleView = Common & { start: string; end: string; activity: string };
export type AdherenceView = Common & { timestamp: string; state: string };
export type IntervalView = Common & { intervalStart: string; state: string; seconds: number };
/** `status` is always "absent"; `reasonCode` is null unless Cedar allows `absence.reason.read`. */
export type AbsenceView = Common & {
  startDate: string;
  endDate: string;
  status: 'absent';
  reasonCode: string | null;
};
export type PerformanceView = Common & { periodStart: string; metric: string; value: number };

type ListSpec = {
  table: string;
  type: EmployeeDataType;
  /** Sort column (descending, then id). */
  sort: string;
  /** SQL type of the sort column, for the cursor. */
  sortType: 'timestamptz' | 'date';
  /** Extra columns selected from `r`. */
  columns: RawBuilder<unknown>;
  /** The from/to condition on `r`. */
  window: (from: string | undefined, to: string | undefined) => RawBuilder<unknown>[];
};

/** A date alone means midnight UTC (never the database session's time zone). */
const asTime = (v: string) =>
  sql`cast(${/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v} as timestamptz)`;
const asDate = (v: string) => sql`cast(${dateOf(v)} as date)`;
/** The UTC calendar date of an ISO date or date-time. */
function dateOf(v: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return v;
  return new Date(v).toISOString().slice(0, 10);
}

const SPECS: Record<WfmListKind, ListSpec> = {
  schedules: {
    table: 'wfm_schedules',
    type: 'Schedule',
    sort: 'starts_at',
    sortType: 'timestamptz',
    columns: sql`r.starts_at, r.ends_at, r.activity`,
    // Segments overlapping [from, to).
    window: (from, to) => [
      ...(from ? [sql`r.ends_at > ${asTime(from)}`] : []),
      ...(to ? [sql`r.starts_at < ${asTime(to)}`] : []),
    ],
  },
  adherence: {
    table: 'wfm_adherence_events',
    type: 'Adherence',
    sort: 'occurred_at',
    sortType: 'timestamptz',
    columns: sql`r.occurred_at, r.state`,
    window: (from, to) => [
      ...(from ? [sql`r.occurred_at >= ${asTime(from)}`] : []),
      ...(to ? [sql`r.occurred_at < ${asTime(to)}`] : []),
    ],
  },
  intervals: {
    table: 'wfm_adherence_intervals',
    type: 'Adherence',
    sort: 'interval_start',
    sortType: 'timestamptz',
    columns: sql`r.interval_start, r.state, r.seconds`,
    window: (from, to) => [
      ...(from ? [sql`r.interval_start >= ${asTime(from)}`] : []),
      ...(to ? [sql`r.interval_start < ${asTime(to)}`] : []),
    ],
  },
  absences: {
    table: 'wfm_absences',
    type: 'Absence',
    sort: 'start_date',
    sortType: 'date',
    columns: sql`r.start_date::text as start_date, r.end_date::text as end_date, r.reason_code`,
    // Absences overlapping the dates of [from, to].
    window: (from, to) => [
      ...(from ? [sql`r.end_date >= ${asDate(from)}`] : []),
      ...(to ? [sql`r.start_date <= ${asDate(to)}`] : []),
    ],
  },
  performance: {
    table: 'wfm_performance',
    type: 'Performance',
    sort: 'period_start',
    sortType: 'date',
    columns: sql`r.period_start::text as period_start, r.metric, r.value`,
    window: (from, to) => [
      ...(from ? [sql`r.period_start >= ${asDate(from)}`] : []),
      ...(to ? [sql`r.period_start < ${asDate(to)}`] : []),
    ],
  },
};

type ListedRow = {
  id: string;
  tenant_id: string;
  region: string;
  team_id: string;
  team_name: string;
  agent_key: string;
  agent_name: string;
  agent_user_id: string | null;
  sort_key: string;
  [column: string]: unknown;
};

const invalidCursor = () =>
  new AppError('VALIDATION_FAILED', 'cursor is not a value returned by this API', {
    details: { errors: [{ pointer: '/cursor', message: 'invalid cursor' }] },
  });
const encodeCursor = (kind: WfmListKind, key: string, id: string) =>
  Buffer.from(`w1:${kind}:${key}:${id}`).toString('base64url');
function decodeCursor(kind: WfmListKind, cursor: string): { key: string; id: string } {
  const m = /^w1:([a-z]+):([0-9T:.+\-Z ]{10,40}):([0-9a-f-]{36})$/.exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  if (!m || m[1] !== kind) throw invalidCursor();
  return { key: m[2]!, id: m[3]! };
}

type Deps = {
  db: Kysely<Database>;
  keyring: Pick<Keyring, 'encryptField'>;
  audit: Pick<AuditService, 'append' | 'appendNow'>;
  authorizer: Pick<Authorizer, 'authorize'>;
  teams: Pick<UsersService, 'ensureTeams'>;
  clock: Clock;
};

/**
 * @example
 * const wfm = createWfmService({ db, keyring, audit, authorizer, teams: users, clock });
 * await wfm.importCsv(actor, 'schedules', csvText, { file: 'schedules.csv' });
 * const page = await wfm.list('schedules', principal, { team: 'Team A' });
 */
export function createWfmService({ db, keyring, audit, authorizer, teams: teamDirectory, clock }: Deps) {
  const auditActor = (a: Actor) => ({ userId: a.userId, roles: a.roles, sessionId: a.sessionId, ip: a.ip });

  /** Agents by external id; an id the tenant does not have is a problem on its line. */
  async function resolveAgents(
    trx: Db,
    tenantId: string,
    rows: ReadonlyArray<{ line: number; agentId: string }>,
  ): Promise<Map<string, { id: string; team_id: string; region: string }>> {
    const ids = [...new Set(rows.map((r) => r.agentId))];
    const map = new Map<string, { id: string; team_id: string; region: string }>();
    for (let i = 0; i < ids.length; i += BATCH) {
      const found = await trx
        .selectFrom('wfm_agents')
        .select(['id', 'agent_id', 'team_id', 'region'])
        .where('tenant_id', '=', tenantId)
        .where('agent_id', 'in', ids.slice(i, i + BATCH))
        .execute();
      for (const a of found) map.set(a.agent_id, { id: a.id, team_id: a.team_id, region: a.region });
    }
    return map;
  }

  const countInserted = (rows: Array<{ inserted: unknown }>) =>
    rows.filter((r) => r.inserted === true || r.inserted === 't').length;

  /** Writes a validated file; returns how many rows were new. Throws VALIDATION_FAILED for unknown references. */
  async function write(
    trx: Transaction<Database>,
    actor: Actor,
    parsed: ParsedImport,
    file: string,
    progress: ImportProgress,
  ): Promise<number> {
    const tenantId = actor.tenantId;
    const now = clock.now();
    const inserted = sql<boolean>`(xmax = 0)`.as('inserted');
    let added = 0;
    if (parsed.kind === 'agents') {
      const usernames = [...new Set(parsed.rows.flatMap((r) => (r.username ? [r.username] : [])))];
      const users = new Map<string, string>();
      for (let i = 0; i < usernames.length; i += BATCH) {
        const found = await trx
          .selectFrom('users')
          .select(['id', 'username'])
          .where('tenant_id', '=', tenantId)
          .where('username', 'in', usernames.slice(i, i + BATCH))
          .execute();
        for (const u of found) users.set(u.username, u.id);
      }
      const issues: ImportIssue[] = [];
      for (const r of parsed.rows)
        if (r.username && !users.has(r.username) && issues.length < MAX_ISSUES)
          issues.push({ line: r.line, column: 'username', message: 'no Bulwark user has this username' });
      if (issues.length > 0) throw importError(file, issues);
      const teams = await teamDirectory.ensureTeams(
        trx,
        tenantId,
        parsed.rows.map((r) => r.team),
      );
      for (let i = 0; i < parsed.rows.length; i += BATCH) {
        const chunk = parsed.rows.slice(i, i + BATCH);
        const out = await trx
          .insertInto('wfm_agents')
          .values(
            chunk.map((r) => ({
              id: newId(),
              tenant_id: tenantId,
              agent_id: r.agentId,
              user_id: r.username ? users.get(r.username)! : null,
              name: r.name,
              team_id: teams.get(r.team)!,
              site: r.site,
              region: r.region,
              home_address_enc: r.homeAddress
                ? keyring.encryptField(tenantId, r.homeAddress, homeAddressAad(tenantId, r.agentId))
                : null,
              status: r.status,
              left_at: r.leftAt,
              updated_at: now,
            })),
          )
          .onConflict((oc) =>
            oc.columns(['tenant_id', 'agent_id']).doUpdateSet((eb) => ({
              user_id: eb.ref('excluded.user_id'),
              name: eb.ref('excluded.name'),
              team_id: eb.ref('excluded.team_id'),
              site: eb.ref('excluded.site'),
              region: eb.ref('excluded.region'),
              home_address_enc: eb.ref('excluded.home_address_enc'),
              status: eb.ref('excluded.status'),
              left_at: eb.ref('excluded.left_at'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .returning(inserted)
          .execute();
        added += countInserted(out);
        progress('writing', i + chunk.length, parsed.rows.length);
      }
      return added;
    }

    const agents = await resolveAgents(trx, tenantId, parsed.rows);
    const issues: ImportIssue[] = [];
    for (const r of parsed.rows)
      if (!agents.has(r.agentId) && issues.length < MAX_ISSUES)
        issues.push({
          line: r.line,
          column: 'agent_id',
          message: 'unknown agent (import the agents file first)',
        });
    if (issues.length > 0) throw importError(file, issues);
    const base = (agentId: string) => {
      const a = agents.get(agentId)!;
      return { id: newId(), tenant_id: tenantId, agent_ref: a.id, team_id: a.team_id, region: a.region };
    };
    for (let i = 0; i < parsed.rows.length; i += BATCH) {
      let out: Array<{ inserted: unknown }>;
      switch (parsed.kind) {
        case 'schedules':
          out = await trx
            .insertInto('wfm_schedules')
            .values(
              parsed.rows.slice(i, i + BATCH).map((r) => ({
                ...base(r.agentId),
                starts_at: r.start,
                ends_at: r.end,
                activity: r.activity,
              })),
            )
            .onConflict((oc) =>
              oc.columns(['tenant_id', 'agent_ref', 'starts_at']).doUpdateSet((eb) => ({
                ends_at: eb.ref('excluded.ends_at'),
                activity: eb.ref('excluded.activity'),
                team_id: eb.ref('excluded.team_id'),
                region: eb.ref('excluded.region'),
              })),
            )
            .returning(inserted)
            .execute();
          break;
        case 'adherence':
          out = await trx
            .insertInto('wfm_adherence_events')
            .values(
              parsed.rows.slice(i, i + BATCH).map((r) => ({
                ...base(r.agentId),
                occurred_at: r.at,
                state: r.state,
              })),
            )
            .onConflict((oc) =>
              oc.columns(['tenant_id', 'agent_ref', 'occurred_at']).doUpdateSet((eb) => ({
                state: eb.ref('excluded.state'),
                team_id: eb.ref('excluded.team_id'),
                region: eb.ref('excluded.region'),
              })),
            )
            .returning(inserted)
            .execute();
          break;
        case 'absences':
          out = await trx
            .insertInto('wfm_absences')
            .values(
              parsed.rows.slice(i, i + BATCH).map((r) => ({
                ...base(r.agentId),
                start_date: r.startDate,
                end_date: r.endDate,
                reason_code: r.reasonCode,
              })),
            )
            .onConflict((oc) =>
              oc.columns(['tenant_id', 'agent_ref', 'start_date']).doUpdateSet((eb) => ({
                end_date: eb.ref('excluded.end_date'),
                reason_code: eb.ref('excluded.reason_code'),
                team_id: eb.ref('excluded.team_id'),
                region: eb.ref('excluded.region'),
              })),
            )
            .returning(inserted)
            .execute();
          break;
        case 'performance':
          out = await trx
            .insertInto('wfm_performance')
            .values(
              parsed.rows.slice(i, i + BATCH).map((r) => ({
                ...base(r.agentId),
                period_start: r.periodStart,
                metric: r.metric,
                value: r.value,
              })),
            )
            .onConflict((oc) =>
              oc.columns(['tenant_id', 'agent_ref', 'period_start', 'metric']).doUpdateSet((eb) => ({
                value: eb.ref('excluded.value'),
                team_id: eb.ref('excluded.team_id'),
                region: eb.ref('excluded.region'),
              })),
            )
            .returning(inserted)
            .execute();
          break;
      }
      added += countInserted(out);
      progress('writing', Math.min(parsed.rows.length, i + BATCH), parsed.rows.length);
    }
    if (parsed.kind === 'adherence') await rebuildIntervals(trx, tenantId, parsed.rows, agents, progress);
    return added;
  }

  /**
   * Recomputes the 15-minute aggregates an adherence import touched: from the interval holding the
   * state that was current when the earliest imported event happened, onwards. Each state lasts until
   * the agent's next event; the latest state of an agent is counted once a later event closes it.
   */
  async function rebuildIntervals(
    trx: Transaction<Database>,
    tenantId: string,
    rows: AdherenceRow[],
    agents: Map<string, { id: string; team_id: string; region: string }>,
    progress: ImportProgress,
  ): Promise<void> {
    const earliest = new Map<string, number>();
    for (const r of rows) {
      const ref = agents.get(r.agentId)!.id;
      const t = r.at.getTime();
      if (!(earliest.get(ref)! <= t)) earliest.set(ref, t);
    }
    let done = 0;
    for (const [ref, min] of earliest) {
      progress('aggregating', done++, earliest.size);
      const prev = await trx
        .selectFrom('wfm_adherence_events')
        .select((eb) => eb.fn.max('occurred_at').as('at'))
        .where('tenant_id', '=', tenantId)
        .where('agent_ref', '=', ref)
        .where('occurred_at', '<', new Date(min))
        .executeTakeFirst();
      const prevAt = prev?.at ? new Date(prev.at).getTime() : min;
      const lo = Math.floor(prevAt / INTERVAL_MS) * INTERVAL_MS;
      const first = await trx
        .selectFrom('wfm_adherence_events')
        .select((eb) => eb.fn.max('occurred_at').as('at'))
        .where('tenant_id', '=', tenantId)
        .where('agent_ref', '=', ref)
        .where('occurred_at', '<=', new Date(lo))
        .executeTakeFirst();
      const from = first?.at ? new Date(first.at) : new Date(lo);
      const events = await trx
        .selectFrom('wfm_adherence_events')
        .select(['occurred_at', 'state', 'team_id', 'region'])
        .where('tenant_id', '=', tenantId)
        .where('agent_ref', '=', ref)
        .where('occurred_at', '>=', from)
        .orderBy('occurred_at')
        .execute();
      const slots = new Map<
        string,
        { start: number; state: string; seconds: number; team: string; region: string }
      >();
      for (let i = 0; i + 1 < events.length; i++) {
        const ev = events[i]!;
        if (ev.state === 'logged_out') continue;
        const s = Math.max(ev.occurred_at.getTime(), lo);
        const e = events[i + 1]!.occurred_at.getTime();
        for (let slot = Math.floor(s / INTERVAL_MS) * INTERVAL_MS; slot < e; slot += INTERVAL_MS) {
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
        .where('agent_ref', '=', ref)
        .where('interval_start', '>=', new Date(lo))
        .execute();
      const values = [...slots.values()].map((s) => ({
        id: newId(),
        tenant_id: tenantId,
        agent_ref: ref,
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
    }
  }

  /**
   * Imports one CSV file of `kind`: parsed and validated whole (errors name file, line and column),
   * then upserted in one transaction with its audit event (counts only). A failed import changes
   * nothing and is audited as a failure.
   */
  async function importCsv(
    actor: Actor,
    kind: WfmKind,
    text: string,
    options: { file: string; mapping?: ColumnMapping | undefined; onProgress?: ImportProgress | undefined },
  ): Promise<ImportResult> {
    const { file } = options;
    let rows = 0;
    try {
      const parsed = parseImport(kind, text, file, options.mapping ?? EMPTY_MAPPING, (done, total) =>
        options.onProgress?.('checking', done, total),
      );
      rows = parsed.rows.length;
      const inserted = await db.transaction().execute(async (trx) => {
        const added = await write(trx, actor, parsed, file, (phase, done, total) =>
          options.onProgress?.(phase, done, total),
        );
        await audit.append(trx, {
          tenantId: actor.tenantId,
          action: 'wfm.import',
          outcome: 'success',
          actor: auditActor(actor),
          resource: { type: 'System', id: null },
          requestId: actor.requestId,
          details: { kind, rows, inserted: added, updated: rows - added, channel: actor.channel },
        });
        return added;
      });
      return { kind, rows, inserted, updated: rows - inserted };
    } catch (e) {
      if (e instanceof AppError && e.code === 'VALIDATION_FAILED') {
        const problems = (e.details?.errors as unknown[] | undefined)?.length ?? 1;
        await audit.appendNow({
          tenantId: actor.tenantId,
          action: 'wfm.import',
          outcome: 'failure',
          actor: auditActor(actor),
          resource: { type: 'System', id: null },
          requestId: actor.requestId,
          reason: 'invalid_file',
          details: { kind, rows, problems, channel: actor.channel },
        });
      }
      throw e;
    }
  }

  /**
   * The SQL twin of the Cedar `data.read` permits for `type` (policies/wfm.cedar) and its
   * guardrails: nothing for it_admin or executive; the whole tenant for wfm_manager, and for
   * wfm_analyst on schedules and adherence; otherwise an agent's own rows (linked by user id) and a
   * supervisor's teams' rows.
   */
  function scopeOf(p: PrincipalSlice, type: EmployeeDataType): WfmScope {
    const none: WfmScope = { all: false, userId: null, teams: [] };
    if (p.roles.includes('it_admin') || p.roles.includes('executive')) return none;
    if (p.roles.includes('wfm_manager')) return { all: true, userId: null, teams: [] };
    if (p.roles.includes('wfm_analyst') && (type === 'Schedule' || type === 'Adherence'))
      return { all: true, userId: null, teams: [] };
    return {
      all: false,
      userId: p.roles.includes('agent') ? p.id : null,
      teams: p.roles.includes('supervisor') ? p.teams : [],
    };
  }

  /** The Cedar resource of a listed row. */
  const resourceOf = (type: EmployeeDataType, r: ListedRow): ResourceSlice => ({
    type,
    id: r.id,
    tenantId: r.tenant_id,
    region: r.region,
    team: r.team_id,
    agentUserId: r.agent_user_id ?? '',
  });

  async function query(
    kind: WfmListKind,
    tenantId: string,
    scope: WfmScope,
    filters: ListFilters,
  ): Promise<{ rows: ListedRow[]; nextCursor: string | null }> {
    const spec = SPECS[kind];
    const limit = Math.min(Math.max(filters.limit ?? 50, 1), 200);
    if (!scope.all && scope.userId === null && scope.teams.length === 0)
      return { rows: [], nextCursor: null };
    const where: RawBuilder<unknown>[] = [sql`r.tenant_id = ${tenantId}`];
    if (!scope.all) {
      const ors: RawBuilder<unknown>[] = [];
      if (scope.userId !== null) ors.push(sql`a.user_id = ${scope.userId}`);
      if (scope.teams.length > 0)
        ors.push(sql`r.team_id in (${sql.join(scope.teams.map((t) => sql`cast(${t} as uuid)`))})`);
      where.push(sql`(${sql.join(ors, sql` or `)})`);
    }
    if (filters.agent) where.push(sql`a.agent_id = ${filters.agent}`);
    if (filters.team) where.push(sql`(t.name = ${filters.team} or t.id::text = ${filters.team})`);
    where.push(...spec.window(filters.from, filters.to));
    const sortRef = sql.ref(`r.${spec.sort}`);
    if (filters.cursor) {
      const c = decodeCursor(kind, filters.cursor);
      if (spec.sortType === 'date' ? !/^\d{4}-\d{2}-\d{2}$/.test(c.key) : Number.isNaN(Date.parse(c.key)))
        throw invalidCursor();
      where.push(
        sql`(${sortRef}, r.id) < (cast(${c.key} as ${sql.raw(spec.sortType)}), cast(${c.id} as uuid))`,
      );
    }
    // Exact to the microsecond, so the next page starts precisely after this one.
    const sortKey =
      spec.sortType === 'date'
        ? sql`${sortRef}::text`
        : sql`to_char(${sortRef} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    const result = await sql<ListedRow>`
      select r.id, r.tenant_id, r.region, r.team_id, t.name as team_name, a.agent_id as agent_key,
             a.name as agent_name, a.user_id as agent_user_id, ${sortKey} as sort_key, ${spec.columns}
      from ${sql.table(spec.table)} r
      join wfm_agents a on a.id = r.agent_ref
      join teams t on t.id = r.team_id
      where ${sql.join(where, sql` and `)}
      order by ${sortRef} desc, r.id desc
      limit ${limit + 1}`.execute(db);
    const rows = result.rows.slice(0, limit);
    const last = rows[rows.length - 1];
    const nextCursor = result.rows.length > limit && last ? encodeCursor(kind, last.sort_key, last.id) : null;
    return { rows, nextCursor };
  }

  const iso = (v: unknown) => (v instanceof Date ? v : new Date(String(v))).toISOString();
  const common = (r: ListedRow): Common => ({
    id: r.id,
    agentId: r.agent_key,
    agentName: r.agent_name,
    team: { id: r.team_id, name: r.team_name },
    region: r.region,
  });

  /** Schedules in the caller's scope, newest first. */
  async function listSchedules(p: PrincipalSlice, filters: ListFilters) {
    const { rows, nextCursor } = await query('schedules', p.tenantId, scopeOf(p, 'Schedule'), filters);
    const items: ScheduleView[] = rows.map((r) => ({
      ...common(r),
      start: iso(r.starts_at),
      end: iso(r.ends_at),
      activity: String(r.activity),
    }));
    return { items, nextCursor };
  }

  /** Adherence state events in the caller's scope, newest first. */
  async function listAdherence(p: PrincipalSlice, filters: ListFilters) {
    const { rows, nextCursor } = await query('adherence', p.tenantId, scopeOf(p, 'Adherence'), filters);
    const items: AdherenceView[] = rows.map((r) => ({
      ...common(r),
      timestamp: iso(r.occurred_at),
      state: String(r.state),
    }));
    return { items, nextCursor };
  }

  /** 15-minute adherence aggregates in the caller's scope, newest first. */
  async function listIntervals(p: PrincipalSlice, filters: ListFilters) {
    const { rows, nextCursor } = await query('intervals', p.tenantId, scopeOf(p, 'Adherence'), filters);
    const items: IntervalView[] = rows.map((r) => ({
      ...common(r),
      intervalStart: iso(r.interval_start),
      state: String(r.state),
      seconds: Number(r.seconds),
    }));
    return { items, nextCursor };
  }

  /** Performance metrics in the caller's scope, newest period first. */
  async function listPerformance(p: PrincipalSlice, filters: ListFilters) {
    const { rows, nextCursor } = await query('performance', p.tenantId, scopeOf(p, 'Performance'), filters);
    const items: PerformanceView[] = rows.map((r) => ({
      ...common(r),
      periodStart: String(r.period_start),
      metric: String(r.metric),
      value: Number(r.value),
    }));
    return { items, nextCursor };
  }

  /**
   * Absences in the caller's scope, each as "absent". The reason category is added only where Cedar
   * allows `absence.reason.read` for that row (an agent's own; wfm_manager with a stated purpose);
   * when any reason is shown, one audit event records how many, the purpose and the deciding policies.
   */
  async function listAbsences(
    actor: Actor,
    p: PrincipalSlice,
    filters: ListFilters,
    context: AuthzContext,
  ): Promise<{ items: AbsenceView[]; nextCursor: string | null; reasonsShown: number }> {
    const { rows, nextCursor } = await query('absences', p.tenantId, scopeOf(p, 'Absence'), filters);
    // Only rows a permit could match are put to Cedar (own rows; any row for a manager with a purpose).
    const mayAsk = (r: ListedRow) =>
      (p.roles.includes('agent') && r.agent_user_id === p.id) ||
      (p.roles.includes('wfm_manager') && context.purpose !== '');
    const policyIds = new Set<string>();
    let shown = 0;
    const items: AbsenceView[] = rows.map((r) => {
      let reasonCode: string | null = null;
      if (mayAsk(r)) {
        const d = authorizer.authorize(p, 'absence.reason.read', resourceOf('Absence', r), context);
        if (d.allowed) {
          reasonCode = String(r.reason_code);
          shown += 1;
          for (const id of d.policyIds) policyIds.add(id);
        }
      }
      return {
        ...common(r),
        startDate: String(r.start_date),
        endDate: String(r.end_date),
        status: 'absent',
        reasonCode,
      };
    });
    if (shown > 0)
      await audit.appendNow({
        tenantId: p.tenantId,
        action: 'wfm.absence.reason.read',
        outcome: 'allow',
        actor: auditActor(actor),
        resource: { type: 'Absence', id: null },
        policyIds: [...policyIds].sort(),
        purpose: context.purpose || null,
        requestId: actor.requestId,
        details: { reasons: shown, rows: rows.length, channel: actor.channel },
      });
    return { items, nextCursor, reasonsShown: shown };
  }

  /** Every row of a kind in a tenant with its Cedar resource (for the scope-equals-policy test and audits). */
  async function resourcesOf(kind: WfmListKind, tenantId: string): Promise<ResourceSlice[]> {
    const out: ResourceSlice[] = [];
    let cursor: string | undefined;
    do {
      const page = await query(
        kind,
        tenantId,
        { all: true, userId: null, teams: [] },
        { cursor, limit: 200 },
      );
      for (const r of page.rows) out.push(resourceOf(SPECS[kind].type, r));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out;
  }

  /** The aggregate report of one month (see wfm-reports.ts for the suppression rule). */
  const report = (
    tenantId: string,
    kind: ReportKind,
    groupBy: GroupBy,
    month: string,
    metric: string | null,
  ) => buildReport(db, tenantId, kind, groupBy, month, metric);

  return {
    importCsv,
    report,
    scopeOf,
    listSchedules,
    listAdherence,
    listIntervals,
    listAbsences,
    listPerformance,
    resourcesOf,
  };
}

export type WfmService = ReturnType<typeof createWfmService>;
