import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.ts';
import { parseImport, parseMapping } from './wfm-csv.ts';

/** The VALIDATION_FAILED error a call throws. */
function failure(fn: () => unknown): {
  message: string;
  errors: Array<{ line: number; column: string | null; message: string }>;
} {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    const err = e as AppError;
    expect(err.code).toBe('VALIDATION_FAILED');
    return { message: err.message, errors: (err.details?.errors ?? []) as never };
  }
  throw new Error('expected a failure');
}

describe('parseImport', () => {
  it('reads every kind from its canonical columns, trimming cells', () => {
    const agents = parseImport(
      'agents',
      'agent_id,username,name,team,site,region,home_address\r\nA1, alice ,Alice,Team A,Leeds,eu,"1 Row, Leeds"\r\nA2,,Bob,Team B,,us,\r\n',
      'agents.csv',
    );
    expect(agents.rows).toEqual([
      expect.objectContaining({
        line: 2,
        agentId: 'A1',
        username: 'alice',
        homeAddress: '1 Row, Leeds',
        status: 'active',
      }),
      expect.objectContaining({ line: 3, agentId: 'A2', username: null, site: null, homeAddress: null }),
    ]);
    const sched = parseImport(
      'schedules',
      'agent_id,start,end,activity\nA1,2026-11-27T08:00:00+01:00,2026-11-27T16:00:00+01:00,phone\n',
      's.csv',
    );
    expect(sched.rows[0]).toMatchObject({ start: new Date('2026-11-27T07:00:00Z'), activity: 'phone' });
    const perf = parseImport(
      'performance',
      'agent_id,period_start,metric,value\nA1,2026-11-01,aht,-1.5e2\n',
      'p.csv',
    );
    expect(perf.rows[0]).toMatchObject({ periodStart: '2026-11-01', value: -150 });
  });

  it('names file, line and column, collects several problems, and never quotes a value', () => {
    const { message, errors } = failure(() =>
      parseImport(
        'schedules',
        [
          'agent_id,start,end,activity',
          'A1,2026-11-27T08:00:00Z,2026-11-27T16:00:00Z,phone',
          'A1,2026-11-27T08:00:00Z,2026-11-27T09:00:00Z,phone',
          'A2,2026-11-27 08:00,2026-11-27T09:00:00Z,phone',
          'A3,2026-11-27T10:00:00Z,2026-11-27T09:00:00Z,',
          '',
        ].join('\n'),
        'schedules.csv',
      ),
    );
    expect(message).toMatch(
      /^schedules\.csv line 3: duplicate of line 2 \(same agent and start\) \(and 3 more/,
    );
    expect(errors.map((e) => [e.line, e.column])).toEqual([
      [3, null],
      [4, 'start'],
      [5, 'end'],
      [5, 'activity'],
    ]);
    expect(errors[1]!.message).toBe(
      'schedules.csv line 4, column start: not an ISO 8601 time with a UTC offset (e.g. 2026-11-27T09:30:00Z)',
    );
    expect(JSON.stringify(errors)).not.toContain('2026-11-27 08:00');
  });

  it('reports header problems and CSV syntax errors', () => {
    const header = failure(() => parseImport('absences', 'agent_id,begin,end_date,reason_code\n', 'a.csv'));
    expect(header.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^a\.csv line 1, column begin: unknown column for absences/),
      'a.csv line 1, column start_date: missing column',
    ]);
    const syntax = failure(() =>
      parseImport('adherence', 'agent_id,timestamp,state\nA1,2026-11-27T08:00:00Z,on_"call\n', 'adh.csv'),
    );
    expect(syntax.message).toMatch(/^adh\.csv line 2: character \d+: stray quote/);
    expect(
      failure(() =>
        parseImport(
          'absences',
          'agent_id,start_date,end_date,reason_code\nA1,2026-02-30,2026-03-01,sick\n',
          'a.csv',
        ),
      ).message,
    ).toContain('a.csv line 2, column start_date: not an ISO 8601 date');
  });

  it('a mapping renames and drops source columns and rewrites coded values', () => {
    const mapping = parseMapping(
      JSON.stringify({
        columns: {
          'Employee ID': 'agent_id',
          From: 'start_date',
          To: 'end_date',
          Code: 'reason_code',
          Note: null,
        },
        values: { reason_code: { SICK: 'sick', HOL: 'vacation' } },
      }),
      'map.json',
    );
    const parsed = parseImport(
      'absences',
      'Employee ID,From,To,Code,Note\nE1,2026-11-02,2026-11-03,SICK,flu\nE2,2026-12-01,2026-12-02,HOL,\n',
      'export.csv',
      mapping,
    );
    expect(parsed.rows.map((r) => ('reasonCode' in r ? r.reasonCode : null))).toEqual(['sick', 'vacation']);
    expect(JSON.stringify(parsed.rows)).not.toContain('flu');
  });

  it('parseMapping refuses malformed mapping files, naming the file', () => {
    expect(() => parseMapping('{', 'm.json')).toThrow(/^m\.json: not valid JSON/);
    expect(() => parseMapping('{"colums":{}}', 'm.json')).toThrow(/unknown key "colums"/);
    expect(() => parseMapping('{"columns":{"A":1}}', 'm.json')).toThrow(/columns\["A"\] must be/);
    expect(() => parseMapping('{"values":{"state":{"ACW":3}}}', 'm.json')).toThrow(/must be a string/);
  });
});
