import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliEnv, createCliEnv, runBulwark } from '../support/cli.ts';

let cli: CliEnv;
beforeAll(async () => {
  cli = await createCliEnv();
});
afterAll(async () => cli?.cleanup());

describe('bulwark recordings / keys / retention (CLI)', () => {
  it('imports recordings encrypted, rotates the KEK resumably, retires old versions and purges by policy', async () => {
    const canary = Buffer.from('CLI-CANARY-AUDIO-0b7e');
    const file = path.join(cli.dir, 'call.wav');
    fs.writeFileSync(file, Buffer.concat([randomBytes(50_000), canary, randomBytes(5_000)]));
    const old = path.join(cli.dir, 'old.wav');
    fs.writeFileSync(old, randomBytes(3_000));

    const imported = await runBulwark(
      [
        'recordings',
        'import',
        file,
        '--call-id',
        'c-100',
        '--agent',
        'agent.one',
        '--team',
        'Sales',
        '--region',
        'eu',
        '--started-at',
        new Date().toISOString(),
        '--customer-ref-env',
        'CUSTOMER_REF',
      ],
      { ...cli.env, CUSTOMER_REF: 'ACCT-55501234' },
    );
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(
      /imported .*call\.wav as recording [0-9a-f-]{36} \(55021 bytes, encrypted\)/,
    );
    const oldImport = await runBulwark(
      [
        'recordings',
        'import',
        old,
        '--call-id',
        'c-99',
        '--agent',
        'agent.one',
        '--team',
        'Sales',
        '--region',
        'eu',
        '--started-at',
        new Date(Date.now() - 400 * 86_400_000).toISOString(),
      ],
      cli.env,
    );
    expect(oldImport.code, oldImport.stderr).toBe(0);

    const missing = await runBulwark(
      [
        'recordings',
        'import',
        path.join(cli.dir, 'nope.wav'),
        '--call-id',
        'x',
        '--agent',
        'a',
        '--team',
        'T',
        '--started-at',
        new Date().toISOString(),
      ],
      cli.env,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.wav: no such file');
    const badDate = await runBulwark(
      [
        'recordings',
        'import',
        file,
        '--call-id',
        'x',
        '--agent',
        'a',
        '--team',
        'T',
        '--started-at',
        'yesterday',
      ],
      cli.env,
    );
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain('--started-at must be an ISO 8601 date-time');

    const status1 = await runBulwark(['keys', 'status', '--json'], cli.env);
    expect(status1.code, status1.stderr).toBe(0);
    const s1 = JSON.parse(status1.stdout);
    expect(s1.provider).toBe('local');
    expect(s1.versions).toEqual([expect.objectContaining({ version: 1, current: true, dataKeys: 2 })]);

    const retireTooEarly = await runBulwark(['keys', 'retire', '--below', '2'], cli.env);
    expect(retireTooEarly.code).toBe(1);
    const rotated = await runBulwark(['keys', 'rotate'], cli.env);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain('rotated to KEK version 2: 2 data key(s) re-wrapped, 0 failed');
    const retired = await runBulwark(['keys', 'retire', '--below', '2'], cli.env);
    expect(retired.code, retired.stderr).toBe(0);
    const status2 = await runBulwark(['keys', 'status'], cli.env);
    expect(status2.stdout).toMatch(/1\s+\S+\s+0\s+retired/);
    expect(status2.stdout).toMatch(/2\s+\S+\s+2\s+current/);

    const set = await runBulwark(['retention', 'set', '--kind', 'audio', '--days', '365'], cli.env);
    expect(set.code, set.stderr).toBe(0);
    const listed = await runBulwark(['retention', 'list'], cli.env);
    expect(listed.stdout).toContain('kind=audio region=* tag=*  365 days');
    const dry = await runBulwark(['recordings', 'purge', '--dry-run', '--json'], cli.env);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, purged: [expect.any(Object)] });
    const purged = await runBulwark(['recordings', 'purge'], cli.env);
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.stdout).toContain('purged 1 of');

    // Nothing the CLI wrote holds the audio or the customer reference in plaintext.
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(cli.env.BULWARK_DATA_DIR!);
    for (const f of files) {
      const bytes = fs.readFileSync(f);
      expect(bytes.includes(canary), f).toBe(false);
      expect(bytes.includes(Buffer.from('ACCT-55501234')), f).toBe(false);
    }
    // The key-encryption keys live in the key dir, never in the data dir.
    expect(fs.existsSync(path.join(cli.env.BULWARK_KEY_DIR!, 'kek.json'))).toBe(true);
    expect(files.some((f) => f.endsWith('kek.json'))).toBe(false);
  }, 600_000);
});
