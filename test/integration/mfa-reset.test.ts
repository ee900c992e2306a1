import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedInUser, type SignedIn, totpAt } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';
import { createSoftAuthenticator } from '../support/webauthn-authenticator.ts';

const ORIGIN = 'http://localhost:8080';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.close());

const post = (url: string, headers: Record<string, string>, payload: Record<string, unknown> = {}) =>
  h.app.inject({ method: 'POST', url, headers, payload });
const resetMfa = (id: string, auth: { authorization: string }) => post(`/v1/users/${id}/reset-mfa`, auth);

async function withPasskey(s: SignedIn) {
  const device = createSoftAuthenticator({ origin: ORIGIN });
  const options = await post('/v1/auth/passkeys/registration/options', s.auth);
  const reg = await post('/v1/auth/passkeys/registration/verify', s.auth, {
    response: device.register(options.json()),
  });
  expect(reg.statusCode).toBe(201);
  return device;
}

describe('POST /v1/users/:id/reset-mfa', () => {
  it('clears TOTP, recovery codes and passkeys, signs the user out, and the next sign-in enrols again', async () => {
    const admin = await buildSignedInUser(h, { roles: ['it_admin'] });
    const target = await buildSignedInUser(h, { roles: ['agent'] });
    const device = await withPasskey(target);

    const r = await resetMfa(target.user.id, admin.auth);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ revokedSessions: 1, removedPasskeys: 1, removedRecoveryCodes: 10 });

    // Signed out everywhere.
    expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: target.auth })).statusCode).toBe(401);
    const view = await h.app.inject({
      method: 'GET',
      url: `/v1/users/${target.user.id}`,
      headers: admin.auth,
    });
    expect(view.json().mfaEnrolled).toBe(false);

    // The old passkey no longer signs in.
    const opts = await post('/v1/auth/passkeys/login/options', {}, {});
    const pk = await post('/v1/auth/passkeys/login/verify', {}, { response: device.assert(opts.json()) });
    expect(pk.statusCode).toBe(401);

    // Password sign-in walks through enrolment with a new secret; old recovery codes are gone.
    const login = await post(
      '/v1/auth/login',
      {},
      { username: target.user.username, password: target.password },
    );
    expect(login.json().status).toBe('mfa_enrollment_required');
    expect(login.json().totp.secret).not.toBe(target.totpSecret);
    const oldCode = await post(
      '/v1/auth/mfa',
      {},
      { challenge: login.json().challenge, recoveryCode: target.recoveryCodes[0] },
    );
    expect(oldCode.statusCode).toBe(422);
    const enrol = await post(
      '/v1/auth/mfa',
      {},
      {
        challenge: login.json().challenge,
        code: totpAt(login.json().totp.secret, h.clock.now()),
      },
    );
    expect(enrol.statusCode).toBe(200);
    expect(enrol.json().recoveryCodes).toHaveLength(10);

    const events = await h.ctx.audit.listEvents({
      tenantId: admin.tenantId,
      action: 'user.mfaReset',
      resourceId: target.user.id,
      limit: 5,
    });
    expect(events.data).toHaveLength(1);
    expect(events.data[0]).toMatchObject({
      outcome: 'success',
      actor: { user: admin.user.id },
      details: {
        revokedSessions: 1,
        removedPasskeys: 1,
        removedRecoveryCodes: 10,
        totpWasEnrolled: true,
        channel: 'api',
      },
    });
  });

  it('a sign-in started before the reset cannot finish with the old authenticator', async () => {
    const admin = await buildSignedInUser(h, { roles: ['it_admin'] });
    const target = await buildSignedInUser(h);
    const login = await post(
      '/v1/auth/login',
      {},
      { username: target.user.username, password: target.password },
    );
    expect(login.json().status).toBe('mfa_required');
    expect((await resetMfa(target.user.id, admin.auth)).statusCode).toBe(200);
    const finish = await post(
      '/v1/auth/mfa',
      {},
      {
        challenge: login.json().challenge,
        code: totpAt(target.totpSecret, h.clock.now()),
      },
    );
    expect(finish.statusCode).toBe(401);
    expect(finish.json().code).toBe('INVALID_CHALLENGE');
  });

  it('an it_admin cannot reset their own MFA: 403 with a clear message, the denial audited', async () => {
    const admin = await buildSignedInUser(h, { roles: ['it_admin'] });
    const r = await resetMfa(admin.user.id, admin.auth);
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('FORBIDDEN');
    expect(r.json().detail).toMatch(/cannot reset your own MFA/);
    const denial = await h.ctx.audit.listEvents({
      tenantId: admin.tenantId,
      actor: admin.user.id,
      action: 'authz.user.resetMfa',
      limit: 5,
    });
    expect(denial.data.at(-1)).toMatchObject({ outcome: 'deny', policies: ['no-self-mfa-reset'] });
    // Still enrolled and signed in.
    expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: admin.auth })).statusCode).toBe(200);
  });

  it('only it_admin may reset; unknown ids are 404 for them and 403 for others', async () => {
    const sup = await buildSignedInUser(h, { roles: ['supervisor'], teams: ['Reset Team'] });
    const member = await buildSignedInUser(h, { roles: ['agent'], teams: ['Reset Team'] });
    const denied = await resetMfa(member.user.id, sup.auth);
    expect(denied.statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: '/v1/me', headers: member.auth })).statusCode).toBe(200);
    const ghost = '00000000-0000-4000-8000-000000000001';
    expect((await resetMfa(ghost, sup.auth)).statusCode).toBe(403);
    const admin = await buildSignedInUser(h, { roles: ['it_admin'] });
    expect((await resetMfa(ghost, admin.auth)).statusCode).toBe(404);
  });
});
