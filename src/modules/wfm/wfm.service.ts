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
import type { TransferSource, TransfersService } from '../transfers/transfers.service.ts';
import type { Actor, UsersService } from '../users/users.service.ts';
import { auditActor, runAuditedImport } from './audited-import.ts';
import {
  type ColumnMapping,
  EMPTY_MAPPING,
  type ImportIssue,
  importError,
  MAX_ISSUES,
  type ParsedImport,
  parseImport,
  type WfmKind,
} from './wfm-csv.ts';
import { INTERVAL_MS, rebuildAgentIntervals, slotOf } from './wfm-intervals.ts';
import { type PresenceResult, presence as presenceQuery } from './wfm-presence.ts';
import { buildReport, type GroupBy, type ReportKind } from './wfm-reports.ts';
import { advanceRawHorizon, formerKeyDigest, loadRetentionSettings } from './wfm-retention.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows written per INSERT statement (well under PostgreSQL's 65,535 parameters). */
const BATCH = 500;

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
  keyring: Pick<Keyring, 'encryptField' | 'derivedKey'>;
  audit: Pick<AuditService, 'append' | 'appendNow'>;
  authorizer: Pick<Authorizer, 'authorize'>;
  teams: Pick<UsersService, 'ensureTeams'>;
  /** Recorded cross-border transfer mechanisms: which other regions' rows a reader may see. */
  transfers: Pick<TransfersService, 'sourcesFor'>;
  clock: Clock;
};

/**
 * @example
 * const wfm = createWfmService({ db, keyring, audit, authorizer, teams: users, clock });
 * await wfm.importCsv(actor, 'schedules', csvText, { file: 'schedules.csv' });
 * const page = await wfm.list('schedules', principal, { team: 'Team A' });
 */
export function createWfmService({
  db,
  keyring,
  audit,
  authorizer,
  teams: teamDirectory,
  transfers,
  clock,
}: Deps) {
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
      // A pseudonymised leaver's former id must not re-create the person (its digest is all that is kept).
      const digests = new Map(
        parsed.rows.map((r) => [formerKeyDigest(keyring, tenantId, r.agentId), r.line]),
      );
      const keys = [...digests.keys()];
      for (let i = 0; i < keys.length; i += BATCH) {
        const former = await trx
          .selectFrom('wfm_agents')
          .select('former_key_digest')
          .where('tenant_id', '=', tenantId)
          .where('former_key_digest', 'in', keys.slice(i, i + BATCH))
          .execute();
        for (const f of former)
          if (issues.length < MAX_ISSUES)
            issues.push({
              line: digests.get(f.former_key_digest!)!,
              column: 'agent_id',
              message:
                'this agent left and was pseudonymised under the retention settings; leave them out of the export',
            });
      }
      if (issues.length > 0)
        throw importError(
          file,
          issues.sort((a, b) => a.line - b.line),
        );
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
              // A leaving date once recorded (import or `bulwark wfm agents leave`) is kept when a
              // later file has none: exports often lack the column.
              status: sql<
                'active' | 'left'
              >`case when coalesce(excluded.left_at, wfm_agents.left_at) is not null then 'left' else excluded.status end`,
              left_at: sql<Date | null>`coalesce(excluded.left_at, wfm_agents.left_at)`,
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
    const retention = parsed.kind === 'adherence' ? await loadRetentionSettings(trx, tenantId) : null;
    const horizon = retention?.rawEventsRemovedBefore ? Date.parse(retention.rawEventsRemovedBefore) : null;
    if (parsed.kind === 'adherence' && retention?.captureRawEvents && horizon !== null)
      for (const r of parsed.rows)
        if (r.at.getTime() < horizon && issues.length < MAX_ISSUES)
          issues.push({
            line: r.line,
            column: 'timestamp',
            message: `before ${retention.rawEventsRemovedBefore}, where raw events were already rolled up and removed under the retention settings`,
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
    if (parsed.kind === 'adherence') {
      const earliest = new Map<string, number>();
      for (const r of parsed.rows) {
        const ref = agents.get(r.agentId)!.id;
        const t = r.at.getTime();
        if (!(earliest.get(ref)! <= t)) earliest.set(ref, t);
      }
      let done = 0;
      for (const [ref, min] of earliest) {
        progress('aggregating', done++, earliest.size);
        await rebuildAgentIntervals(trx, tenantId, ref, min);
      }
      if (retention && !retention.captureRawEvents) {
        // Minimization: the intervals are all that is kept; the imported states are dropped at once.
        const refs = [...earliest.keys()];
        let latest = 0;
        for (const r of parsed.rows) latest = Math.max(latest, r.at.getTime());
        for (let i = 0; i < refs.length; i += BATCH)
          await trx
            .deleteFrom('wfm_adherence_events')
            .where('tenant_id', '=', tenantId)
            .where('agent_ref', 'in', refs.slice(i, i + BATCH))
            .execute();
        await advanceRawHorizon(trx, tenantId, new Date(slotOf(latest) + INTERVAL_MS));
      }
    }
    return added;
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
    return runAuditedImport(
      { db, audit },
      actor,
      'wfm.import',
      kind,
      () =>
        parseImport(kind, text, file, options.mapping ?? EMPTY_MAPPING, (done, total) =>
          options.onProgress?.('checking', done, total),
        ),
      (trx, parsed) =>
        write(trx, actor, parsed, file, (phase, done, total) => options.onProgress?.(phase, done, total)),
    );
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

  /**
   * The residency rule of a read: rows of the reader's own region, and of each region with a
   * recorded transfer mechanism to it (the SQL twin of the `cross-border-transfer-needs-mechanism`
   * forbid in policies/guardrails.cedar). `null` applies no rule (internal reads only).
   */
  type RegionRule = { own: string; sources: readonly TransferSource[] } | null;

  async function query(
    kind: WfmListKind,
    tenantId: string,
    scope: WfmScope,
    filters: ListFilters,
    regions: RegionRule,
  ): Promise<{ rows: ListedRow[]; nextCursor: string | null; withheld: Record<string, number> }> {
    const spec = SPECS[kind];
    const limit = Math.min(Math.max(filters.limit ?? 50, 1), 200);
    if (!scope.all && scope.userId === null && scope.teams.length === 0)
      return { rows: [], nextCursor: null, withheld: {} };
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
    const from = sql`from ${sql.table(spec.table)} r
      join wfm_agents a on a.id = r.agent_ref
      join teams t on t.id = r.team_id`;
    const pageWhere = [...where];
    const readable = regions
      ? sql.join([regions.own, ...regions.sources.map((s) => s.from)].map((r) => sql`${r}`))
      : null;
    if (readable) pageWhere.push(sql`r.region in (${readable})`);
    const sortRef = sql.ref(`r.${spec.sort}`);
    const keyOf = (key: string, id: string) =>
      sql`(cast(${key} as ${sql.raw(spec.sortType)}), cast(${id} as uuid))`;
    let after: RawBuilder<unknown> | null = null;
    if (filters.cursor) {
      const c = decodeCursor(kind, filters.cursor);
      if (spec.sortType === 'date' ? !/^\d{4}-\d{2}-\d{2}$/.test(c.key) : Number.isNaN(Date.parse(c.key)))
        throw invalidCursor();
      after = sql`(${sortRef}, r.id) < ${keyOf(c.key, c.id)}`;
      pageWhere.push(after);
    }
    // Exact to the microsecond, so the next page starts precisely after this one.
    const sortKey =
      spec.sortType === 'date'
        ? sql`${sortRef}::text`
        : sql`to_char(${sortRef} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    const result = await sql<ListedRow>`
      select r.id, r.tenant_id, r.region, r.team_id, t.name as team_name, a.agent_id as agent_key,
             a.name as agent_name, a.user_id as agent_user_id, ${sortKey} as sort_key, ${spec.columns}
      ${from}
      where ${sql.join(pageWhere, sql` and `)}
      order by ${sortRef} desc, r.id desc
      limit ${limit + 1}`.execute(db);
    const rows = result.rows.slice(0, limit);
    const last = rows[rows.length - 1];
    const nextCursor = result.rows.length > limit && last ? encodeCursor(kind, last.sort_key, last.id) : null;
    let withheld: Record<string, number> = {};
    if (readable) {
      // In scope and filtered, but of a region this reader may not receive: counted, never shown.
      // Counted over this page's stretch of the order only (ADR 0016): after the cursor, down to and
      // including this page's last row, or to the end on the last page. The stretches of a walk
      // through the pages partition the list, so their counts add up to the whole scope's.
      const stretch = [...where, sql`r.region not in (${readable})`];
      if (after) stretch.push(after);
      if (nextCursor && last) stretch.push(sql`(${sortRef}, r.id) >= ${keyOf(last.sort_key, last.id)}`);
      const counts = await sql<{ region: string; n: number | string }>`
        select r.region, count(*) as n ${from}
        where ${sql.join(stretch, sql` and `)}
        group by r.region`.execute(db);
      withheld = Object.fromEntries(
        counts.rows.sort((x, y) => (x.region < y.region ? -1 : 1)).map((c) => [c.region, Number(c.n)]),
      );
    }
    return { rows, nextCursor, withheld };
  }

  /** The actor of an audit event for a read made without a request (services, tests). */
  const actorOf = (p: PrincipalSlice): Actor => ({
    tenantId: p.tenantId,
    userId: p.id,
    roles: p.roles,
    sessionId: null,
    ip: null,
    requestId: null,
    channel: 'system',
  });

  /** The principal as Cedar sees it for employee data: with the regions it may receive. */
  async function withTransfers(p: PrincipalSlice): Promise<{ p: PrincipalSlice; rule: RegionRule }> {
    const sources = await transfers.sourcesFor(p.tenantId, p.region);
    return { p: { ...p, transferFrom: sources.map((s) => s.from) }, rule: { own: p.region, sources } };
  }

  /**
   * One scoped page under the residency rule. A request naming one agent (`agent` filter) whose rows
   * in the caller's scope are all of a region without a mechanism is refused with
   * TRANSFER_NOT_PERMITTED; otherwise such rows are left out and counted in `withheld`. Every row of
   * another region that is returned is audited as `wfm.transfer.read` (one event per source region).
   */
  async function scopedRead(
    kind: WfmListKind,
    p: PrincipalSlice,
    filters: ListFilters,
    actor: Actor,
  ): Promise<{
    rows: ListedRow[];
    nextCursor: string | null;
    withheld: Record<string, number>;
    principal: PrincipalSlice;
  }> {
    const { p: principal, rule } = await withTransfers(p);
    const page = await query(kind, p.tenantId, scopeOf(p, SPECS[kind].type), filters, rule);
    const withheldRegions = Object.keys(page.withheld);
    if (filters.agent && withheldRegions.length > 0 && page.rows.length === 0 && !filters.cursor) {
      await audit.appendNow({
        tenantId: p.tenantId,
        action: 'wfm.transfer.read',
        outcome: 'deny',
        actor: auditActor(actor),
        resource: { type: SPECS[kind].type, id: null },
        requestId: actor.requestId,
        reason: 'no_transfer_mechanism',
        details: { kind, from: withheldRegions.join(','), to: p.region, channel: actor.channel },
      });
      throw new AppError(
        'TRANSFER_NOT_PERMITTED',
        `this agent's data resides in region ${withheldRegions.join(', ')}; no transfer mechanism to ${p.region} is recorded (bulwark transfers allow)`,
        { details: { from: withheldRegions, to: p.region } },
      );
    }
    await auditTransfers(
      actor,
      p.region,
      SPECS[kind].type,
      kind,
      rule,
      page.rows.map((r) => r.region),
    );
    return { ...page, principal };
  }

  /** Audits the rows of other regions a reader receives: from/to, mechanism and count per region. */
  async function auditTransfers(
    actor: Actor,
    to: string,
    resourceType: string,
    kind: string,
    rule: RegionRule,
    regionsOfRows: readonly string[],
  ): Promise<void> {
    const perRegion = new Map<string, number>();
    for (const r of regionsOfRows) if (r !== to) perRegion.set(r, (perRegion.get(r) ?? 0) + 1);
    for (const [from, rows] of [...perRegion].sort()) {
      const source = rule?.sources.find((s) => s.from === from);
      await audit.appendNow({
        tenantId: actor.tenantId,
        action: 'wfm.transfer.read',
        outcome: 'allow',
        actor: auditActor(actor),
        resource: { type: resourceType, id: null },
        requestId: actor.requestId,
        details: {
          kind,
          from,
          to,
          mechanism: source?.mechanism ?? null,
          mechanism_id: source?.id ?? null,
          rows,
          channel: actor.channel,
        },
      });
    }
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
  async function listSchedules(p: PrincipalSlice, filters: ListFilters, actor: Actor = actorOf(p)) {
    const { rows, nextCursor, withheld } = await scopedRead('schedules', p, filters, actor);
    const items: ScheduleView[] = rows.map((r) => ({
      ...common(r),
      start: iso(r.starts_at),
      end: iso(r.ends_at),
      activity: String(r.activity),
    }));
    return { items, nextCursor, withheld };
  }

  /** Adherence state events in the caller's scope, newest first. */
  async function listAdherence(p: PrincipalSlice, filters: ListFilters, actor: Actor = actorOf(p)) {
    const { rows, nextCursor, withheld } = await scopedRead('adherence', p, filters, actor);
    const items: AdherenceView[] = rows.map((r) => ({
      ...common(r),
      timestamp: iso(r.occurred_at),
      state: String(r.state),
    }));
    return { items, nextCursor, withheld };
  }

  /** 15-minute adherence aggregates in the caller's scope, newest first. */
  async function listIntervals(p: PrincipalSlice, filters: ListFilters, actor: Actor = actorOf(p)) {
    const { rows, nextCursor, withheld } = await scopedRead('intervals', p, filters, actor);
    const items: IntervalView[] = rows.map((r) => ({
      ...common(r),
      intervalStart: iso(r.interval_start),
      state: String(r.state),
      seconds: Number(r.seconds),
    }));
    return { items, nextCursor, withheld };
  }

  /** Performance metrics in the caller's scope, newest period first. */
  async function listPerformance(p: PrincipalSlice, filters: ListFilters, actor: Actor = actorOf(p)) {
    const { rows, nextCursor, withheld } = await scopedRead('performance', p, filters, actor);
    const items: PerformanceView[] = rows.map((r) => ({
      ...common(r),
      periodStart: String(r.period_start),
      metric: String(r.metric),
      value: Number(r.value),
    }));
    return { items, nextCursor, withheld };
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
  ): Promise<{
    items: AbsenceView[];
    nextCursor: string | null;
    withheld: Record<string, number>;
    reasonsShown: number;
  }> {
    const { rows, nextCursor, withheld, principal } = await scopedRead('absences', p, filters, actor);
    // Only rows a permit could match are put to Cedar (own rows; any row for a manager with a purpose).
    const mayAsk = (r: ListedRow) =>
      (p.roles.includes('agent') && r.agent_user_id === p.id) ||
      (p.roles.includes('wfm_manager') && context.purpose !== '');
    const policyIds = new Set<string>();
    let shown = 0;
    const items: AbsenceView[] = rows.map((r) => {
      let reasonCode: string | null = null;
      if (mayAsk(r)) {
        const d = authorizer.authorize(principal, 'absence.reason.read', resourceOf('Absence', r), context);
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
    return { items, nextCursor, withheld, reasonsShown: shown };
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
        null,
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

  /**
   * Who was logged in during a window (incident support; the route has authorized
   * `wfm.presence.read`). Audited as `wfm.presence.read` with the window, filters and count before
   * it is returned, and as `wfm.transfer.read` for agents of other regions.
   */
  async function presence(
    actor: Actor,
    p: PrincipalSlice,
    q: { from: Date; to: Date; team?: string | undefined; site?: string | undefined },
  ): Promise<PresenceResult> {
    const { rule } = await withTransfers(p);
    const { regionsRead, ...result } = await presenceQuery(db, p.tenantId, q, rule!);
    await audit.appendNow({
      tenantId: p.tenantId,
      action: 'wfm.presence.read',
      outcome: 'allow',
      actor: auditActor(actor),
      resource: { type: 'System', id: null },
      requestId: actor.requestId,
      details: {
        from: result.from,
        to: result.to,
        team: q.team ?? null,
        site: q.site ?? null,
        agents: result.items.length,
        withheld: Object.values(result.withheld).reduce((a, b) => a + b, 0),
        channel: actor.channel,
      },
    });
    await auditTransfers(actor, p.region, 'System', 'presence', rule, regionsRead);
    return result;
  }

  return {
    importCsv,
    presence,
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
