import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.ts';
import { type CliEnv, createCliEnv, runBulwark, startServe } from '../support/cli.ts';
import { TEST_DATABASE_URL } from '../support/harness.ts';

let e: CliEnv;
beforeAll(async () => {
  e = await createCliEnv();
});
afterAll(async () => e?.cleanup());

const PASSWORD = 'a long and unusual passphrase for tests';

describe('bulwark CLI', () => {
  it('rejects invalid configuration naming the variable, exit 2', async () => {
    const r = await runBulwark(['users', 'list'], { ...e.env, BULWARK_PORT: 'eighty' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('BULWARK_PORT');
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('adds, lists, unlocks and revokes users, and audits it all', { timeout: 240_000 }, async () => {
    const add = await runBulwark(
      [
        'users',
        'add',
        'alice',
        '--role',
        'qa_analyst',
        '--team',
        'Blue',
        '--region',
        'eu',
        '--password-stdin',
      ],
      e.env,
      `${PASSWORD}\n`,
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/created alice .* roles=qa_analyst teams=Blue region=eu/);

    const dup = await runBulwark(
      ['users', 'add', 'alice', '--role', 'agent', '--password-stdin'],
      e.env,
      `${PASSWORD}\n`,
    );
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already taken');

    const weak = await runBulwark(
      ['users', 'add', 'bob', '--role', 'agent', '--password-stdin'],
      e.env,
      'password1234\n',
    );
    expect(weak.code).toBe(2);
    expect(weak.stderr).toMatch(/common|guess/i);
    expect(weak.stderr).not.toContain('password1234');

    const badRole = await runBulwark(
      ['users', 'add', 'carol', '--role', 'root', '--password-stdin'],
      e.env,
      `${PASSWORD}\n`,
    );
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('unknown role');

    const noStdin = await runBulwark(['users', 'add', 'dave', '--role', 'agent'], e.env);
    expect(noStdin.code).toBe(2);

    const list = await runBulwark(['users', 'list', '--json'], e.env);
    expect(list.code).toBe(0);
    const users = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(users.map((u: { username: string }) => u.username)).toContain('alice');
    expect(JSON.stringify(users)).not.toContain('argon2');

    expect((await runBulwark(['users', 'unlock', 'alice'], e.env)).code).toBe(0);
    const revoke = await runBulwark(['users', 'revoke-sessions', 'alice'], e.env);
    expect(revoke.stdout).toContain('revoked 0 session(s) of alice');
    const reset = await runBulwark(['users', 'reset-mfa', 'alice'], e.env);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('reset MFA of alice: 0 passkey(s) and 0 recovery code(s) removed');
    const missing = await runBulwark(['users', 'unlock', 'nobody'], e.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no user named "nobody"');

    const verify = await runBulwark(['audit', 'verify'], e.env);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/audit log OK: \d+ events/);

    const cef = await runBulwark(['audit', 'export', '--format', 'cef'], e.env);
    expect(cef.code).toBe(0);
    expect(cef.stdout).toContain('act=user.create');
    expect(cef.stdout).toContain('act=user.unlock');
    expect(cef.stdout).toContain('act=user.mfaReset');
    expect(cef.stdout).not.toContain(PASSWORD);
  });

  it('audit verify exits 1 naming the index of an event edited behind its back', {
    timeout: 120_000,
  }, async () => {
    expect((await runBulwark(['audit', 'verify'], e.env)).code).toBe(0);
    // Edit one event directly in the store, as a database administrator could.
    const handle = e.env.DATABASE_URL
      ? await openDatabase({ engine: 'postgres', url: e.env.DATABASE_URL })
      : await openDatabase({ engine: 'pglite', dataDir: e.env.BULWARK_DATA_DIR!, purpose: 'test tamper' });
    try {
      await sql`update audit_events set body = replace(body, '"outcome":"success"', '"outcome":"failure"') where leaf_index = 2`.execute(
        handle.db,
      );
    } finally {
      await handle.close();
    }
    const r = await runBulwark(['audit', 'verify'], e.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FAILED at index 2');
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it.skipIf(Boolean(TEST_DATABASE_URL))(
    'refuses admin commands while a server holds the embedded store',
    { timeout: 120_000 },
    async () => {
      const server = await startServe(e.env);
      try {
        const r = await runBulwark(['users', 'list'], e.env);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/in use by process \d+ \(bulwark serve\)/);
      } finally {
        server.child.kill('SIGTERM');
      }
      expect(await server.exited).toBe(0);
      expect((await runBulwark(['users', 'list'], e.env)).code).toBe(0);
    },
  );
});
