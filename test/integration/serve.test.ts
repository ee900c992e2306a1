import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliEnv, createCliEnv, runBulwark, startServe } from '../support/cli.ts';

let e: CliEnv;
beforeAll(async () => {
  e = await createCliEnv({ BULWARK_AUTH_RATE_LIMIT_PER_MINUTE: '100000', BULWARK_LOCKOUT_THRESHOLD: '100' });
});
afterAll(async () => e?.cleanup());

describe('bulwark serve', () => {
  it('prints a one-time bootstrap administrator on first start only, and it can sign in', {
    timeout: 120_000,
  }, async () => {
    const first = await startServe(e.env);
    try {
      const out = first.output();
      const password = /password: (\S+)/.exec(out)?.[1];
      expect(out).toContain('username: admin');
      expect(password).toBeTruthy();
      const login = await fetch(`${first.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
      expect(login.status).toBe(200);
      expect(((await login.json()) as { status: string }).status).toBe('mfa_enrollment_required');
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited).toBe(0);
    const second = await startServe(e.env);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(second.output()).not.toContain('password:');
  });

  it('loses no acknowledged audit event on kill -9, and the log verifies after restart', {
    timeout: 180_000,
  }, async () => {
    const server = await startServe(e.env);
    const acknowledged: string[] = [];
    let stop = false;
    // Each failed sign-in is an audited event; its request id is our receipt.
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const rid = `k9-${w}-${i}`;
        try {
          const r = await fetch(`${server.url}/v1/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-request-id': rid },
            body: JSON.stringify({ username: 'admin', password: 'definitely wrong password' }),
          });
          if (r.status === 401) acknowledged.push(rid);
        } catch {
          return; // the server is gone
        }
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    await new Promise((r) => setTimeout(r, 2500));
    server.child.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    await server.exited;
    expect(acknowledged.length).toBeGreaterThan(5);

    const verify = await runBulwark(['audit', 'verify', '--json'], e.env);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout).ok).toBe(true);
    const exported = await runBulwark(['audit', 'export'], e.env);
    const requestIds = new Set(
      exported.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).requestId),
    );
    const lost = acknowledged.filter((rid) => !requestIds.has(rid));
    expect(lost).toEqual([]);
  });
});
