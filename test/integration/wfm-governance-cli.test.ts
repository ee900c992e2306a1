import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliEnv, createCliEnv, runBulwark } from '../support/cli.ts';

let env: CliEnv;
beforeAll(async () => {
  env = await createCliEnv();
});
afterAll(async () => env?.cleanup());

describe('bulwark wfm retention | agents leave | presence, bulwark transfers', () => {
  it('shows and sets retention, records a leaver, runs dry, manages transfers and prints presence as CSV', async () => {
    const now = Date.now();
    const iso = (ms: number) => new Date(now + ms).toISOString();
    fs.writeFileSync(
      path.join(env.dir, 'agents.csv'),
      'agent_id,name,team,site,region\nE1,Eve One,Team X,Leeds,eu\nU1,"Uma, Us",Team Y,Austin,us\n',
    );
    fs.writeFileSync(
      path.join(env.dir, 'adherence.csv'),
      `agent_id,timestamp,state\nE1,${iso(-40 * 60_000)},logged_in\nE1,${iso(-10 * 60_000)},logged_out\nU1,${iso(-30 * 60_000)},logged_in\nU1,${iso(-20 * 60_000)},logged_out\n`,
    );
    for (const kind of ['agents', 'adherence'])
      expect(
        (await runBulwark(['wfm', 'import', kind, path.join(env.dir, `${kind}.csv`)], env.env)).code,
      ).toBe(0);

    const show = await runBulwark(['wfm', 'retention', 'show'], env.env);
    expect(show.stdout).toContain('kept 7 day(s), then rolled up into 15-minute intervals and removed');
    expect(show.stdout).toContain('legal holds:           none apply to WFM data');
    const set = await runBulwark(['wfm', 'retention', 'set', '--leaver-days', '30'], env.env);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('pseudonymised 30 day(s) after leaving');
    const leave = await runBulwark(['wfm', 'agents', 'leave', 'E1', '--at', iso(-60 * 86_400_000)], env.env);
    expect(leave.stdout).toMatch(/^recorded: agent E1 left at /);
    const dry = await runBulwark(['wfm', 'retention', 'run', '--dry-run', '--json'], env.env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, leavers: { pseudonymised: 1 } });

    const allow = await runBulwark(
      ['transfers', 'allow', '--from', 'us', '--to', 'eu', '--mechanism', 'scc', '--reference', 'DPA-7'],
      env.env,
    );
    expect(allow.stdout).toMatch(/^allowed us -> eu under scc \(/);
    const presence = await runBulwark(
      ['wfm', 'presence', '--from', iso(-3600_000), '--to', iso(0), '--region', 'eu', '--format', 'csv'],
      env.env,
    );
    expect(presence.code, presence.stderr).toBe(0);
    const lines = presence.stdout.trim().split('\n');
    expect(lines[0]).toBe('agent_id,name,team,site,region,first_seen,last_seen,sources');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['E1', 'U1']);
    expect(lines[2]).toContain('"Uma, Us"');
    const revoke = await runBulwark(['transfers', 'revoke', '--from', 'us', '--to', 'eu'], env.env);
    expect(revoke.stdout).toMatch(/^revoked us -> eu \(scc, /);
    const table = await runBulwark(
      ['wfm', 'presence', '--from', iso(-3600_000), '--to', iso(0), '--region', 'eu'],
      env.env,
    );
    expect(table.stdout).toContain('agents logged in between');
    expect(table.stdout).toContain('withheld (no transfer mechanism to your region): us=1');
    expect(table.stdout).not.toContain('Uma');
    const list = await runBulwark(['transfers', 'list', '--all'], env.env);
    expect(list.stdout).toContain('DPA-7');
  }, 240_000); // ten CLI processes, each a cold start: generous on a loaded 2-core machine
});
