import { randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import type { Role } from '../../src/modules/access/roles.ts';
import type { Actor, UserView } from '../../src/modules/users/users.service.ts';
import type { Harness } from './harness.ts';

export const systemActor = (tenantId: string): Actor => ({
  tenantId,
  userId: null,
  roles: [],
  sessionId: null,
  ip: null,
  requestId: null,
  channel: 'system',
});

/** A strong random password that passes the policy. */
export const strongPassword = () => `Pw-${randomBytes(12).toString('base64url')}-x`;

let seq = 0;
export const uniqueName = (prefix = 'user') => {
  seq += 1;
  return `${prefix}${process.pid % 1000}-${seq}-${randomBytes(3).toString('hex')}`;
};

export type BuiltUser = { user: UserView; password: string; tenantId: string };

/** Creates a user directly through the service (no HTTP), password change not required. */
export async function buildUser(
  h: Harness,
  opts: {
    roles?: Role[];
    teams?: string[];
    region?: string;
    username?: string;
    tenantId?: string;
    mustChangePassword?: boolean;
  } = {},
): Promise<BuiltUser> {
  const tenantId = opts.tenantId ?? (await h.ctx.tenants.ensureDefault()).id;
  const password = strongPassword();
  const user = await h.ctx.users.createUser(systemActor(tenantId), {
    username: opts.username ?? uniqueName(),
    roles: opts.roles ?? ['agent'],
    teams: opts.teams ?? [],
    region: opts.region ?? 'eu',
    password,
    mustChangePassword: opts.mustChangePassword ?? false,
  });
  return { user, password, tenantId };
}

export const totpAt = (secret: string, date: Date) =>
  new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    digits: 6,
    period: 30,
    algorithm: 'SHA1',
  }).generate({ timestamp: date.getTime() });

export type SignedIn = {
  token: string;
  totpSecret: string;
  recoveryCodes: string[];
  auth: { authorization: string };
};

/** Full first sign-in over HTTP: password, TOTP enrolment, session. Advances the clock one step. */
export async function signIn(
  h: Harness,
  username: string,
  password: string,
  tenant?: string,
): Promise<SignedIn> {
  const login = await h.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { username, password, ...(tenant ? { tenant } : {}) },
  });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${login.body}`);
  const body = login.json();
  if (body.status !== 'mfa_enrollment_required') throw new Error(`expected enrolment, got ${body.status}`);
  const mfa = await h.app.inject({
    method: 'POST',
    url: '/v1/auth/mfa',
    payload: { challenge: body.challenge, code: totpAt(body.totp.secret, h.clock.now()) },
  });
  if (mfa.statusCode !== 200) throw new Error(`mfa failed: ${mfa.statusCode} ${mfa.body}`);
  // The next TOTP code must come from a later step: codes are single-use.
  h.clock.advance(30_000);
  const m = mfa.json();
  return {
    token: m.token,
    totpSecret: body.totp.secret,
    recoveryCodes: m.recoveryCodes,
    auth: { authorization: `Bearer ${m.token}` },
  };
}

/** Creates a user and signs them in. */
export async function buildSignedInUser(
  h: Harness,
  opts: Parameters<typeof buildUser>[1] = {},
): Promise<BuiltUser & SignedIn> {
  const built = await buildUser(h, opts);
  const session = await signIn(h, built.user.username, built.password);
  return { ...built, ...session };
}
