import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedInUser, buildUser, signIn, totpAt } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ BULWARK_SESSION_IDLE_SECONDS: '60', BULWARK_SESSION_MAX_SECONDS: '600' });
});
afterAll(async () => h?.close());

const login = (username: string, password: string) =>
  h.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username, password } });
const mfa = (payload: Record<string, unknown>) =>
  h.app.inject({ method: 'POST', url: '/v1/auth/mfa', payload });

describe('sign-in with TOTP', () => {
  it('enrols on first sign-in, then requires the code; /v1/me returns user and roles', async () => {
    const { user, password } = await buildUser(h, { roles: ['qa_analyst'], teams: ['Blue'] });
    const first = await login(user.username, password);
    expect(first.statusCode).toBe(200);
    const enrol = first.json();
    expect(enrol.status).toBe('mfa_enrollment_required');
    expect(enrol.totp.uri).toMatch(/^otpauth:\/\/totp\/Bulwark:/);
    const done = await mfa({ challenge: enrol.challenge, code: totpAt(enrol.totp.secret, h.clock.now()) });
    expect(done.statusCode).toBe(200);
    const session = done.json();
    expect(session.status).toBe('ok');
    expect(session.recoveryCodes).toHaveLength(10);
    expect(done.headers['set-cookie']).toMatch(/bulwark_session=.*HttpOnly.*SameSite=Strict/i);

    const me = await h.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${session.token}` },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      id: user.id,
      username: user.username,
      roles: ['qa_analyst'],
      idleTimeoutSeconds: h.config.session.idleSeconds,
    });

    h.clock.advance(30_000);
    const second = await login(user.username, password);
    expect(second.json().status).toBe('mfa_required');
    expect(second.json().totp).toBeUndefined();
    const ok = await mfa({
      challenge: second.json().challenge,
      code: totpAt(enrol.totp.secret, h.clock.now()),
    });
    expect(ok.statusCode).toBe(200);
  });

  it('accepts the cookie as well as the bearer token', async () => {
    const u = await buildSignedInUser(h);
    const me = await h.app.inject({ method: 'GET', url: '/v1/me', cookies: { bulwark_session: u.token } });
    expect(me.statusCode).toBe(200);
  });

  it('rejects a replayed TOTP code and a code from two steps away', async () => {
    const u = await buildSignedInUser(h);
    const code = totpAt(u.totpSecret, h.clock.now());
    const a = await login(u.user.username, u.password);
    expect((await mfa({ challenge: a.json().challenge, code })).statusCode).toBe(200);
    const b = await login(u.user.username, u.password);
    const replay = await mfa({ challenge: b.json().challenge, code });
    expect(replay.statusCode).toBe(401);
    expect(replay.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(replay.json().code).toBe('INVALID_MFA_CODE');
    const old = totpAt(u.totpSecret, new Date(h.clock.now().getTime() + 90_000));
    expect((await mfa({ challenge: b.json().challenge, code: old })).json().code).toBe('INVALID_MFA_CODE');
  });

  it('accepts each recovery code once', async () => {
    const u = await buildSignedInUser(h);
    const a = await login(u.user.username, u.password);
    const ok = await mfa({ challenge: a.json().challenge, recoveryCode: u.recoveryCodes[0] });
    expect(ok.statusCode).toBe(200);
    const b = await login(u.user.username, u.password);
    const again = await mfa({ challenge: b.json().challenge, recoveryCode: u.recoveryCodes[0] });
    expect(again.statusCode).toBe(401);
    expect(again.json().code).toBe('INVALID_MFA_CODE');
  });

  it('answers unknown user and wrong password identically', async () => {
    const { user } = await buildUser(h);
    const wrong = await login(user.username, 'not-the-password-at-all');
    const unknown = await login('nobody-here', 'not-the-password-at-all');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const strip = (b: Record<string, unknown>) => ({ ...b, request_id: undefined });
    expect(strip(wrong.json())).toEqual(strip(unknown.json()));
  });

  it('rejects a challenge that was already used or is malformed', async () => {
    const u = await buildSignedInUser(h);
    const a = await login(u.user.username, u.password);
    const challenge = a.json().challenge;
    expect((await mfa({ challenge, code: totpAt(u.totpSecret, h.clock.now()) })).statusCode).toBe(200);
    h.clock.advance(30_000);
    const reuse = await mfa({ challenge, code: totpAt(u.totpSecret, h.clock.now()) });
    expect(reuse.json().code).toBe('INVALID_CHALLENGE');
    expect((await mfa({ challenge: 'garbage', code: '123456' })).json().code).toBe('INVALID_CHALLENGE');
  });
});

describe('lockout (PCI DSS 8.3.4)', () => {
  it('locks after 10 failures across password and MFA, answers 423, and unlock restores access', async () => {
    const { user, password } = await buildUser(h);
    for (let i = 0; i < 9; i++)
      expect((await login(user.username, 'wrong-password-123')).statusCode).toBe(401);
    const tenth = await login(user.username, 'wrong-password-123');
    expect(tenth.statusCode).toBe(423);
    expect(tenth.json().code).toBe('ACCOUNT_LOCKED');
    // Even the right password is refused while locked.
    expect((await login(user.username, password)).statusCode).toBe(423);
    h.clock.advance(29 * 60_000);
    expect((await login(user.username, password)).statusCode).toBe(423);
    h.clock.advance(2 * 60_000);
    expect((await login(user.username, password)).statusCode).toBe(200);
  });

  it('counts parallel guesses atomically: never more than 10 verifications', async () => {
    const { user, password } = await buildUser(h);
    const results = await Promise.all(
      Array.from({ length: 25 }, () => login(user.username, 'parallel-guess-123')),
    );
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.every((s) => s === 401 || s === 423)).toBe(true);
    expect((await login(user.username, password)).statusCode).toBe(423);
    await h.ctx.users.unlock(
      {
        tenantId: user.id && (await h.ctx.tenants.ensureDefault()).id,
        userId: null,
        roles: [],
        sessionId: null,
        ip: null,
        requestId: null,
        channel: 'system',
      },
      user.id,
    );
    expect((await login(user.username, password)).statusCode).toBe(200);
  });

  it('counts wrong MFA codes toward the same lockout', async () => {
    const u = await buildSignedInUser(h);
    let locked = false;
    for (let i = 0; i < 12 && !locked; i++) {
      const a = await login(u.user.username, u.password);
      if (a.statusCode === 423) {
        locked = true;
        break;
      }
      const r = await mfa({ challenge: a.json().challenge, code: '000000' });
      if (r.statusCode === 423) locked = true;
      else expect(r.statusCode).toBe(401);
    }
    expect(locked).toBe(true);
  });
});

describe('sessions', () => {
  it('expires after the idle timeout', async () => {
    const u = await buildSignedInUser(h);
    // Activity keeps the session alive: each request within 60 s of the last one succeeds.
    for (let i = 0; i < 3; i++) {
      expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: u.auth })).statusCode).toBe(200);
      h.clock.advance(50_000);
    }
    expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: u.auth })).statusCode).toBe(200);
    h.clock.advance(61_000);
    const r = await h.app.inject({ method: 'GET', url: '/v1/me', headers: u.auth });
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('SESSION_EXPIRED');
  });

  it('expires at the absolute limit even when active', async () => {
    const u = await buildSignedInUser(h);
    // signIn left the clock 30 s after the session began; stay active until just before 600 s.
    let elapsed = 30;
    while (elapsed + 50 < 600) {
      expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: u.auth })).statusCode).toBe(200);
      h.clock.advance(50_000);
      elapsed += 50;
    }
    expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: u.auth })).statusCode).toBe(200);
    h.clock.advance((600 - elapsed) * 1000);
    expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: u.auth })).statusCode).toBe(401);
  });

  it('logout ends the session', async () => {
    const u = await buildSignedInUser(h);
    expect((await h.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: u.auth })).statusCode).toBe(
      204,
    );
    expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: u.auth })).json().code).toBe(
      'SESSION_EXPIRED',
    );
  });

  it('revoking all sessions takes effect on the next request', async () => {
    const u = await buildSignedInUser(h);
    const admin = await buildSignedInUser(h, { roles: ['it_admin'] });
    const r = await h.app.inject({
      method: 'POST',
      url: `/v1/users/${u.user.id}/revoke-sessions`,
      headers: admin.auth,
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().revoked).toBeGreaterThanOrEqual(1);
    expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: u.auth })).statusCode).toBe(401);
  });

  it('rejects a forged token without revealing why', async () => {
    const u = await buildSignedInUser(h);
    const [id] = u.token.split('.');
    const forged = await h.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${id}.${'A'.repeat(43)}` },
    });
    expect(forged.statusCode).toBe(401);
    expect(forged.json().code).toBe('AUTHENTICATION_REQUIRED');
  });

  it('refuses a cross-site cookie-authenticated write', async () => {
    const u = await buildSignedInUser(h);
    const r = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      cookies: { bulwark_session: u.token },
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(r.statusCode).toBe(403);
    const opaque = await h.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      cookies: { bulwark_session: u.token },
      headers: { origin: 'null' },
    });
    expect(opaque.statusCode).toBe(403);
    expect(opaque.json().code).toBe('FORBIDDEN');
  });
});

describe('password change', () => {
  it('forces the change before anything else, enforces policy and the last 4 passwords', async () => {
    const { user, password } = await buildUser(h, { mustChangePassword: true, roles: ['it_admin'] });
    const s = await signIn(h, user.username, password);
    const blocked = await h.app.inject({ method: 'GET', url: '/v1/users', headers: s.auth });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().code).toBe('PASSWORD_CHANGE_REQUIRED');
    const change = (currentPassword: string, newPassword: string) =>
      h.app.inject({
        method: 'POST',
        url: '/v1/auth/password',
        headers: s.auth,
        payload: { currentPassword, newPassword },
      });
    const weak = await change(password, 'password1234');
    expect(weak.statusCode).toBe(422);
    expect(weak.json().code).toBe('PASSWORD_REJECTED');
    expect(weak.body).not.toContain('password1234');
    const p2 = 'second correct horse battery';
    const p3 = 'third correct horse battery';
    const p4 = 'fourth correct horse battery';
    const p5 = 'fifth correct horse battery';
    expect((await change(password, p2)).statusCode).toBe(204);
    expect((await h.app.inject({ method: 'GET', url: '/v1/users', headers: s.auth })).statusCode).toBe(200);
    expect((await change(p2, p3)).statusCode).toBe(204);
    expect((await change(p3, p4)).statusCode).toBe(204);
    const reuse = await change(p4, password);
    expect(reuse.statusCode).toBe(422);
    expect(reuse.json().reason).toBe('PASSWORD_REUSED');
    expect((await change(p4, p5)).statusCode).toBe(204);
    // The first password has now left the history of 4.
    expect((await change(p5, password)).statusCode).toBe(204);
  });
});
