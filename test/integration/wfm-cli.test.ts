import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliEnv, createCliEnv, runBulwark } from '../support/cli.ts';

let env: CliEnv;
beforeAll(async () => {
  env = await createCliEnv();
});
afterAll(async () => env?.cleanup());

describe('bulwark wfm import', () => {
  it('imports an export through a column mapping, then refuses a bad file naming line and column', async () => {
    const dir = env.dir;
    fs.writeFileSync(
      path.join(dir, 'export.csv'),
      'Employee,Full Name,Group,Region,Notes\nE1,Eve One,Team X,eu,private note\nE2,Eve Two,Team X,eu,\n',
    );
    fs.writeFileSync(
      path.join(dir, 'mapping.json'),
      JSON.stringify({
        columns: { Employee: 'agent_id', 'Full Name': 'name', Group: 'team', Region: 'region', Notes: null },
      }),
    );
    const ok = await runBulwark(
      ['wfm', 'import', 'agents', path.join(dir, 'export.csv'), '--mapping', path.join(dir, 'mapping.json')],
      env.env,
    );
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('imported 2 agents row(s) from export.csv: 2 new, 0 updated\n');

    fs.writeFileSync(
      path.join(dir, 'schedules.csv'),
      'agent_id,start,end,activity\nE1,2026-11-23T08:00:00Z,2026-11-23T12:00:00Z,phone\nE2,23/11/2026,2026-11-23T12:00:00Z,phone\nE1,2026-11-23T13:00:00Z,2026-11-23T12:00:00Z,phone\n',
    );
    const bad = await runBulwark(['wfm', 'import', 'schedules', path.join(dir, 'schedules.csv')], env.env);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('schedules.csv line 3, column start: not an ISO 8601 time');
    expect(bad.stderr).toContain('schedules.csv line 4, column end: is not after start');
    expect(bad.stderr).toContain('nothing was imported');
    expect(bad.stderr).not.toContain('23/11/2026');
  });
});
