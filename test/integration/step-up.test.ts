import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedInUser, buildUser, signIn, totpAt } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ BULWARK_SESSION_IDLE_SECONDS: '3600' });
});
afterAll(async () => h?.close());

const stepUp = (auth: { authorization: string }, payload: Record<string, unknown>) =>
  h.app.inject({ method: 'POST', url: '/v1/auth/step-up', headers: auth, payload });
const me = (auth: { authorization: string }) => h.app.inject({ method: 'GET', url: '/v1/me', headers: auth });
const wrongCode = (secret: string) => totpAt(secret, new Date(h.clock.now().getTime() + 3_600_000));

describe('POST /v1/auth/step-up', () => {
  it("a TOTP code refreshes the session's MFA time, and fresh-MFA actions work again", async () => {
    const u = await buildSignedInUser(h);
    const signedInAt = (await me(u.auth)).json().mfaAt;
    h.clock.advance(20 * 60_000);
    // Passkey management needs an MFA within 15 minutes.
    const stale = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/passkeys/registration/options',
      headers: u.auth,
    });
    expect(stale.statusCode).toBe(403);

    const r = await stepUp(u.auth, { code: totpAt(u.totpSecret, h.clock.now()) });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ mfaAt: h.clock.now().toISOString() });
    expect((await me(u.auth)).json().mfaAt).toBe(h.clock.now().toISOString());
    expect(signedInAt).not.toBe(h.clock.now().toISOString());
    const fresh = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/passkeys/registration/options',
      headers: u.auth,
    });
    expect(fresh.statusCode).toBe(200);

    const events = await h.ctx.audit.listEvents({
      tenantId: u.tenantId,
      action: 'auth.stepUp',
      actor: u.user.id,
      limit: 5,
    });
    expect(events.data).toHaveLength(1);
    expect(events.data[0]).toMatchObject({
      outcome: 'success',
      details: { method: 'totp' },
      actor: { session: expect.any(String) },
    });
  });

  it('a TOTP code is single-use across step-up and sign-in (compare-and-set on the last step)', async () => {
    const u = await buildSignedInUser(h);
    const code = totpAt(u.totpSecret, h.clock.now());
    const [a, b] = await Promise.all([stepUp(u.auth, { code }), stepUp(u.auth, { code })]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 401]);
    const replay = await stepUp(u.auth, { code });
    expect(replay.statusCode).toBe(401);
    expect(replay.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(replay.json().code).toBe('INVALID_MFA_CODE');
    // The same code cannot complete a sign-in either.
    const login = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: u.user.username, password: u.password },
    });
    const mfa = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/mfa',
      payload: { challenge: login.json().challenge, code },
    });
    expect(mfa.json().code).toBe('INVALID_MFA_CODE');
    // The session is still valid after a refused step-up.
    expect((await me(u.auth)).statusCode).toBe(200);
  });

  it('accepts each recovery code once', async () => {
    const u = await buildSignedInUser(h);
    const ok = await stepUp(u.auth, { recoveryCode: u.recoveryCodes[1] });
    expect(ok.statusCode).toBe(200);
    const again = await stepUp(u.auth, { recoveryCode: u.recoveryCodes[1] });
    expect(again.statusCode).toBe(401);
    expect(again.json().code).toBe('INVALID_MFA_CODE');
    const events = await h.ctx.audit.listEvents({
      tenantId: u.tenantId,
      action: 'auth.stepUp',
      actor: u.user.id,
      limit: 5,
    });
    expect(events.data.map((e) => [e.outcome, e.details.method ?? e.reason])).toEqual([
      ['success', 'recovery_code'],
      ['failure', 'invalid_recovery_code'],
    ]);
  });

  it('needs exactly one factor', async () => {
    const u = await buildSignedInUser(h);
    const none = await stepUp(u.auth, {});
    expect(none.statusCode).toBe(422);
    expect(none.json().code).toBe('VALIDATION_FAILED');
    const both = await stepUp(u.auth, {
      code: totpAt(u.totpSecret, h.clock.now()),
      recoveryCode: u.recoveryCodes[0],
    });
    expect(both.statusCode).toBe(422);
    expect(both.json().errors[0].pointer).toBe('/body/code');
  });

  it('wrong codes count toward lockout (423), audited like sign-in failures', async () => {
    const u = await buildSignedInUser(h);
    for (let i = 0; i < 9; i++)
      expect((await stepUp(u.auth, { code: wrongCode(u.totpSecret) })).statusCode).toBe(401);
    const tenth = await stepUp(u.auth, { code: wrongCode(u.totpSecret) });
    expect(tenth.statusCode).toBe(423);
    expect(tenth.json().code).toBe('ACCOUNT_LOCKED');
    // Locked: even the right code is refused before verification.
    const right = await stepUp(u.auth, { code: totpAt(u.totpSecret, h.clock.now()) });
    expect(right.statusCode).toBe(423);
    const lockouts = await h.ctx.audit.listEvents({
      tenantId: u.tenantId,
      action: 'auth.lockout',
      resourceId: u.user.id,
      limit: 5,
    });
    expect(lockouts.data).toHaveLength(1);
    const refusals = await h.ctx.audit.listEvents({
      tenantId: u.tenantId,
      action: 'auth.stepUp',
      resourceId: u.user.id,
      limit: 20,
    });
    expect(refusals.data.filter((e) => e.outcome === 'failure')).toHaveLength(11);
    expect(refusals.data.at(-1)?.reason).toBe('account_locked');
  });

  it('a success resets the failure count', async () => {
    const u = await buildSignedInUser(h);
    for (let i = 0; i < 5; i++) await stepUp(u.auth, { code: wrongCode(u.totpSecret) });
    expect((await stepUp(u.auth, { code: totpAt(u.totpSecret, h.clock.now()) })).statusCode).toBe(200);
    const row = await h.ctx.database.db
      .selectFrom('users')
      .select('failed_attempts')
      .where('id', '=', u.user.id)
      .executeTakeFirstOrThrow();
    expect(row.failed_attempts).toBe(0);
  });

  it('is refused while the password must be changed, and without a session', async () => {
    const built = await buildUser(h, { mustChangePassword: true });
    const s = await signIn(h, built.user.username, built.password);
    const r = await stepUp(s.auth, { code: totpAt(s.totpSecret, h.clock.now()) });
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('PASSWORD_CHANGE_REQUIRED');
    const anon = await h.app.inject({ method: 'POST', url: '/v1/auth/step-up', payload: { code: '123456' } });
    expect(anon.statusCode).toBe(401);
  });
});
