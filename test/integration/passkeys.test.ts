import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedInUser, type SignedIn, systemActor } from '../support/builders.ts';
import { createHarness, type Harness } from '../support/harness.ts';
import { createSoftAuthenticator, type SoftAuthenticator } from '../support/webauthn-authenticator.ts';

const ORIGIN = 'http://localhost:8080';

let h: Harness;
beforeAll(async () => {
  // Idle long enough that the MFA (15 min) goes stale while the session lives.
  h = await createHarness({ BULWARK_SESSION_IDLE_SECONDS: '3600', BULWARK_SESSION_MAX_SECONDS: '7200' });
});
afterAll(async () => h?.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers });

/** Registers one passkey on `device` for a signed-in user; returns the stored passkey view. */
async function registerPasskey(s: SignedIn, device: SoftAuthenticator, o: { userVerified?: boolean } = {}) {
  const options = await post('/v1/auth/passkeys/registration/options', {}, s.auth);
  expect(options.statusCode).toBe(200);
  const response = device.register(options.json(), o);
  return post('/v1/auth/passkeys/registration/verify', { response, name: 'Laptop' }, s.auth);
}

const loginOptions = async (body: Record<string, unknown> = {}) => {
  const r = await post('/v1/auth/passkeys/login/options', body);
  expect(r.statusCode).toBe(200);
  return r.json();
};
const loginVerify = (response: unknown) => post('/v1/auth/passkeys/login/verify', { response });

const events = async (tenantId: string, action: string) =>
  (await h.ctx.audit.listEvents({ tenantId, action, limit: 100 })).data;

/** A signed-in user with one registered passkey on their own software authenticator. */
async function userWithPasskey() {
  const u = await buildSignedInUser(h);
  const device = createSoftAuthenticator({ origin: ORIGIN });
  const reg = await registerPasskey(u, device);
  expect(reg.statusCode).toBe(201);
  return {
    ...u,
    device,
    passkeyId: reg.json().id as string,
    credentialId: [...device.credentials.keys()][0]!,
  };
}

describe('passkey registration', () => {
  it('registers with user verification, lists it, excludes it next time, and audits', async () => {
    const u = await userWithPasskey();
    const list = await h.app.inject({ method: 'GET', url: '/v1/auth/passkeys', headers: u.auth });
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toEqual([
      expect.objectContaining({
        id: u.passkeyId,
        name: 'Laptop',
        lastUsedAt: null,
        transports: ['internal'],
      }),
    ]);
    const again = await post('/v1/auth/passkeys/registration/options', {}, u.auth);
    expect(again.json().excludeCredentials).toEqual([expect.objectContaining({ id: u.credentialId })]);
    expect(again.json().authenticatorSelection).toMatchObject({
      userVerification: 'required',
      residentKey: 'preferred',
    });
    const audited = await events(u.tenantId, 'auth.passkey.register');
    expect(audited.some((e) => e.resource.id === u.passkeyId && e.outcome === 'success')).toBe(true);
  });

  it('refuses an attestation without user verification', async () => {
    const u = await buildSignedInUser(h);
    const r = await registerPasskey(u, createSoftAuthenticator({ origin: ORIGIN }), { userVerified: false });
    expect(r.statusCode).toBe(422);
    const audited = await events(u.tenantId, 'auth.passkey.register');
    expect(audited.some((e) => e.actor.user === u.user.id && e.reason === 'uv_missing')).toBe(true);
  });

  it('needs an MFA within 15 minutes to register or remove a passkey', async () => {
    const u = await userWithPasskey();
    h.clock.advance(16 * 60_000);
    const options = await post('/v1/auth/passkeys/registration/options', {}, u.auth);
    expect(options.statusCode).toBe(403);
    expect(options.json().reason).toBe('MFA_NOT_FRESH');
    const del = await h.app.inject({
      method: 'DELETE',
      url: `/v1/auth/passkeys/${u.passkeyId}`,
      headers: u.auth,
    });
    expect(del.statusCode).toBe(403);
    // A passkey sign-in is a fresh MFA: the new session may remove it.
    const s = await loginVerify(u.device.assert(await loginOptions()));
    expect(s.statusCode).toBe(200);
    const auth = { authorization: `Bearer ${s.json().token}` };
    const ok = await h.app.inject({
      method: 'DELETE',
      url: `/v1/auth/passkeys/${u.passkeyId}`,
      headers: auth,
    });
    expect(ok.statusCode).toBe(204);
    expect(
      (await h.app.inject({ method: 'GET', url: '/v1/auth/passkeys', headers: auth })).json().items,
    ).toEqual([]);
  });

  it('a registration challenge answers once, for the session that asked', async () => {
    const u = await buildSignedInUser(h);
    const other = await buildSignedInUser(h);
    const device = createSoftAuthenticator({ origin: ORIGIN });
    const options = (await post('/v1/auth/passkeys/registration/options', {}, u.auth)).json();
    const response = device.register(options);
    const stolen = await post('/v1/auth/passkeys/registration/verify', { response }, other.auth);
    expect(stolen.json().code).toBe('INVALID_CHALLENGE');
    // The attempt above consumed it: not even the right session can use it now.
    const late = await post('/v1/auth/passkeys/registration/verify', { response }, u.auth);
    expect(late.json().code).toBe('INVALID_CHALLENGE');
  });
});

describe('passkey sign-in', () => {
  it('signs in without password or TOTP (discoverable and by username); the session works', async () => {
    const u = await userWithPasskey();
    const discoverable = await loginOptions();
    expect(discoverable.userVerification).toBe('required');
    expect(discoverable.allowCredentials ?? []).toEqual([]);
    const s = await loginVerify(u.device.assert(discoverable));
    expect(s.statusCode).toBe(200);
    expect(s.json()).toMatchObject({ status: 'ok', passwordChangeRequired: false });
    expect(s.headers['set-cookie']).toMatch(/bulwark_session=.*HttpOnly.*SameSite=Strict/i);
    const me = await h.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${s.json().token}` },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: u.user.id, mfaAt: h.clock.now().toISOString() });

    const named = await loginOptions({ username: u.user.username });
    expect(named.allowCredentials).toEqual([expect.objectContaining({ id: u.credentialId })]);
    expect((await loginVerify(u.device.assert(named))).statusCode).toBe(200);
    const logins = await events(u.tenantId, 'auth.login');
    expect(logins.filter((e) => e.actor.user === u.user.id && e.details?.method === 'passkey')).toHaveLength(
      2,
    );
    const list = await h.app.inject({ method: 'GET', url: '/v1/auth/passkeys', headers: u.auth });
    expect(list.json().items[0].lastUsedAt).not.toBeNull();
  });

  it('answers an unknown username like a user without usable passkeys (a stable decoy id)', async () => {
    const a = await loginOptions({ username: 'nobody-at-all' });
    const b = await loginOptions({ username: 'nobody-at-all' });
    expect(a.allowCredentials).toHaveLength(1);
    expect(a.allowCredentials).toEqual(b.allowCredentials);
    expect(a.challenge).not.toBe(b.challenge);
  });

  it('refuses an assertion without user verification and counts it toward lockout', async () => {
    const u = await userWithPasskey();
    const r = await loginVerify(u.device.assert(await loginOptions(), { userVerified: false }));
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('INVALID_CREDENTIALS');
    const row = await h.ctx.database.db
      .selectFrom('users')
      .select('failed_attempts')
      .where('id', '=', u.user.id)
      .executeTakeFirstOrThrow();
    expect(row.failed_attempts).toBe(1);
    const refused = await events(u.tenantId, 'auth.passkey');
    expect(refused.some((e) => e.actor.user === u.user.id && e.reason === 'passkey_uv_missing')).toBe(true);
  });

  it('refuses a replayed assertion and a reused challenge', async () => {
    const u = await userWithPasskey();
    const options = await loginOptions();
    const assertion = u.device.assert(options);
    expect((await loginVerify(assertion)).statusCode).toBe(200);
    const replay = await loginVerify(assertion);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('INVALID_CHALLENGE');
    // A fresh, correctly signed assertion over the spent challenge is refused too.
    const reuse = await loginVerify(u.device.assert(options));
    expect(reuse.json().code).toBe('INVALID_CHALLENGE');
    // Wrong origin (a phishing site relaying the challenge) is refused.
    const phished = await loginVerify(
      u.device.assert(await loginOptions(), { origin: 'https://evil.example' }),
    );
    expect(phished.json().code).toBe('INVALID_CREDENTIALS');
  });

  it('refuses and audits a cloned authenticator (counter not increasing)', async () => {
    const u = await userWithPasskey();
    const copy = u.device.clone();
    expect((await loginVerify(u.device.assert(await loginOptions()))).statusCode).toBe(200); // counter 1
    expect((await loginVerify(u.device.assert(await loginOptions()))).statusCode).toBe(200); // counter 2
    // The copy still holds counter 0, next it says 1: behind the stored 2.
    const r = await loginVerify(copy.assert(await loginOptions()));
    expect(r.statusCode).toBe(401);
    const same = await loginVerify(u.device.assert(await loginOptions(), { signCount: 2 }));
    expect(same.statusCode).toBe(401);
    const clones = await events(u.tenantId, 'auth.passkey.clone_suspected');
    const mine = clones.filter((e) => e.resource.id === u.passkeyId);
    expect(mine.map((e) => [e.details?.storedCounter, e.details?.receivedCounter])).toEqual([
      [2, 1],
      [2, 2],
    ]);
    // The genuine device, moving forward, still signs in.
    expect((await loginVerify(u.device.assert(await loginOptions()))).statusCode).toBe(200);
  });

  it("another user's passkey never signs in as you", async () => {
    const alice = await userWithPasskey();
    const bob = await userWithPasskey();
    // Options for alice, answered with bob's own passkey.
    const forAlice = await loginOptions({ username: alice.user.username });
    const r = await loginVerify(bob.device.assert(forAlice, { credentialId: bob.credentialId }));
    expect(r.statusCode).toBe(401);
    // Bob's key presented under alice's credential id and user handle: the signature does not verify.
    const own = bob.device.credentials.get(bob.credentialId)!;
    const aliceCred = alice.device.credentials.get(alice.credentialId)!;
    bob.device.credentials.set(alice.credentialId, {
      ...own,
      id: alice.credentialId,
      userHandle: aliceCred.userHandle,
    });
    const forged = await loginVerify(
      bob.device.assert(await loginOptions(), { credentialId: alice.credentialId }),
    );
    expect(forged.statusCode).toBe(401);
    expect(forged.json().code).toBe('INVALID_CREDENTIALS');
    const refused = await events(alice.tenantId, 'auth.passkey');
    const reasons = refused.filter((e) => e.actor.user === alice.user.id).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['credential_of_another_user', 'passkey_invalid']));
  });

  it('refuses a disabled or locked account', async () => {
    const disabled = await userWithPasskey();
    await h.ctx.users.updateUser(systemActor(disabled.tenantId), disabled.user.id, { status: 'disabled' });
    const r = await loginVerify(disabled.device.assert(await loginOptions()));
    expect(r.statusCode).toBe(401);

    const lockedUser = await userWithPasskey();
    for (let i = 0; i < 10; i++) {
      await post('/v1/auth/login', { username: lockedUser.user.username, password: 'wrong-password-123' });
    }
    const locked = await loginVerify(lockedUser.device.assert(await loginOptions()));
    expect(locked.statusCode).toBe(423);
    expect(locked.json().code).toBe('ACCOUNT_LOCKED');
    const reasons = (await events(lockedUser.tenantId, 'auth.passkey')).map((e) => [e.actor.user, e.reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        [disabled.user.id, 'account_disabled'],
        [lockedUser.user.id, 'account_locked'],
      ]),
    );
  });

  it('keeps sessions, challenges and keys out of logs and storage', async () => {
    const u = await userWithPasskey();
    const options = await loginOptions({ username: u.user.username });
    const s = await loginVerify(u.device.assert(options));
    const tokenSecret = (s.json().token as string).split('.')[1]!;
    const privateKey = u.device.credentials.get(u.credentialId)!.privateKey.export({ format: 'jwk' }).d!;
    await h.ctx.audit.sequenceAll();
    const logs = h.logs.join('');
    let stored = '';
    for (const t of ['webauthn_credentials', 'webauthn_challenges', 'sessions', 'audit_events']) {
      const rows = await sql.raw(`select * from ${t}`).execute(h.ctx.database.db);
      stored += JSON.stringify(rows.rows, (_k, v) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
      );
    }
    for (const secret of [tokenSecret, options.challenge as string, privateKey, u.password]) {
      expect(logs).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
  });
});
