/**
 * Forecasts and capacity models (issue 6): aggregate planning data with no person in it.
 * - `forecasts`: `queue,interval_start,volume,aht_seconds` (contacts expected per queue per interval);
 * - `capacity`: `team,period_start,required_agents,scheduled_agents` (per team per planning period).
 *
 * Imports follow the WFM import's rules: the whole file is validated first (every problem names the
 * file, the line and the column, never a value), then upserted on the natural key (queue +
 * interval_start; team + period_start) in one transaction with its audit event (counts only);
 * re-importing a file changes nothing. A failed import changes nothing and is audited as a failure.
 * Reads are Cedar-decided by the routes (`wfm.forecast.read`; capacity asked as an aggregate).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { parseCsv } from '../redaction/engine/formats/csv.ts';
import { InputError } from '../redaction/engine/input.ts';
import type { Actor } from '../users/users.service.ts';
import { runAuditedImport } from './audited-import.ts';
import { type ImportIssue, importError, MAX_ISSUES } from './wfm-csv.ts';

export const FORECAST_KINDS = ['forecasts', 'capacity'] as const;
export type ForecastKind = (typeof FORECAST_KINDS)[number];

export const FORECAST_COLUMNS: Record<ForecastKind, readonly string[]> = {
  forecasts: ['queue', 'interval_start', 'volume', 'aht_seconds'],
  capacity: ['team', 'period_start', 'required_agents', 'scheduled_agents'],
};

export type ForecastRow = { line: number; queue: string; intervalStart: Date; volume: number; aht: number };
export type CapacityRow = {
  line: number;
  team: string;
  periodStart: string;
  required: number;
  scheduled: number;
};
export type ParsedForecastImport =
  | { kind: 'forecasts'; rows: ForecastRow[] }
  | { kind: 'capacity'; rows: CapacityRow[] };

export type ForecastView = { queue: string; intervalStart: string; volume: number; ahtSeconds: number };
export type CapacityView = {
  team: { id: string; name: string };
  periodStart: string;
  requiredAgents: number;
  scheduledAgents: number;
  /** scheduled - required: negative means understaffed. */
  gap: number;
};
export type ForecastImportResult = { kind: ForecastKind; rows: number; inserted: number; updated: number };

const ISO_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const ISO_DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const QUEUE_RE = /^[\p{L}\p{N} ._/-]{1,64}$/u;
const TEAM_RE = /^[\p{L}\p{N} ._-]{1,64}$/u;
const NUMBER_RE = /^\d+(\.\d+)?$/;
const MAX_NUMBER = 1e9;

const parseTime = (v: string): Date | null => {
  if (!ISO_TIME_RE.test(v)) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
};
const parseDate = (v: string): string | null => {
  if (!ISO_DATE_RE.test(v)) return null;
  const d = new Date(`${v}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v ? null : v;
};

/** The problem of a CSV syntax error as an issue (the parser says `name:line:character: problem`). */
function syntaxIssue(e: InputError): ImportIssue {
  const m = /:(\d+)(?::(\d+))?$/.exec(e.where);
  const problem = e.message.slice(e.where.length + 2);
  return {
    line: m ? Number(m[1]) : 1,
    column: null,
    message: m?.[2] ? `character ${m[2]}: ${problem}` : problem,
  };
}

/**
 * Parses and validates a whole file. Throws VALIDATION_FAILED with every problem (up to
 * {@link MAX_ISSUES}) naming file, line and column.
 * @example parseForecastImport('forecasts', 'queue,interval_start,volume,aht_seconds\nbilling,2026-12-01T09:00:00Z,120,310\n', 'f.csv')
 */
export function parseForecastImport(kind: ForecastKind, text: string, file: string): ParsedForecastImport {
  let doc: ReturnType<typeof parseCsv>;
  try {
    doc = parseCsv(text, file);
  } catch (e) {
    if (e instanceof InputError) throw importError(file, [syntaxIssue(e)]);
    throw e;
  }
  const issues: ImportIssue[] = [];
  const add = (line: number, column: string | null, message: string) => {
    if (issues.length < MAX_ISSUES) issues.push({ line, column, message });
  };
  const columns = FORECAST_COLUMNS[kind];
  const header = doc.records[0]!;
  const index = new Map<string, number>();
  header.fields.forEach((f, i) => {
    const name = f.value.trim();
    if (!columns.includes(name)) {
      add(header.line, name, `unknown column for ${kind} (columns: ${columns.join(', ')})`);
      return;
    }
    if (index.has(name)) add(header.line, name, 'appears twice');
    index.set(name, i);
  });
  for (const col of columns) if (!index.has(col)) add(header.line, col, 'missing column');
  if (issues.length > 0) throw importError(file, issues);

  const seen = new Map<string, number>();
  const forecasts: ForecastRow[] = [];
  const capacity: CapacityRow[] = [];
  for (const rec of doc.records.slice(1)) {
    if (issues.length >= MAX_ISSUES) break;
    const line = rec.line;
    const cell = (col: string) => (rec.fields[index.get(col)!]?.value ?? '').trim();
    const required = (col: string): string | null => {
      const v = cell(col);
      if (v === '') add(line, col, 'is empty');
      return v === '' ? null : v;
    };
    const number = (col: string): number | null => {
      const v = required(col);
      if (v === null) return null;
      const n = Number(v);
      if (!NUMBER_RE.test(v) || !Number.isFinite(n) || n > MAX_NUMBER) {
        add(line, col, `not a number from 0 to ${MAX_NUMBER} (e.g. 12 or 12.5)`);
        return null;
      }
      return n;
    };
    const duplicate = (key: string, col: string) => {
      const first = seen.get(key);
      if (first !== undefined) add(line, col, `same key as line ${first}`);
      else seen.set(key, line);
    };
    if (kind === 'forecasts') {
      const queue = required('queue');
      if (queue !== null && !QUEUE_RE.test(queue))
        add(line, 'queue', 'at most 64 letters, digits, spaces and . _ / -');
      const t = required('interval_start');
      const at = t === null ? null : parseTime(t);
      if (t !== null && at === null)
        add(line, 'interval_start', 'not an ISO 8601 time with a UTC offset (e.g. 2026-12-01T09:00:00Z)');
      const volume = number('volume');
      const aht = number('aht_seconds');
      if (queue !== null && at !== null) duplicate(`${queue}\u0000${at.toISOString()}`, 'interval_start');
      if (queue !== null && at !== null && volume !== null && aht !== null)
        forecasts.push({ line, queue, intervalStart: at, volume, aht });
    } else {
      const team = required('team');
      if (team !== null && !TEAM_RE.test(team))
        add(line, 'team', 'at most 64 letters, digits, spaces and . _ -');
      const d = required('period_start');
      const period = d === null ? null : parseDate(d);
      if (d !== null && period === null) add(line, 'period_start', 'not an ISO 8601 date (YYYY-MM-DD)');
      const req = number('required_agents');
      const sch = number('scheduled_agents');
      if (team !== null && period !== null) duplicate(`${team}\u0000${period}`, 'period_start');
      if (team !== null && period !== null && req !== null && sch !== null)
        capacity.push({ line, team, periodStart: period, required: req, scheduled: sch });
    }
  }
  if (issues.length > 0) throw importError(file, issues);
  return kind === 'forecasts' ? { kind, rows: forecasts } : { kind, rows: capacity };
}

type Deps = { db: Kysely<Database>; audit: Pick<AuditService, 'append' | 'appendNow'> };

const CHUNK = 500;

/**
 * @example
 * const forecasts = createForecastsService({ db, audit });
 * await forecasts.importCsv(actor, 'forecasts', text, { file: 'forecasts.csv' });
 * await forecasts.listForecasts(tenantId, { queue: 'billing', from, to });
 */
export function createForecastsService({ db, audit }: Deps) {
  async function importCsv(
    actor: Actor,
    kind: ForecastKind,
    text: string,
    options: { file: string },
  ): Promise<ForecastImportResult> {
    return runAuditedImport(
      { db, audit },
      actor,
      'wfm.forecast.import',
      kind,
      () => parseForecastImport(kind, text, options.file),
      async (trx, parsed) => {
        let added = 0;
        const count = (out: Array<{ inserted: unknown }>) =>
          out.filter((r) => r.inserted === true || r.inserted === 't').length;
        const insertedCol = sql<boolean>`(xmax = 0)`.as('inserted');
        if (parsed.kind === 'forecasts') {
          for (let i = 0; i < parsed.rows.length; i += CHUNK) {
            const out = await trx
              .insertInto('wfm_forecasts')
              .values(
                parsed.rows.slice(i, i + CHUNK).map((r) => ({
                  tenant_id: actor.tenantId,
                  queue: r.queue,
                  interval_start: r.intervalStart,
                  volume: r.volume,
                  aht_seconds: r.aht,
                })),
              )
              .onConflict((oc) =>
                oc.columns(['tenant_id', 'queue', 'interval_start']).doUpdateSet((eb) => ({
                  volume: eb.ref('excluded.volume'),
                  aht_seconds: eb.ref('excluded.aht_seconds'),
                  updated_at: sql`now()`,
                })),
              )
              .returning(insertedCol)
              .execute();
            added += count(out);
          }
        } else {
          const names = [...new Set(parsed.rows.map((r) => r.team))];
          const teams = await trx
            .selectFrom('teams')
            .select(['id', 'name'])
            .where('tenant_id', '=', actor.tenantId)
            .where('name', 'in', names)
            .execute();
          const idOf = new Map(teams.map((t) => [t.name, t.id]));
          const unknown = parsed.rows
            .filter((r) => !idOf.has(r.team))
            .slice(0, MAX_ISSUES)
            .map((r) => ({
              line: r.line,
              column: 'team',
              message: 'no team of this name (teams come from user management or the agents import)',
            }));
          if (unknown.length > 0) throw importError(options.file, unknown);
          for (let i = 0; i < parsed.rows.length; i += CHUNK) {
            const out = await trx
              .insertInto('wfm_capacity')
              .values(
                parsed.rows.slice(i, i + CHUNK).map((r) => ({
                  tenant_id: actor.tenantId,
                  team_id: idOf.get(r.team)!,
                  period_start: r.periodStart,
                  required_agents: r.required,
                  scheduled_agents: r.scheduled,
                })),
              )
              .onConflict((oc) =>
                oc.columns(['tenant_id', 'team_id', 'period_start']).doUpdateSet((eb) => ({
                  required_agents: eb.ref('excluded.required_agents'),
                  scheduled_agents: eb.ref('excluded.scheduled_agents'),
                  updated_at: sql`now()`,
                })),
              )
              .returning(insertedCol)
              .execute();
            added += count(out);
          }
        }
        return added;
      },
    );
  }

  /** Forecast intervals, oldest first, at most `limit` (default 1,000). */
  async function listForecasts(
    tenantId: string,
    f: {
      queue?: string | undefined;
      from?: Date | undefined;
      to?: Date | undefined;
      limit?: number | undefined;
    },
  ): Promise<ForecastView[]> {
    let q = db
      .selectFrom('wfm_forecasts')
      .select(['queue', 'interval_start', 'volume', 'aht_seconds'])
      .where('tenant_id', '=', tenantId);
    if (f.queue) q = q.where('queue', '=', f.queue);
    if (f.from) q = q.where('interval_start', '>=', f.from);
    if (f.to) q = q.where('interval_start', '<', f.to);
    const rows = await q
      .orderBy('interval_start')
      .orderBy('queue')
      .limit(f.limit ?? 1000)
      .execute();
    return rows.map((r) => ({
      queue: r.queue,
      intervalStart: new Date(r.interval_start).toISOString(),
      volume: Number(r.volume),
      ahtSeconds: Number(r.aht_seconds),
    }));
  }

  /** Capacity per team per period, oldest first; `team` is a team name or id. */
  async function listCapacity(
    tenantId: string,
    f: {
      team?: string | undefined;
      from?: string | undefined;
      to?: string | undefined;
      limit?: number | undefined;
    },
  ): Promise<CapacityView[]> {
    let q = db
      .selectFrom('wfm_capacity as c')
      .innerJoin('teams as t', 't.id', 'c.team_id')
      .select([
        'c.team_id',
        't.name as team_name',
        sql<string>`c.period_start::text`.as('period_start'),
        'c.required_agents',
        'c.scheduled_agents',
      ])
      .where('c.tenant_id', '=', tenantId);
    if (f.team) {
      const team = f.team;
      q = q.where((eb) => eb.or([eb('t.name', '=', team), eb(sql`t.id::text`, '=', team)]));
    }
    if (f.from) q = q.where('c.period_start', '>=', f.from);
    if (f.to) q = q.where('c.period_start', '<=', f.to);
    const rows = await q
      .orderBy('c.period_start')
      .orderBy('t.name')
      .limit(f.limit ?? 1000)
      .execute();
    return rows.map((r) => ({
      team: { id: r.team_id, name: r.team_name },
      periodStart: r.period_start,
      requiredAgents: Number(r.required_agents),
      scheduledAgents: Number(r.scheduled_agents),
      gap: Number(r.scheduled_agents) - Number(r.required_agents),
    }));
  }

  return { importCsv, listForecasts, listCapacity };
}

export type ForecastsService = ReturnType<typeof createForecastsService>;
