/**
 * WFM import files: canonical CSV columns per kind, the column-mapping file that adapts exports of
 * other WFM products, and validation into typed rows. Pure (no I/O): the service writes the rows.
 *
 * Every problem names the file, the line and the column (`schedules.csv line 14, column start: not
 * an ISO 8601 time ...`) and never quotes a value: an error message can reach logs and people who
 * may not read the data (it_admin runs imports but reads no employee data).
 */
import { AppError } from '../../lib/errors.ts';
import { parseCsv } from '../redaction/engine/formats/csv.ts';
import { InputError } from '../redaction/engine/input.ts';

export const WFM_KINDS = ['agents', 'schedules', 'adherence', 'absences', 'performance'] as const;
export type WfmKind = (typeof WFM_KINDS)[number];

export const ADHERENCE_STATES = [
  'logged_in',
  'available',
  'on_call',
  'after_call_work',
  'break',
  'logged_out',
] as const;
export type AdherenceState = (typeof ADHERENCE_STATES)[number];

/** Coded absence reasons: categories only, never free text (a note can reveal a health condition). */
export const ABSENCE_REASONS = ['vacation', 'sick', 'family_leave', 'personal', 'other'] as const;
export type AbsenceReason = (typeof ABSENCE_REASONS)[number];

/** Canonical columns of each kind: `required` must be present; `optional` may be. */
export const CANONICAL_COLUMNS: Record<
  WfmKind,
  { required: readonly string[]; optional: readonly string[] }
> = {
  agents: {
    required: ['agent_id', 'name', 'team', 'region'],
    optional: ['username', 'site', 'home_address', 'status', 'left_at'],
  },
  schedules: { required: ['agent_id', 'start', 'end', 'activity'], optional: [] },
  adherence: { required: ['agent_id', 'timestamp', 'state'], optional: [] },
  absences: { required: ['agent_id', 'start_date', 'end_date', 'reason_code'], optional: [] },
  performance: { required: ['agent_id', 'period_start', 'metric', 'value'], optional: [] },
};

/**
 * A column-mapping file (JSON): `columns` renames source headers to canonical columns (`null` drops
 * a column the export has but Bulwark must not store); `values` rewrites coded values of a canonical
 * column (e.g. a product's "ACW" state to `after_call_work`).
 * @example { "columns": { "Employee ID": "agent_id", "Notes": null }, "values": { "state": { "ACW": "after_call_work" } } }
 */
export type ColumnMapping = {
  columns: Record<string, string | null>;
  values: Record<string, Record<string, string>>;
};

export const EMPTY_MAPPING: ColumnMapping = { columns: {}, values: {} };

export type AgentRow = {
  line: number;
  agentId: string;
  username: string | null;
  name: string;
  team: string;
  site: string | null;
  region: string;
  homeAddress: string | null;
  status: 'active' | 'left';
  leftAt: Date | null;
};
export type ScheduleRow = { line: number; agentId: string; start: Date; end: Date; activity: string };
export type AdherenceRow = { line: number; agentId: string; at: Date; state: AdherenceState };
export type AbsenceRow = {
  line: number;
  agentId: string;
  startDate: string;
  endDate: string;
  reasonCode: AbsenceReason;
};
export type PerformanceRow = {
  line: number;
  agentId: string;
  periodStart: string;
  metric: string;
  value: number;
};

export type ParsedImport =
  | { kind: 'agents'; rows: AgentRow[] }
  | { kind: 'schedules'; rows: ScheduleRow[] }
  | { kind: 'adherence'; rows: AdherenceRow[] }
  | { kind: 'absences'; rows: AbsenceRow[] }
  | { kind: 'performance'; rows: PerformanceRow[] };

/** One problem in an import file; `column` is the canonical column name (null for a whole line). */
export type ImportIssue = { line: number; column: string | null; message: string };

/** At most this many problems are reported for one file. */
export const MAX_ISSUES = 20;

export const describeIssue = (file: string, i: ImportIssue) =>
  `${file} line ${i.line}${i.column === null ? '' : `, column ${i.column}`}: ${i.message}`;

/** The VALIDATION_FAILED error for a file: the first problem in the message, all of them in details. */
export function importError(file: string, issues: ImportIssue[]): AppError {
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem(s))` : '';
  return new AppError(
    'VALIDATION_FAILED',
    `${describeIssue(file, issues[0]!)}${more}; nothing was imported`,
    {
      details: { file, errors: issues.map((i) => ({ ...i, message: describeIssue(file, i) })) },
    },
  );
}

const ISO_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const ISO_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const REGION_RE = /^[a-z]{2}(-[a-z0-9-]{1,30})?$/;
const TEAM_RE = /^[\p{L}\p{N} ._-]{1,64}$/u;
const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{1,62}$/;
const METRIC_RE = /^[a-z][a-z0-9_]{0,63}$/;
const ACTIVITY_RE = /^[\p{L}\p{N} ._/-]{1,64}$/u;

const parseTime = (v: string): Date | null => {
  if (!ISO_TIME_RE.test(v)) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
};
const parseDate = (v: string): string | null => {
  const m = ISO_DATE_RE.exec(v);
  if (!m) return null;
  const d = new Date(`${v}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v ? null : v;
};
const TIME_HINT = 'not an ISO 8601 time with a UTC offset (e.g. 2026-11-27T09:30:00Z)';
const DATE_HINT = 'not an ISO 8601 date (YYYY-MM-DD)';

/**
 * Reads a column-mapping file. Throws VALIDATION_FAILED naming the file and the key at fault.
 * @example parseMapping('{"columns":{"Employee":"agent_id"}}', 'nice.json')
 */
export function parseMapping(json: string, file: string): ColumnMapping {
  const fail = (what: string) => new AppError('VALIDATION_FAILED', `${file}: ${what}`, { details: { file } });
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw fail('not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw fail('expected an object with "columns" and/or "values"');
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj))
    if (key !== 'columns' && key !== 'values')
      throw fail(`unknown key "${key}" (use "columns" and "values")`);
  const columns: Record<string, string | null> = {};
  const values: Record<string, Record<string, string>> = {};
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (obj.columns !== undefined) {
    if (!isObj(obj.columns)) throw fail('"columns" must map source column names to canonical ones');
    for (const [from, to] of Object.entries(obj.columns)) {
      if (to !== null && typeof to !== 'string')
        throw fail(`columns["${from}"] must be a canonical column name or null (drop the column)`);
      columns[from.trim()] = to;
    }
  }
  if (obj.values !== undefined) {
    if (!isObj(obj.values)) throw fail('"values" must map canonical columns to {source value: value}');
    for (const [column, map] of Object.entries(obj.values)) {
      if (!isObj(map)) throw fail(`values["${column}"] must map source values to values`);
      const m: Record<string, string> = {};
      for (const [from, to] of Object.entries(map)) {
        if (typeof to !== 'string') throw fail(`values["${column}"]["${from}"] must be a string`);
        m[from] = to;
      }
      values[column] = m;
    }
  }
  return { columns, values };
}

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
 * Parses and validates a whole import file. Throws VALIDATION_FAILED (every problem, up to
 * {@link MAX_ISSUES}, with file, line and column) when anything is wrong: an import is all or nothing.
 * @example parseImport('schedules', 'agent_id,start,end,activity\nA1,2026-11-27T08:00:00Z,2026-11-27T16:00:00Z,phone\n', 's.csv')
 */
export function parseImport(
  kind: WfmKind,
  text: string,
  file: string,
  mapping: ColumnMapping = EMPTY_MAPPING,
  onRow?: (done: number, total: number) => void,
): ParsedImport {
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
  const spec = CANONICAL_COLUMNS[kind];
  const known = new Set([...spec.required, ...spec.optional]);
  const header = doc.records[0]!;
  // Canonical column -> field index.
  const index = new Map<string, number>();
  header.fields.forEach((f, i) => {
    const source = f.value.trim();
    const mapped = Object.hasOwn(mapping.columns, source) ? mapping.columns[source] : source;
    if (mapped === null || mapped === undefined) return;
    if (!known.has(mapped)) {
      add(
        header.line,
        source,
        `unknown column for ${kind} (canonical columns: ${[...known].join(', ')}; rename or drop it with a mapping file)`,
      );
      return;
    }
    if (index.has(mapped)) add(header.line, mapped, 'appears twice (after mapping)');
    index.set(mapped, i);
  });
  for (const col of spec.required) if (!index.has(col)) add(header.line, col, 'missing column');
  if (issues.length > 0) throw importError(file, issues);

  const records = doc.records.slice(1);
  const seen = new Map<string, number>();
  const rows: unknown[] = [];
  const total = records.length;
  for (let r = 0; r < records.length; r++) {
    if (issues.length >= MAX_ISSUES) break;
    const rec = records[r]!;
    const line = rec.line;
    const cell = (col: string): string => {
      const i = index.get(col);
      if (i === undefined) return '';
      const v = (rec.fields[i]?.value ?? '').trim();
      const mapped = mapping.values[col]?.[v];
      return mapped ?? v;
    };
    const required = (col: string): string | null => {
      const v = cell(col);
      if (v === '') {
        add(line, col, 'is empty');
        return null;
      }
      return v;
    };
    const unique = (key: string, what: string) => {
      const first = seen.get(key);
      if (first !== undefined) add(line, null, `duplicate of line ${first} (same ${what})`);
      else seen.set(key, line);
    };
    const agentId = required('agent_id');
    if (agentId !== null && agentId.length > 200) add(line, 'agent_id', 'longer than 200 characters');
    switch (kind) {
      case 'agents': {
        const name = required('name');
        if (name !== null && name.length > 200) add(line, 'name', 'longer than 200 characters');
        const team = required('team');
        if (team !== null && !TEAM_RE.test(team))
          add(line, 'team', 'team names are 1-64 letters, digits, spaces, dot, dash or underscore');
        const region = required('region');
        if (region !== null && !REGION_RE.test(region))
          add(line, 'region', 'a region looks like "eu", "us" or "eu-west"');
        const username = cell('username');
        if (username !== '' && !USERNAME_RE.test(username)) add(line, 'username', 'not a valid username');
        const site = cell('site');
        if (site.length > 200) add(line, 'site', 'longer than 200 characters');
        const home = cell('home_address');
        if (home.length > 500) add(line, 'home_address', 'longer than 500 characters');
        const status = cell('status') || 'active';
        if (status !== 'active' && status !== 'left') add(line, 'status', 'must be "active" or "left"');
        const leftText = cell('left_at');
        const leftAt = leftText === '' ? null : parseTime(leftText);
        if (leftText !== '' && leftAt === null) add(line, 'left_at', TIME_HINT);
        if (agentId !== null) unique(`a|${agentId}`, 'agent_id');
        rows.push({
          line,
          agentId: agentId ?? '',
          username: username || null,
          name: name ?? '',
          team: team ?? '',
          site: site || null,
          region: region ?? '',
          homeAddress: home || null,
          status: status === 'left' ? 'left' : 'active',
          leftAt,
        } satisfies AgentRow);
        break;
      }
      case 'schedules': {
        const startText = required('start');
        const endText = required('end');
        const start = startText === null ? null : parseTime(startText);
        const end = endText === null ? null : parseTime(endText);
        if (startText !== null && start === null) add(line, 'start', TIME_HINT);
        if (endText !== null && end === null) add(line, 'end', TIME_HINT);
        if (start && end && end <= start) add(line, 'end', 'is not after start');
        if (start && end && end.getTime() - start.getTime() > 24 * 3600_000)
          add(line, 'end', 'a schedule segment is longer than 24 hours');
        const activity = required('activity');
        if (activity !== null && !ACTIVITY_RE.test(activity))
          add(line, 'activity', 'activities are 1-64 letters, digits, spaces or . _ / -');
        if (agentId !== null && start) unique(`s|${agentId}|${start.getTime()}`, 'agent and start');
        rows.push({
          line,
          agentId: agentId ?? '',
          start: start ?? new Date(0),
          end: end ?? new Date(0),
          activity: activity ?? '',
        } satisfies ScheduleRow);
        break;
      }
      case 'adherence': {
        const atText = required('timestamp');
        const at = atText === null ? null : parseTime(atText);
        if (atText !== null && at === null) add(line, 'timestamp', TIME_HINT);
        const state = required('state');
        if (state !== null && !(ADHERENCE_STATES as readonly string[]).includes(state))
          add(line, 'state', `not a known state (${ADHERENCE_STATES.join(', ')})`);
        if (agentId !== null && at) unique(`e|${agentId}|${at.getTime()}`, 'agent and timestamp');
        rows.push({
          line,
          agentId: agentId ?? '',
          at: at ?? new Date(0),
          state: (state ?? 'logged_out') as AdherenceState,
        } satisfies AdherenceRow);
        break;
      }
      case 'absences': {
        const startText = required('start_date');
        const endText = required('end_date');
        const startDate = startText === null ? null : parseDate(startText);
        const endDate = endText === null ? null : parseDate(endText);
        if (startText !== null && startDate === null) add(line, 'start_date', DATE_HINT);
        if (endText !== null && endDate === null) add(line, 'end_date', DATE_HINT);
        if (startDate && endDate && endDate < startDate) add(line, 'end_date', 'is before start_date');
        const reason = required('reason_code');
        if (reason !== null && !(ABSENCE_REASONS as readonly string[]).includes(reason))
          add(
            line,
            'reason_code',
            `not a reason category (${ABSENCE_REASONS.join(', ')}); map product codes with a mapping file`,
          );
        if (agentId !== null && startDate) unique(`b|${agentId}|${startDate}`, 'agent and start_date');
        rows.push({
          line,
          agentId: agentId ?? '',
          startDate: startDate ?? '',
          endDate: endDate ?? '',
          reasonCode: (reason ?? 'other') as AbsenceReason,
        } satisfies AbsenceRow);
        break;
      }
      case 'performance': {
        const periodText = required('period_start');
        const periodStart = periodText === null ? null : parseDate(periodText);
        if (periodText !== null && periodStart === null) add(line, 'period_start', DATE_HINT);
        const metric = required('metric');
        if (metric !== null && !METRIC_RE.test(metric))
          add(line, 'metric', 'metric names are lower-case letters, digits and underscores');
        const valueText = required('value');
        const value = valueText === null ? Number.NaN : Number(valueText);
        if (
          valueText !== null &&
          (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(valueText) || !Number.isFinite(value))
        )
          add(line, 'value', 'not a number');
        if (agentId !== null && periodStart && metric)
          unique(`p|${agentId}|${periodStart}|${metric}`, 'agent, period_start and metric');
        rows.push({
          line,
          agentId: agentId ?? '',
          periodStart: periodStart ?? '',
          metric: metric ?? '',
          value,
        } satisfies PerformanceRow);
        break;
      }
    }
    if ((r & 1023) === 0) onRow?.(r, total);
  }
  onRow?.(total, total);
  if (issues.length > 0) throw importError(file, issues);
  return { kind, rows } as ParsedImport;
}
